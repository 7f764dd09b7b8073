"""A pass that cannot read everything within its time budget stores what it read and says so; the next
pass goes on. Graph's report throttle is the simulator's model, on a fake clock: nothing here waits."""

from __future__ import annotations

import asyncio
from datetime import datetime, timedelta
from pathlib import Path

from graphsim import GraphSimulator, ThrottleModel
from monitor.collectors.tap_plan import USUAL_COUNTRIES_KIND
from monitor.graph.pacing import Pacer
from monitor.graph.session import GraphSession
from monitor.pipeline import PassResult, run_pass
from monitor.polling import TAP_SIGNIN_STREAM
from monitor.store.memory import MemoryStore
from tests.collectors.test_tap_plan import wave_tenant
from tests.graph.test_pacing import FakeTime
from tests.support import NOW, TENANT_ID, simulator_settings

TAP_RULES = ("tap.signin.failure-burst", "tap.signin.risky")


def one_pass(
    sim: GraphSimulator, store: MemoryStore, time: FakeTime, budget: float | None, now: datetime
) -> PassResult:
    settings = simulator_settings(sim.url)

    async def go() -> PassResult:
        pacer = Pacer(budget_seconds=budget, clock=time.clock, sleep=time.sleep)
        async with GraphSession(settings, pacer=pacer) as graph:
            return await run_pass(graph, store, settings, now)

    return asyncio.run(go())


def test_a_pass_out_of_budget_skips_the_tap_rules_with_its_progress_and_the_next_goes_on(
    tmp_path: Path,
) -> None:
    time = FakeTime()
    store = MemoryStore()
    # What an earlier pass measured of the tenant's sign-in rate makes a scan the cheaper read of the wave.
    store.save_inventory(TENANT_ID, USUAL_COUNTRIES_KIND, {"~tenant": {"signinsPerHour": 20}}, NOW)
    with GraphSimulator(wave_tenant(tmp_path / "t"), throttle=ThrottleModel(clock=time.clock)) as sim:
        first = one_pass(sim, store, time, 100, NOW)
        checkpoint = store.checkpoint(TENANT_ID, TAP_SIGNIN_STREAM)
        time.now += 600
        second = one_pass(sim, store, time, None, NOW + timedelta(minutes=10))
        throttled = sim.count(status=429)

    statuses = {r.rule: (r.status, r.reason) for r in first.results if r.rule in TAP_RULES}
    for status, reason in statuses.values():
        assert status == "skipped"
        assert "not yet fully read" in reason
        assert "the next pass goes on" in reason
    assert checkpoint is not None
    assert checkpoint < NOW
    assert store.checkpoint(TENANT_ID, TAP_SIGNIN_STREAM) == NOW + timedelta(minutes=10)
    assert {r.rule: r.status for r in second.results if r.rule in TAP_RULES} == {
        "tap.signin.failure-burst": "pass",
        "tap.signin.risky": "fail",
    }
    assert throttled == 0
