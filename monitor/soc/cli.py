"""`python -m monitor tap-signins review ID --verdict V [--note TEXT] [--by NAME]`: one review from a
terminal, recorded in Table Storage beside the reviews the page and the route record."""

from __future__ import annotations

import argparse
import getpass
from typing import Any

import orjson

from monitor.soc.review import VERDICTS


def add_review_command(soc: argparse.ArgumentParser) -> None:
    actions = soc.add_subparsers(dest="soc_action", parser_class=type(soc))
    review = actions.add_parser(
        "review", help="record a verdict on one TAP sign-in (earlier verdicts are kept as history)"
    )
    review.add_argument("signin_id", metavar="ID", help="the sign-in's id (as tap-signins lists it)")
    review.add_argument("--verdict", required=True, help=", ".join(VERDICTS))
    review.add_argument("--note", default="", help="why: what you checked and found")
    review.add_argument("--by", default="", help="who reviews (default: the signed-in OS user)")


def review_command(args: argparse.Namespace) -> str:
    """Record the review; a bad verdict or an unknown sign-in is a usage error (exit 2)."""
    from monitor.cli import UsageError
    from monitor.service.runtime import Runtime
    from monitor.soc.review import ReviewError
    from monitor.soc.service import review_signin
    from monitor.soc.workflow import UnknownSignIn

    reviewer = args.by or _os_user()
    try:
        with Runtime.from_env() as runtime:
            row: dict[str, Any] = review_signin(
                runtime, args.signin_id, args.verdict, reviewer, args.note, via="cli", now=args.now
            )
    except (ReviewError, UnknownSignIn) as exc:
        raise UsageError(str(exc).strip("'\"")) from exc
    return orjson.dumps(row, option=orjson.OPT_INDENT_2).decode() + "\n"


def _os_user() -> str:
    try:
        return getpass.getuser()
    except (KeyError, OSError):  # no user name in the environment or the password database
        return "cli"
