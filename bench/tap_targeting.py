"""What finding TAP sign-ins costs in Graph requests: targeted reading against a full scan.

    .venv/bin/python bench/tap_targeting.py [--signins 100000] [--tap-users 5]

Writes a load tenant whose sign-in log holds `--signins` sign-ins over 14 days (5% of them PIN reset,
the rest ordinary), `--tap-users` of whose users were issued a Temporary Access Pass; serves it with the
Graph simulator in its own process; then reads the TAP sign-ins of the 14 days both ways and prints the
sign-in requests, sign-ins received, seconds, and the TAP sign-ins each found (they must be the same).
"""

from __future__ import annotations

import argparse
import asyncio
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench._simulator import serve  # noqa: E402 - after the path is set

NOW = datetime(2026, 11, 20, 12, 0, tzinfo=UTC)


async def measure(url: str) -> list[dict[str, Any]]:
    from monitor.collectors.auth_audits import read_auth_method_audits
    from monitor.collectors.tap import full_scan_tap_signins, targeted_tap_signins, with_current_passes
    from monitor.graph.session import GraphSession
    from monitor.settings import Settings

    start = NOW - timedelta(days=14)
    rows = []
    async with GraphSession(
        Settings(graph_endpoint=url, graph_credential="simulator", graph_pacing=False)
    ) as graph:
        audits = await read_auth_method_audits(graph, start, NOW)
        issuances = await with_current_passes(graph, audits.issuances)
        for name, read in (("targeted", targeted_tap_signins), ("full scan", full_scan_tap_signins)):
            before = graph.stats.requests
            clock = time.perf_counter()
            found, stats = await read(graph, issuances, start, NOW, history_days=14, fallback_lifetime=480)
            rows.append(
                {
                    "mode": name,
                    "requests": graph.stats.requests - before,
                    "received": stats.received,
                    "seconds": time.perf_counter() - clock,
                    "found": sorted(s.id for s in found),
                }
            )
    return rows


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--signins", type=int, default=100_000)
    parser.add_argument("--tap-users", type=int, default=5)
    parser.add_argument("--tenant", type=Path, help="reuse a load tenant written before")
    args = parser.parse_args()

    from examples.tenantgen import write_load_tenant

    tenant = args.tenant or Path(tempfile.mkdtemp(prefix="bench-tap-"))
    if not (tenant / "beta").exists():
        write_load_tenant(tenant, signins=args.signins, tap_users=args.tap_users, pin_reset_share=0.05)
    print(
        "runs on: the Graph simulator in its own process over HTTP on loopback (no throttle model: the "
        "throttle floor is computed from the requests), read through msgraph-sdk; no store"
    )
    with serve(tenant) as url:
        rows = asyncio.run(measure(url))

    line = "{:<10} {:>15} {:>14} {:>20} {:>23} {:>13}"
    print(f"tenant: {args.signins:,} sign-ins over 14 days, {args.tap_users} users issued a pass")
    print(
        line.format(
            "mode",
            "Graph requests",
            "sign-ins read",
            "simulator seconds",
            "Graph throttle floor",
            "TAP sign-ins",
        )
    )
    for r in rows:
        # Identity and access reports allow 5 requests per 10 s per app and tenant (Graph throttling limits).
        floor = f"{r['requests'] * 2} s"
        figures = (r["requests"], f"{r['received']:,}", f"{r['seconds']:.2f}", floor, len(r["found"]))
        print(line.format(r["mode"], *figures))
    print(
        "simulator seconds: each new filter costs the simulator a scan of its whole log, which favours the "
        "full scan's one filter; on Graph the throttle floor (5 requests per 10 s) is what a pass waits for."
    )
    same = rows[0]["found"] == rows[1]["found"]
    print(f"both modes found the same TAP sign-ins: {'yes' if same else 'NO'}")
    return 0 if same else 1


if __name__ == "__main__":
    sys.exit(main())
