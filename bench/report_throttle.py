"""Whole passes under Graph's report throttle (5 requests per 10 s per app per tenant).

    .venv/bin/python bench/report_throttle.py [--holders 50,500,2000] [--signins 100000]
                                              [--store tables|memory] [--requests]

For each count of pass holders, writes a load tenant (`--signins` sign-ins over 14 days, 5% of them PIN
reset), serves it with the Graph simulator's throttle model on (over HTTP on loopback), and runs the
monitor's real pass (`pipeline.run_pass`, on Table Storage in Azurite as in production, or with
`--store memory` the memory store) through msgraph-sdk with the session's pacing: first the backfill,
pass after pass (10 minutes apart, each with the default 480 s budget) until the TAP sign-in stream is
read to its end, then a steady-state pass 15 minutes later. Prints per pass: report requests, answers
429, pass time, and its ratio to the throttle floor (report requests / 0.5 per second); with
`--requests`, each pass's report requests by source (user ids and paging left out).

Time is virtual where the throttle is concerned: the pacer's waits advance a clock shared by the
client's pacer and the simulator's throttle instead of sleeping, so a pass that would wait 200 s on
Graph runs in seconds here; a pass's time is its real elapsed time plus those waits, which is what it
would take against Graph. The simulator answers in this process (so the clock is shared): the time it
spends answering, printed beside, stands in for Graph's own latency, and the last ratio leaves it out.
Targets: no 429; pass time at most 1.15x the floor; the steady-state pass of the 2,000-holder tenant
within 60 s; every backfill finished within 10-minute passes.
"""

from __future__ import annotations

import argparse
import asyncio
import re
import shutil
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from monitor.collectors.tap import TAP_STREAM  # noqa: E402 - after the path is set
from monitor.store.base import StateStore  # noqa: E402
from monitor.store.memory import MemoryStore  # noqa: E402

NOW = datetime(2026, 11, 20, 12, 0, tzinfo=UTC)
BUDGET_SECONDS = 480.0
PASS_LIMIT_SECONDS = 600.0  # host.json functionTimeout


class VirtualTime:
    """Monotonic time plus every wait the pacer asked for, which is skipped instead of slept."""

    def __init__(self) -> None:
        self.offset = 0.0

    def clock(self) -> float:
        return time.monotonic() + self.offset

    async def sleep(self, seconds: float) -> None:
        self.offset += seconds
        await asyncio.sleep(0)


@dataclass
class PassFigures:
    label: str
    report_requests: int
    throttled: int
    seconds: float
    tap_strategy: str
    tap_done: bool
    simulator_seconds: float = 0.0  # spent answering in the simulator (Graph's own latency, here)
    sources: dict[str, int] = field(default_factory=dict)  # report requests per source

    @property
    def floor(self) -> float:
        return self.report_requests / 0.5

    @property
    def ratio(self) -> float:
        return self.seconds / self.floor if self.floor else 0.0

    @property
    def client_ratio(self) -> float:
        """The ratio without the simulator's own answering time, which runs in this process."""
        return (self.seconds - self.simulator_seconds) / self.floor if self.floor else 0.0


def passes(tenant: Path, store: StateStore) -> list[PassFigures]:
    from graphsim import GraphSimulator, ThrottleModel
    from monitor.graph.pacing import REPORTS, Pacer
    from monitor.graph.session import GraphSession
    from monitor.pipeline import run_pass
    from monitor.polling import TAP_SIGNIN_STREAM
    from monitor.settings import Settings

    virtual = VirtualTime()
    figures: list[PassFigures] = []
    with GraphSimulator(tenant, throttle=ThrottleModel(clock=virtual.clock)) as sim:
        answering = [0.0]
        engine_get = sim.engine.get

        def timed_get(*args: Any, **kwargs: Any) -> Any:
            began = time.perf_counter()
            try:
                return engine_get(*args, **kwargs)
            finally:
                answering[0] += time.perf_counter() - began

        sim.engine.get = timed_get  # type: ignore[method-assign]
        settings = Settings(graph_endpoint=sim.url, graph_credential="simulator", graph_max_retries=3)

        async def one(now: datetime, label: str) -> PassFigures:
            sim.reset()
            answering[0] = 0.0
            pacer = Pacer(budget_seconds=BUDGET_SECONDS, clock=virtual.clock, sleep=virtual.sleep)
            started = virtual.clock()
            async with GraphSession(settings, pacer=pacer) as graph:
                result = await run_pass(graph, store, settings, now)
            seconds = virtual.clock() - started
            sent = [r for r in sim.requests if REPORTS.pattern.match(r.path)]
            reports = len(sent)
            sources = Counter(_source(r.path, r.query) for r in sent)
            done = store.checkpoint(result.tenant.id, TAP_SIGNIN_STREAM) == now
            strategy = _strategy(store, result.tenant.id)
            # The next pass starts its throttle window clean, as one 10 minutes later would.
            virtual.offset += 10.0
            throttled = sim.count(status=429)
            return PassFigures(
                label, reports, throttled, seconds, strategy, done, answering[0], dict(sources)
            )

        # Warm the simulator (it parses the 100,000-sign-in file on first use): not a pass.
        import httpx

        httpx.get(
            f"{sim.url}/beta/auditLogs/signIns?$top=1", headers={"Authorization": "Bearer x"}, timeout=120
        )
        virtual.offset += 10.0
        now = NOW
        for n in range(1, 40):
            figures.append(asyncio.run(one(now, f"backfill {n}")))
            if figures[-1].tap_done:
                break
            now += timedelta(minutes=10)
        figures.append(asyncio.run(one(now + timedelta(minutes=15), "steady state")))
    return figures


