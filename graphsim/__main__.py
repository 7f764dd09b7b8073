"""`python -m graphsim (--snapshot DIR | --tenants DIR) [--host 127.0.0.1] [--port 8080] [--fault SPEC]...`

`--tenants DIR` serves each subdirectory of DIR as the tenant its name is the ID of, chosen per request
by the token's `tid` (see tenants.py).

Prints `listening on http://HOST:PORT` once it serves, and serves until SIGINT or SIGTERM.
Exit codes: 0 after a signal, 2 for bad arguments or a bad snapshot directory, 1 when the port cannot
be bound.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

from graphsim.errors import SnapshotError
from graphsim.faults import Fault
from graphsim.server import GraphSimulator
from graphsim.serving import serve_until_signal


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m graphsim",
        description="Serve a tenant snapshot directory with Microsoft Graph's semantics on loopback.",
    )
    source = parser.add_mutually_exclusive_group(required=True)
    source.add_argument("--snapshot", help="the tenant snapshot directory")
    source.add_argument(
        "--tenants",
        help="a directory of tenant snapshot directories, each named by its tenant ID, "
        "chosen per request by the tenant (tid) of the token",
    )
    parser.add_argument(
        "--throttle",
        action="store_true",
        help="model Graph's identity and access reports throttles "
        "(5 requests per 10 s per app per tenant, 122 per 10 s per app)",
    )
    parser.add_argument("--host", default="127.0.0.1", help="address to bind (default: 127.0.0.1)")
    parser.add_argument(
        "--port", type=int, default=8080, help="port to bind, 0 for any free one (default: 8080)"
    )
    parser.add_argument(
        "--mail-dir", help="write each message accepted by POST /users/{id}/sendMail here as an .eml file"
    )
    parser.add_argument(
        "--fault",
        action="append",
        default=[],
        metavar="SPEC",
        help='inject a fault, e.g. "kind=429,path=/beta/auditLogs/signIns,times=2,retry_after=1" '
        "(kinds: 429, 503, 504, drop, malformed; times=none for every request; tenant=ID for one "
        "tenant's requests); repeatable",
    )
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    try:
        faults = [Fault.parse(spec) for spec in args.fault]
    except ValueError as exc:
        print(f"error: bad --fault: {exc}", file=sys.stderr)
        return 2
    try:
        simulator = GraphSimulator(
            args.snapshot,
            host=args.host,
            port=args.port,
            mail_dir=args.mail_dir,
            throttle=args.throttle,
            tenants=args.tenants,
        )
    except SnapshotError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    for fault in faults:
        simulator.add_fault(fault)
    try:
        simulator.start()
    except OSError as exc:
        print(f"error: cannot listen on {args.host}:{args.port}: {exc.strerror or exc}", file=sys.stderr)
        return 1

    serve_until_signal(simulator.url, simulator.stop)
    return 0


if __name__ == "__main__":
    sys.exit(main())
