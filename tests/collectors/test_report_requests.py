"""What a steady pass asks of Graph's identity and access reports (5 requests per 10 s per tenant).

The sign-in log documents `$filter`, `$top` and `$skiptoken` only ("List signIns") and Graph has answered
`$select` there with 400. The collectors used to ask for it anyway, so every pass spent one report request
on a refusal it had already had the pass before, then read whole sign-ins. They no longer ask: a steady
pass where Graph refuses `$select` now sends exactly the report requests of one where Graph would accept
it, one fewer than before, and stores the same findings and records.
"""

from __future__ import annotations

import asyncio
from datetime import timedelta
from pathlib import Path
from typing import Any

import orjson

from graphsim import GraphSimulator
from graphsim.server import RequestRecord
from monitor.graph.pacing import REPORTS
from monitor.graph.session import GraphSession
from monitor.pipeline import run_pass
from monitor.store.memory import MemoryStore
from tests.crash import state, write_crash_tenant
from tests.support import NOW, simulator_settings

SIGNINS = "/auditLogs/signIns"


def steady_pass(snapshot: Path) -> tuple[list[RequestRecord], dict[str, Any]]:
    """A first pass, then one 15 minutes later: the second pass's requests, and the store after it."""
    store = MemoryStore()
    with GraphSimulator(snapshot) as sim:

        async def one(now: Any) -> None:
            settings = simulator_settings(sim.url)
            async with GraphSession(settings, transport_retry_delay=0.01) as graph:
                await run_pass(graph, store, settings, now)

        asyncio.run(one(NOW))
        sim.reset()
        asyncio.run(one(NOW + timedelta(minutes=15)))
        requests = list(sim.requests)
    return requests, state(store)


def reports(requests: list[RequestRecord]) -> list[RequestRecord]:
    return [r for r in requests if REPORTS.pattern.match(r.path)]


def test_a_steady_pass_spends_no_report_request_on_a_refused_select(tmp_path: Path) -> None:
    refusing = write_crash_tenant(tmp_path / "refusing")  # Graph as documented: $select refused
    accepting = write_crash_tenant(tmp_path / "accepting")
    (accepting / "_simulator.json").write_bytes(
        orjson.dumps({"queryOptions": {"beta/auditLogs/signIns": ["$select"]}})
    )

    refused_requests, refused_state = steady_pass(refusing)
    accepted_requests, accepted_state = steady_pass(accepting)

    signins = [r for r in refused_requests if r.path.endswith(SIGNINS)]
    assert signins
    assert not any("$select" in r.query for r in signins)
    assert [r.status for r in refused_requests if r.status != 200] == []
    # Before, the refusing tenant cost one request more than the accepting one: the refused $select.
    assert len(reports(refused_requests)) == len(reports(accepted_requests))
    assert [(r.path, dict(r.query)) for r in reports(refused_requests)] == [
        (r.path, dict(r.query)) for r in reports(accepted_requests)
    ]
    # The same result: the findings and every record the passes stored.
    assert refused_state["findings"]
    assert refused_state == accepted_state


def test_what_the_select_cost_where_graph_refuses_it(tmp_path: Path) -> None:
    """The request the collectors no longer send: a sign-in query with $select costs two report requests
    where Graph refuses it (the 400, then the same query without it), one without."""
    from monitor.collectors.signins import signin_queries

    _, _, query = signin_queries(NOW - timedelta(hours=3), NOW)[0]
    with GraphSimulator(write_crash_tenant(tmp_path / "t")) as sim:

        async def read(with_select: bool) -> None:
            asked = {**query, "$select": "id,createdDateTime,status"} if with_select else query
            async with GraphSession(simulator_settings(sim.url), transport_retry_delay=0.01) as graph:
                url = graph.url("beta", "auditLogs/signIns", asked)
                async for _ in graph.pages(url, source="beta/auditLogs/signIns", permission="-"):
                    pass

        asyncio.run(read(with_select=True))
        with_select = [r.status for r in reports(sim.requests)]
        sim.reset()
        asyncio.run(read(with_select=False))
        without = [r.status for r in reports(sim.requests)]
    assert (with_select, without) == ([400, 200], [200])
