"""TAP sign-ins read the cheaper way per pass, with holders' usual countries kept between passes."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from graphsim import GraphSimulator, ThrottleModel
from monitor.collectors.auth_audits import read_auth_method_audits
from monitor.collectors.tap_plan import (
    TapKnowledge,
    TapPlanRead,
    UsualCountries,
    holder_windows,
    plan,
    read_tap_signins_planned,
)
from monitor.graph.pacing import Pacer
from monitor.graph.session import GraphSession
from monitor.records import TapIssuance, TapSignIn, UnusableItem
from tests.graph.test_pacing import FakeTime
from tests.support import NOW, graph_signin, simulator_settings, tap_audit, user_id_of, write, write_tenant

SIGNINS = "auditLogs/signIns"
START = NOW - timedelta(days=14)
WINDOW_START = NOW - timedelta(hours=3)
WAVE = 40
LIFETIME = 600  # minutes: every pass of the wave may still be valid in the window


@pytest.fixture(scope="module")
def snapshot(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return wave_tenant(tmp_path_factory.mktemp("tenant"))


def wave_tenant(root: Path) -> Path:
    """5,000 ordinary sign-ins of 50 users over 10 days; an onboarding wave gave 40 of them a pass in the
    last 10 hours, each used once; the last of them from another country."""
    noise = [
        graph_signin(
            100_000 + i,
            NOW - timedelta(days=10) + i * timedelta(minutes=2.8),
            app_id="00000003-0000-0000-c000-000000000000",
            user=f"user{i % 50:02d}",
        )
        for i in range(5000)
    ]
    issued = {f"user{n:02d}": NOW - timedelta(hours=10) + n * timedelta(minutes=14) for n in range(WAVE)}
    taps = [
        graph_signin(
            n + 1,
            at + timedelta(minutes=5),
            user=user,
            methods=("Temporary Access Pass",),
            country="NG" if user == f"user{WAVE - 1:02d}" else "DE",
        )
        for n, (user, at) in enumerate(issued.items())
    ]
    signins = sorted(noise + taps, key=lambda s: s["createdDateTime"], reverse=True)
    root = write_tenant(root, signins=signins)
    audits = [tap_audit(n + 1, user, at) for n, (user, at) in enumerate(issued.items())]
    write(root, "v1.0/auditLogs/directoryAudits", {"value": audits})
    return root


@pytest.fixture(scope="module")
def simulator(snapshot: Path) -> Iterator[GraphSimulator]:
    with GraphSimulator(snapshot) as sim:
        yield sim


@pytest.fixture(autouse=True)
def fresh(simulator: GraphSimulator) -> None:
    simulator.reset()


def run(simulator: GraphSimulator, work: Any, pacer: Pacer | None = None) -> Any:
    async def go() -> Any:
        async with GraphSession(simulator_settings(simulator.url), pacer=pacer) as graph:
            return await work(graph)

    return asyncio.run(go())


def wave(simulator: GraphSimulator, holders: int = WAVE) -> list[TapIssuance]:
    async def read(graph: GraphSession) -> list[TapIssuance]:
        return (await read_auth_method_audits(graph, START, NOW)).issuances

    found: list[TapIssuance] = run(simulator, read)
    simulator.reset()
    return found[:holders]


def planned(
    simulator: GraphSimulator,
    issuances: list[TapIssuance],
    knowledge: TapKnowledge,
    start: datetime = WINDOW_START,
    pacer: Pacer | None = None,
) -> tuple[TapPlanRead, list[TapSignIn], list[datetime]]:
    kept: list[TapSignIn] = []
    checkpoints: list[datetime] = []

    def keep(found: list[TapSignIn], until: datetime, unusable: list[UnusableItem]) -> None:
        assert unusable == []
        kept.extend(found)
        checkpoints.append(until)

    async def read(graph: GraphSession) -> TapPlanRead:
        return await read_tap_signins_planned(
            graph, issuances, start, NOW, knowledge, history_days=14, fallback_lifetime=LIFETIME, keep=keep
        )

    return run(simulator, read, pacer), kept, checkpoints


def test_few_holders_are_read_per_user_and_a_wave_by_scanning_the_window() -> None:
    knowledge = TapKnowledge(signins_per_hour=20.0)
    one = {"u1": (NOW - timedelta(hours=1), NOW)}
    many = {f"u{n}": (NOW - timedelta(hours=1), NOW) for n in range(40)}
    few_plan = plan(one, knowledge, WINDOW_START, NOW, 14)
    wave_plan = plan(many, knowledge, WINDOW_START, NOW, 14)
    # 14 days of history before the earliest pass: 15 one-day chunks, 20 an hour = 7 pages.
    assert (few_plan.strategy, few_plan.per_user_requests, few_plan.scan_requests) == ("per-user", 1, 15)
    assert (wave_plan.strategy, wave_plan.per_user_requests, wave_plan.scan_requests) == (
        "window-scan",
        40,
        15,
    )


def test_a_wave_is_scanned_and_finds_what_per_user_queries_find(simulator: GraphSimulator) -> None:
    issuances = wave(simulator)
    read, found, checkpoints = planned(simulator, issuances, TapKnowledge(signins_per_hour=20.0))
    scan_requests = simulator.count(path_contains=SIGNINS, status=200)
    simulator.reset()
    # A tenant believed to be far busier makes the same reader query each holder instead.
    by_user, expected, _ = planned(simulator, issuances, TapKnowledge(signins_per_hour=1_000_000.0))
    per_user_requests = simulator.count(path_contains=SIGNINS, status=200)

    assert (read.plan.strategy, by_user.plan.strategy) == ("window-scan", "per-user")
    assert sorted(s.id for s in found) == sorted(s.id for s in expected)
    assert [s.country for s in found if s.prior_countries and s.country not in s.prior_countries] == ["NG"]
    assert (scan_requests, per_user_requests) == (read.plan.scan_requests, WAVE)
    assert checkpoints[-1] == NOW


def test_usual_countries_learned_once_shorten_the_next_passes_queries(simulator: GraphSimulator) -> None:
    issuances = wave(simulator)[-1:]  # one pass: per-user
    knowledge = TapKnowledge(signins_per_hour=20.0)
    first, found, _ = planned(simulator, issuances, knowledge)
    first_filters = [r.query["$filter"] for r in simulator.requests if r.status == 200]
    simulator.reset()
    second, again, _ = planned(simulator, issuances, TapKnowledge.from_inventory(knowledge.to_inventory()))
    second_filters = [r.query["$filter"] for r in simulator.requests if r.status == 200]

    assert (first.plan.strategy, second.plan.strategy) == ("per-user", "per-user")
    assert [s.id for s in again] == [s.id for s in found]
    assert [s.prior_countries for s in again] == [s.prior_countries for s in found] == [("DE",)]
    # The first pass reached 14 days back; the second only to the polling window's start.
    assert all("createdDateTime ge 2026-11-0" in f for f in first_filters)
    assert all("createdDateTime ge 2026-11-20T09:00:00Z" in f for f in second_filters)
    assert second.received < first.received / 10


def test_a_scan_out_of_budget_keeps_whole_chunks_and_the_next_pass_goes_on(simulator: GraphSimulator) -> None:
    issuances = wave(simulator)
    knowledge = TapKnowledge(signins_per_hour=20.0)
    clock = FakeTime()
    simulator_throttle = ThrottleModel(clock=clock.clock)
    with GraphSimulator(simulator.snapshot.root, throttle=simulator_throttle) as throttled:
        pacer = Pacer(budget_seconds=15, clock=clock.clock, sleep=clock.sleep)
        first, found, checkpoints = planned(throttled, issuances, knowledge, pacer=pacer)
        assert first.problem is not None
        assert first.problem.kind == "skipped"
        assert "time budget" in first.problem.reason
        assert throttled.count(status=429) == 0
        assert first.covered_until == checkpoints[-1] < NOW
        resume = TapKnowledge.from_inventory(knowledge.to_inventory())
        clock.now += 900  # the next pass, 15 minutes later
        pacer = Pacer(clock=clock.clock, sleep=clock.sleep)
        second, more, _ = planned(throttled, issuances, resume, start=first.covered_until, pacer=pacer)
    assert second.problem is None
    assert throttled.count(status=429) == 0
    assert len(found) + len(more) == WAVE


def test_usual_countries_round_trip_through_the_inventory_shape() -> None:
    known = UsualCountries(through=NOW)
    known.learn(NOW - timedelta(days=3), "DE", True)
    known.learn(NOW - timedelta(days=1), "DE", True)
    known.learn(NOW - timedelta(days=2), "FR", False)  # failed: not a usual country
    again = UsualCountries.from_state(known.to_state())
    assert again == known
    assert again.before(NOW, NOW - timedelta(days=14)) == ("DE",)
    assert again.before(NOW - timedelta(days=4), NOW - timedelta(days=14)) == ()


def test_holder_windows_span_each_holders_passes() -> None:
    alice = user_id_of("user01")
    passes = [
        TapIssuance("a1", alice, "", NOW - timedelta(hours=5), "helpdesk", ""),
        TapIssuance("a2", alice, "", NOW - timedelta(hours=2), "helpdesk", ""),
        TapIssuance("old", "bob", "", NOW - timedelta(days=5), "helpdesk", ""),
    ]
    assert holder_windows(passes, WINDOW_START, NOW, 60) == {
        alice: (NOW - timedelta(hours=2), NOW - timedelta(hours=1))  # the first pass ended before
    }
