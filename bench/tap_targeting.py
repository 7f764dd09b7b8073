"""What finding TAP sign-ins costs in Graph requests: targeted reading against a full scan, each read by
the code a pass runs in that mode (monitor/pipeline.py).

    .venv/bin/python bench/tap_targeting.py [--signins 100000] [--tap-users 5]

Writes a load tenant whose sign-in log holds `--signins` sign-ins over 14 days (5% of them PIN reset,
the rest ordinary), `--tap-users` of whose users were issued a Temporary Access Pass; serves it with the
Graph simulator in its own process; then reads the TAP sign-ins both ways as a first pass would (the
14-day lookback, nothing learned yet) and as the next pass would (its 3-hour polling window, with the
usual countries the first pass learned), and prints the sign-in requests, sign-ins received, seconds,
and the TAP sign-ins each found (the two modes must find the same).
"""

from __future__ import annotations

import argparse
import asyncio
import sys
import tempfile
import time
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench._simulator import serve  # noqa: E402 - after the path is set

NOW = datetime(2026, 11, 20, 12, 0, tzinfo=UTC)


@dataclass(frozen=True)
class Pass:
    name: str
    start: datetime
    warm: bool  # with what the previous pass learned (the usual countries and the tenant's sign-in rate)


# A first pass reads the 14-day lookback; later passes their polling window (the default 180-minute overlap).
PASSES = (
    Pass("first pass, 14 days", NOW - timedelta(days=14), warm=False),
    Pass("next pass, last 3 h", NOW - timedelta(minutes=180), warm=True),
)


async def measure(url: str) -> list[dict[str, Any]]:
    """Each pass read the way `monitor/pipeline.py` reads it in each mode: targeted through
    `read_tap_signins_planned` (collectors/tap_plan.py), full scan through `full_scan_tap_signins`."""
    from monitor.collectors.auth_audits import read_auth_method_audits
    from monitor.collectors.tap import full_scan_tap_signins, read_tap_policy, with_current_passes
    from monitor.collectors.tap_plan import TapKnowledge, TapPlanRead, read_tap_signins_planned
    from monitor.entra import LONGEST_TAP_MINUTES
    from monitor.graph.session import GraphSession
    from monitor.records import TapSignIn, UnusableItem
    from monitor.settings import Settings

    rows = []
    async with GraphSession(
        Settings(graph_endpoint=url, graph_credential="simulator", graph_pacing=False)
    ) as graph:
        policy = await read_tap_policy(graph)
        longest = policy.maximum_lifetime_minutes or LONGEST_TAP_MINUTES
        issued = (await read_auth_method_audits(graph, NOW - timedelta(days=14), NOW)).issuances
        issuances = await with_current_passes(graph, issued, issued_since=NOW - timedelta(minutes=longest))

        async def targeted(start: datetime, known: TapKnowledge) -> tuple[list[TapSignIn], TapPlanRead]:
            found: list[TapSignIn] = []

            def keep(part: list[TapSignIn], until: datetime, unusable: list[UnusableItem]) -> None:
                found.extend(part)

            read = await read_tap_signins_planned(
                graph, issuances, start, NOW, known, history_days=14, fallback_lifetime=longest, keep=keep
            )
            return found, read

        knowledge = TapKnowledge()
        for each in PASSES:
            before = graph.stats.requests
            clock = time.perf_counter()
            found, planned = await targeted(each.start, knowledge if each.warm else TapKnowledge())
            rows.append(
                {
                    "mode": f"targeted ({planned.plan.strategy})",
                    "estimate": (planned.plan.per_user_requests, planned.plan.scan_requests),
                    "pass": each.name,
                    "requests": graph.stats.requests - before,
                    "received": planned.received,
                    "seconds": time.perf_counter() - clock,
                    "found": sorted(s.id for s in found),
                }
            )
            before = graph.stats.requests
            clock = time.perf_counter()
            scanned, stats = await full_scan_tap_signins(
                graph, issuances, each.start, NOW, history_days=14, fallback_lifetime=longest
            )
            rows.append(
                {
                    "mode": "full scan",
                    "pass": each.name,
                    "requests": graph.stats.requests - before,
                    "received": stats.received,
                    "seconds": time.perf_counter() - clock,
                    "found": sorted(s.id for s in scanned),
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

    line = "{:<24} {:<21} {:>15} {:>14} {:>18} {:>21} {:>13}"
    print(f"tenant: {args.signins:,} sign-ins over 14 days, {args.tap_users} users issued a pass")
    print(
        line.format(
            "mode",
            "pass",
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
        print(line.format(r["mode"], r["pass"], *figures))
    print(
        "simulator seconds: each new filter costs the simulator a scan of its whole log, which favours the "
        "full scan's one filter; on Graph the throttle floor (5 requests per 10 s) is what a pass waits for."
    )
    for r in rows:
        if "estimate" in r:
            per_user, scan = r["estimate"]
            print(f"{r['pass']}: the planned reader estimated {per_user} per-user requests, {scan} a scan")
    same = all(rows[i]["found"] == rows[i + 1]["found"] for i in range(0, len(rows), 2))
    print(f"both modes found the same TAP sign-ins in each pass: {'yes' if same else 'NO'}")
    return 0 if same else 1


if __name__ == "__main__":
    sys.exit(main())
