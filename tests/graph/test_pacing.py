"""Graph's query rules and report throttle, as the session meets them: $select refused or accepted,
requests paced per throttle class, and the pass's time budget. Clocks are fake: nothing here waits."""

from __future__ import annotations

import asyncio
from datetime import timedelta
from pathlib import Path
from typing import Any

import orjson
import pytest

from graphsim import GraphSimulator, ThrottleModel
from monitor.graph.errors import GraphReadError
from monitor.graph.pacing import REPORTS, BudgetExhausted, Pacer
from monitor.graph.session import GraphSession, without_select
from tests.support import NOW, signin_series, simulator_settings, write_tenant

SIGNINS = "beta/auditLogs/signIns"
AUDITS = "v1.0/auditLogs/directoryAudits"


class FakeTime:
    """A clock that only moves when the code under test sleeps."""

    def __init__(self) -> None:
        self.now = 5000.0
        self.sleeps: list[float] = []

    def clock(self) -> float:
        return self.now

    async def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.now += seconds


@pytest.fixture
def snapshot(tmp_path: Path) -> Path:
    return write_tenant(
        tmp_path / "tenant",
        signins=signin_series(30, start=NOW - timedelta(hours=3), step=timedelta(minutes=5)),
    )


def read_signins(sim: GraphSimulator, reads: int = 2, **kwargs: Any) -> tuple[list[list[str]], GraphSession]:
    """`reads` times the same sign-in query with $select, in one session; the keys of the first item."""

    async def go() -> tuple[list[list[str]], GraphSession]:
        async with GraphSession(simulator_settings(sim.url), **kwargs) as graph:
            keys: list[list[str]] = []
            for _ in range(reads):
                url = graph.url("beta", "auditLogs/signIns", {"$select": "id,createdDateTime", "$top": 1000})
                items = [i async for page in graph.pages(url, source=SIGNINS, permission="p") for i in page]
                keys.append(sorted(items[0]))
            return keys, graph

    return asyncio.run(go())


def test_a_refused_select_is_read_without_it_once_and_remembered_for_the_pass(snapshot: Path) -> None:
    with GraphSimulator(snapshot) as sim:
        keys, graph = read_signins(sim)
        statuses = [(r.status, "$select" in r.query) for r in sim.requests]
    assert statuses == [(400, True), (200, False), (200, False)]
    assert graph.select_refused == {SIGNINS}
    assert keys[0] == keys[1]
    assert "status" in keys[0]  # whole items


def test_an_accepted_select_is_kept(snapshot: Path) -> None:
    (snapshot / "_simulator.json").write_bytes(
        orjson.dumps({"queryOptions": {"beta/auditLogs/signIns": ["$select"]}})
    )
    with GraphSimulator(snapshot) as sim:
        keys, graph = read_signins(sim)
        statuses = [(r.status, "$select" in r.query) for r in sim.requests]
    assert statuses == [(200, True), (200, True)]
    assert graph.select_refused == set()
    assert keys == [["createdDateTime", "id"], ["createdDateTime", "id"]]


def test_other_400s_are_not_retried_without_select(snapshot: Path) -> None:
    async def go(url: str) -> None:
        async with GraphSession(simulator_settings(url)) as graph:
            bad = graph.url("beta", "auditLogs/signIns", {"$filter": "authenticationDetails eq 'x'"})
            async for _ in graph.pages(bad, source=SIGNINS, permission="p"):
                pass

    with GraphSimulator(snapshot) as sim, pytest.raises(GraphReadError, match="Invalid filter clause"):
        asyncio.run(go(sim.url))
    assert sim.count() == 1


def test_without_select_drops_only_select() -> None:
    url = "https://g/beta/auditLogs/signIns?%24filter=a%20eq%201&%24select=id,x&%24top=1000"
    assert without_select(url) == "https://g/beta/auditLogs/signIns?%24filter=a%20eq%201&%24top=1000"
    assert without_select("https://g/v1.0/x?$select=id") == "https://g/v1.0/x"


def test_pacing_keeps_twelve_report_requests_under_the_throttle_with_no_429(snapshot: Path) -> None:
    time = FakeTime()
    pacer = Pacer(clock=time.clock, sleep=time.sleep)

    async def go(url: str) -> GraphSession:
        async with GraphSession(simulator_settings(url), pacer=pacer) as graph:
            for _ in range(12):
                await graph.entity(
                    graph.url("v1.0", "auditLogs/directoryAudits"), source=AUDITS, permission="p"
                )
            await graph.entity(graph.url("v1.0", "organization"), source="v1.0/organization", permission="p")
            return graph

    with GraphSimulator(snapshot, throttle=ThrottleModel(clock=time.clock)) as sim:
        graph = asyncio.run(go(sim.url))
    assert (sim.count(status=200), sim.count(status=429), graph.stats.throttled) == (13, 0, 0)
    # 12 requests at 5 per 10 s: two waits of one window each; the organization did not wait.
    assert (pacer.paced, time.sleeps) == (2, [10.0, 10.0])


def test_without_pacing_the_throttle_model_answers_429(snapshot: Path) -> None:
    time = FakeTime()
    unpaced = Pacer(classes=(), clock=time.clock, sleep=time.sleep)

    async def go(url: str) -> None:
        async with GraphSession(simulator_settings(url, graph_max_retries=0), pacer=unpaced) as graph:
            for _ in range(6):
                await graph.entity(
                    graph.url("v1.0", "auditLogs/directoryAudits"), source=AUDITS, permission="p"
                )

    with (
        GraphSimulator(snapshot, throttle=ThrottleModel(clock=time.clock)) as sim,
        pytest.raises(GraphReadError, match="throttled"),
    ):
        asyncio.run(go(sim.url))
    assert sim.count(status=429) == 1


def test_a_request_that_would_wait_past_the_budget_is_not_sent(snapshot: Path) -> None:
    time = FakeTime()
    pacer = Pacer(budget_seconds=15, clock=time.clock, sleep=time.sleep)
    answered = 0

    async def go(url: str) -> None:
        nonlocal answered
        async with GraphSession(simulator_settings(url), pacer=pacer) as graph:
            for _ in range(20):
                await graph.entity(
                    graph.url("v1.0", "auditLogs/directoryAudits"), source=AUDITS, permission="p"
                )
                answered += 1

    with GraphSimulator(snapshot, throttle=ThrottleModel(clock=time.clock)) as sim:
        with pytest.raises(BudgetExhausted) as caught:
            asyncio.run(go(sim.url))
        sent = sim.count()
    # Two windows' worth fit in 15 s (at 0 s and at 10 s); the 11th would wait until 20 s.
    assert (answered, sent) == (10, 10)
    assert (caught.value.kind, caught.value.source) == ("skipped", AUDITS)
    assert "time budget" in caught.value.reason


def test_the_reports_class_covers_audits_sign_ins_and_authentication_methods() -> None:
    paths = [
        "/beta/auditLogs/signIns",
        "/v1.0/auditLogs/directoryAudits",
        "/v1.0/users/u1/authentication/temporaryAccessPassMethods",
        "/v1.0/users/u1",
        "/v1.0/roleManagement/directory/roleAssignments",
    ]
    assert [bool(REPORTS.pattern.match(p)) for p in paths] == [True, True, True, False, False]