def _strategy(store: StateStore, tenant_id: str) -> str:
    """How the pass read TAP sign-ins, from its run record."""
    runs = store.runs(tenant_id, limit=1)
    reads = runs[0].summary.get("reads", []) if runs else []
    tap = [r for r in reads if isinstance(r, dict) and r.get("stream") == TAP_STREAM]
    return str(tap[0].get("strategy", tap[0].get("mode", "?"))) if tap else "not read"


def _source(path: str, query: Mapping[str, str]) -> str:
    """A report request's source, user ids and paging tokens left out."""
    path = re.sub(r"/users/[^/]+/", "/users/{id}/", path)
    filtered = query.get("$filter", "")
    if "userId eq" in filtered:
        return f"{path} (one holder)"
    if "activityDisplayName" in filtered:
        return f"{path} ({filtered.rsplit('activityDisplayName eq ', 1)[-1]})"
    return path


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--holders", default="50,500,2000", help="comma-separated counts of pass holders")
    parser.add_argument("--signins", type=int, default=100_000)
    parser.add_argument(
        "--store",
        choices=("tables", "memory"),
        default="tables",
        help="Table Storage in Azurite (what production runs; the default) or the memory store",
    )
    parser.add_argument("--requests", action="store_true", help="list each pass's report requests by source")
    args = parser.parse_args()

    from examples.tenantgen import write_load_tenant

    ok = True
    print(
        "runs on: the Graph simulator over HTTP on loopback in this process (its throttle model on, sharing "
        "the pacer's virtual clock), msgraph-sdk, and "
        + ("Table Storage in Azurite" if args.store == "tables" else "the memory store")
    )
    azurite = None
    if args.store == "tables":
        from tests.conftest import AzuriteTables

        azurite = AzuriteTables().start()
    print(f"load tenants: {args.signins:,} sign-ins over 14 days; budget {BUDGET_SECONDS:.0f} s a pass")
    line = "{:>7} {:<14} {:>11} {:>11} {:>7} {:>11} {:>7} {:>6} {:>8}  {}"
    header = ("holders", "pass", "report req.", "answers 429", "pass s", "simulator s", "floor s")
    print(line.format(*header, "ratio", "w/o sim.", "TAP reading"))
    for holders in (int(h) for h in args.holders.split(",")):
        tenant = Path(tempfile.mkdtemp(prefix=f"bench-throttle-{holders}-"))
        write_load_tenant(tenant, signins=args.signins, tap_users=holders, pin_reset_share=0.05)
        if azurite is not None:
            from monitor.store.tables import open_table_store

            store: StateStore = open_table_store(azurite.connection_string, prefix=f"throttle{holders}")
        else:
            store = MemoryStore()
        try:
            figures = passes(tenant, store)
        finally:
            store.close()
            shutil.rmtree(tenant, ignore_errors=True)  # about 400 MB each, and no way to reuse it
        for f in figures:
            print(
                line.format(
                    holders,
                    f.label,
                    f.report_requests,
                    f.throttled,
                    f"{f.seconds:.1f}",
                    f"{f.simulator_seconds:.1f}",
                    f"{f.floor:.0f}",
                    f"{f.ratio:.2f}x",
                    f"{f.client_ratio:.2f}x",
                    f.tap_strategy + ("" if f.tap_done else " (goes on next pass)"),
                )
            )
            if args.requests:
                for source, count in sorted(f.sources.items(), key=lambda kv: (-kv[1], kv[0])):
                    print(f"{'':>24}{count:>5}  {source}")
            ok &= f.throttled == 0 and f.seconds <= PASS_LIMIT_SECONDS and f.ratio <= 1.15
            if f.label == "steady state" and holders >= 2000:
                ok &= f.seconds <= 60
    if azurite is not None:
        azurite.stop()
    print(
        "targets: no 429; each pass within its 10-minute limit and 1.15x its floor; 2,000-holder steady "
        "state within 60 s:",
        "met" if ok else "NOT met",
    )
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
