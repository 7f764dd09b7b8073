"""Regenerate the bundled example tenants, check that they are up to date, or write a load tenant.

python examples/generate.py                     # rewrite examples/tenants/ (every bundled tenant, README.md)
python examples/generate.py --check             # exit 1, listing differences, if they are stale
python examples/generate.py --load DIR --signins 120000 [--tap-users 5] [--pin-reset-share 0.5]
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

if __package__ in (None, ""):  # run as a script: make `examples` importable from the repository root
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from examples import tenantgen

TENANTS_DIR = Path(__file__).resolve().parent / "tenants"


def _share(text: str) -> float:
    value = float(text)
    if not 0.0 <= value <= 1.0:
        raise argparse.ArgumentTypeError("must be between 0 and 1")
    return value


def _count(text: str) -> int:
    value = int(text)
    if value < 0:
        raise argparse.ArgumentTypeError("must be 0 or more")
    return value


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument(
        "--check", action="store_true", help="compare the committed tenants with a fresh generation"
    )
    parser.add_argument("--root", type=Path, default=TENANTS_DIR, help="where the bundled tenants live")
    parser.add_argument("--load", type=Path, metavar="DIR", help="write a load tenant into DIR")
    parser.add_argument("--signins", type=_count, help="number of sign-ins of the load tenant (14 days)")
    parser.add_argument("--tap-users", type=_count, default=5, help="users given a TAP (default 5)")
    parser.add_argument(
        "--pin-reset-share", type=_share, default=1.0, help="share of PIN reset sign-ins (0-1)"
    )
    parser.add_argument("--seed", type=int, default=0, help="seed of the load tenant (default 0)")
    args = parser.parse_args(argv)
    if args.load is not None and args.signins is None:
        parser.error("--load needs --signins")
    if args.load is not None and args.check:
        parser.error("--check and --load do not go together")
    if args.load is None and args.signins is not None:
        parser.error("--signins only applies with --load")
    return args


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    if args.load is not None:
        started = time.perf_counter()
        description = tenantgen.write_load_tenant(
            args.load,
            signins=args.signins,
            tap_users=args.tap_users,
            pin_reset_share=args.pin_reset_share,
            seed=args.seed,
        )
        print(
            f"wrote load tenant {description.tenant_id} to {args.load}: {description.signins} sign-ins "
            f"({description.pin_reset_signins} PIN reset, {description.tap_signins} with a TAP), "
            f"{description.users} users, {description.devices} devices, "
            f"{len(description.tap_user_ids)} TAP users in {time.perf_counter() - started:.1f} s"
        )
        return 0
    if args.check:
        problems = tenantgen.stale_files(args.root)
        if problems:
            print(f"{args.root} is stale; run python examples/generate.py", file=sys.stderr)
            for problem in problems:
                print(f"  {problem}", file=sys.stderr)
            return 1
        print(f"{args.root}: {len(tenantgen.BUNDLED)} tenants up to date")
        return 0
    descriptions = tenantgen.write_bundled(args.root)
    for d in descriptions:
        print(
            f"{d.name:20} users {d.users:4}  sign-ins {d.signins:5}  PIN reset {d.pin_reset_signins:4}  "
            f"TAP {d.tap_signins:3}  devices {d.devices:4}"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
