"""The real msgraph-sdk client (request adapter, RetryHandler, auth) against the Graph simulator."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import orjson
import pytest

from graphsim import Fault, GraphSimulator
from monitor.collectors.directory import read_consent, read_tenant
from monitor.entra import PIN_RESET_CLIENT_APP_ID, PIN_RESET_SERVICE_APP_ID
from monitor.graph.errors import GraphReadError, MalformedPage
from monitor.graph.session import GraphSession
from tests.support import NOW, TENANT_ID, signin_series, simulator_settings, write_tenant

SIGNINS = "beta/auditLogs/signIns"


@pytest.fixture(scope="module")
def simulator(tmp_path_factory: pytest.TempPathFactory) -> Iterator[GraphSimulator]:
    snapshot = write_tenant(
        tmp_path_factory.mktemp("tenant"),
        service="disabled",
        signins=signin_series(2500, start=NOW - timedelta(days=2), step=timedelta(seconds=60)),
    )
    with GraphSimulator(snapshot) as sim:
        yield sim


@pytest.fixture(autouse=True)
def fresh(simulator: GraphSimulator) -> None:
    simulator.reset()


def read_all(simulator: GraphSimulator, **settings: Any) -> tuple[list[dict[str, Any]], GraphSession]:
    async def go() -> tuple[list[dict[str, Any]], GraphSession]:
        async with GraphSession(
            simulator_settings(simulator.url, **settings), transport_retry_delay=0.01
        ) as graph:
            url = graph.url("beta", "auditLogs/signIns", {"$top": 1000})
            items: list[dict[str, Any]] = []
            async for page in graph.pages(url, source=SIGNINS, permission="AuditLog.Read.All"):
                items.extend(page)
            return items, graph

    return asyncio.run(go())


def test_pages_follow_next_links_until_the_collection_ends(simulator: GraphSimulator) -> None:
    items, graph = read_all(simulator)
    assert len(items) == 2500
    assert len({item["id"] for item in items}) == 2500
    assert simulator.count(path_contains=SIGNINS) == 3
    assert graph.stats.requests == 3


def test_a_429_is_retried_by_the_sdk_after_the_retry_after_it_names(simulator: GraphSimulator) -> None:
    simulator.add_fault(Fault("429", path=SIGNINS, after=1, times=1, retry_after=1))
    items, graph = read_all(simulator)
    assert len(items) == 2500
    assert [r.status for r in simulator.requests] == [200, 429, 200, 200]
    assert (graph.stats.requests, graph.stats.throttled) == (4, 1)


def test_a_retry_after_beyond_the_sdk_limit_is_not_waited_out_and_reads_as_throttled(
    simulator: GraphSimulator,
) -> None:
    # kiota's RetryHandler gives up at once when Retry-After is 180 s or more.
    simulator.add_fault(Fault("429", path=SIGNINS, times=1, retry_after=600))
    with pytest.raises(
        GraphReadError, match=r"throttled: beta/auditLogs/signIns still answered 429"
    ) as failure:
        read_all(simulator)
    assert (failure.value.kind, simulator.count(path_contains=SIGNINS)) == ("error", 1)


def test_a_503_is_retried(simulator: GraphSimulator) -> None:
    simulator.add_fault(Fault("503", path=SIGNINS, times=1))
    items, graph = read_all(simulator)
    assert len(items) == 2500
    assert [r.status for r in simulator.requests] == [503, 200, 200, 200]
    assert graph.stats.unavailable == 1


def test_a_504_that_never_ends_is_an_error_after_the_configured_retries(simulator: GraphSimulator) -> None:
    simulator.add_fault(Fault("504", path=SIGNINS, times=None))
    with pytest.raises(GraphReadError, match="Graph answered 504"):
        read_all(simulator, graph_max_retries=2)
    assert simulator.count(path_contains=SIGNINS) == 3


def test_a_malformed_page_is_fetched_again_once(simulator: GraphSimulator) -> None:
    simulator.add_fault(Fault("malformed", path=SIGNINS, after=1, times=1))
    items, graph = read_all(simulator)
    assert len(items) == 2500
    assert graph.stats.malformed_retries == 1
    assert simulator.count(path_contains=SIGNINS) == 4


def test_a_page_that_stays_malformed_is_reported_with_its_number_not_swallowed(
    simulator: GraphSimulator,
) -> None:
    simulator.add_fault(Fault("malformed", path=SIGNINS, after=1, times=None))
    with pytest.raises(
        MalformedPage, match=r"page 2 of beta/auditLogs/signIns is malformed \(invalid JSON"
    ) as failure:
        read_all(simulator)
    assert (failure.value.kind, failure.value.page) == ("error", 2)


def test_a_dropped_connection_is_retried(simulator: GraphSimulator) -> None:
    simulator.add_fault(Fault("drop", path=SIGNINS, after=2, times=1))
    items, graph = read_all(simulator)
    assert len(items) == 2500
    assert graph.stats.transport_retries == 1
    assert [r.status for r in simulator.requests] == [200, 200, None, 200]


def test_a_connection_that_keeps_dropping_is_an_error(simulator: GraphSimulator) -> None:
    simulator.add_fault(Fault("drop", path=SIGNINS, times=None))
    with pytest.raises(GraphReadError, match=r"beta/auditLogs/signIns: connection failed 4 times"):
        read_all(simulator)


def test_typed_builders_read_service_principals_and_the_tenant(simulator: GraphSimulator) -> None:
    async def go() -> tuple[Any, Any]:
        async with GraphSession(simulator_settings(simulator.url)) as graph:
            return await read_tenant(graph), await read_consent(graph)

    tenant, consent = asyncio.run(go())
    assert (tenant.id, tenant.display_name) == (TENANT_ID, "Contoso")
    service = consent[PIN_RESET_SERVICE_APP_ID].principal
    assert service is not None
    assert (service.object_id, service.account_enabled) == ("aaaaaaaa-0000-4000-8000-000000000001", False)
    assert consent[PIN_RESET_CLIENT_APP_ID].principal is not None
    filters = [r.query.get("$filter") for r in simulator.requests if "serviceprincipals" in r.path.lower()]
    assert filters == [f"appId eq '{PIN_RESET_SERVICE_APP_ID}'", f"appId eq '{PIN_RESET_CLIENT_APP_ID}'"]


@pytest.mark.parametrize(
    ("code", "kind", "reason"),
    [
        (
            "Authentication_RequestFromNonPremiumTenantOrB2CTenant",
            "skipped",
            "licence missing: beta/auditLogs/signIns needs Microsoft Entra ID P1 or P2",
        ),
        (
            "Authorization_RequestDenied",
            "skipped",
            "permission missing: beta/auditLogs/signIns needs AuditLog.Read.All",
        ),
    ],
)
def test_a_403_is_classified_as_skipped_with_what_to_grant(
    tmp_path: Path, code: str, kind: str, reason: str
) -> None:
    snapshot = write_tenant(tmp_path)
    (snapshot / "_simulator.json").write_bytes(
        orjson.dumps({"responses": [{"path": SIGNINS, "status": 403, "code": code, "message": "no"}]})
    )
    with GraphSimulator(snapshot) as sim, pytest.raises(GraphReadError) as failure:
        read_all(sim)
    assert failure.value.kind == kind
    assert failure.value.reason.startswith(reason)
