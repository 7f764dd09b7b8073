"""The log stream and the poll store the same sign-ins once, whichever comes first; what the stream
delivers is judged at once from stored state (no Graph)."""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Iterator
from dataclasses import replace
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest

from graphsim import GraphSimulator
from monitor.entra import PIN_RESET_CLIENT_APP_ID
from monitor.graph.session import GraphSession
from monitor.ingest.resource_logs import LogBatch, read_records
from monitor.ingest.stream import TenantIngest, store_batch
from monitor.pipeline import run_pass
from monitor.records import TapSignIn
from monitor.store.base import StateStore
from monitor.store.ingest import MemoryIngestStore
from monitor.store.memory import MemoryStore
from monitor.store.tables import open_table_store
from tests.ingest.samples import signin_record, tap_issuance_record
from tests.support import NOW, TENANT_ID, graph_signin, simulator_settings, write_tenant

CREATED = NOW - timedelta(minutes=40)
SETTINGS = simulator_settings("http://127.0.0.1:1")


@pytest.fixture(params=["memory", "tables"])
def store(request: pytest.FixtureRequest) -> Iterator[StateStore]:
    if request.param == "memory":
        yield MemoryStore()
        return
    table_store = open_table_store(
        request.getfixturevalue("azurite"), prefix=request.getfixturevalue("table_prefix")
    )
    yield table_store
    table_store.close()


def stream_record(item: dict[str, Any], category: str = "SignInLogs") -> dict[str, Any]:
    """A Graph sign-in as the diagnostic setting streams it: no signInEventTypes, an envelope around it."""
    properties = {k: v for k, v in item.items() if k != "signInEventTypes"}
    return {
        "time": item["createdDateTime"],
        "category": category,
        "tenantId": TENANT_ID,
        "resultType": str(item["status"]["errorCode"]),
        "properties": properties,
    }


def stream(store: StateStore, *records: dict[str, Any]) -> TenantIngest:
    batch = LogBatch()
    read_records(records, batch)
    (done,) = store_batch(store, batch, NOW, SETTINGS)
    return done


def poll(tmp_path: Path, store: StateStore, signins: list[dict[str, Any]]) -> None:
    snapshot = write_tenant(tmp_path / f"tenant{len(list(tmp_path.iterdir()))}", signins=signins)

    async def go() -> None:
        with GraphSimulator(snapshot) as sim:
            settings = simulator_settings(sim.url)
            async with GraphSession(settings, transport_retry_delay=0.01) as graph:
                await run_pass(graph, store, settings, NOW, MemoryIngestStore())

    asyncio.run(go())


def counted(store: StateStore) -> list[tuple[str, int, int]]:
    hours = store.signin_hours(TENANT_ID, NOW - timedelta(days=1), NOW + timedelta(hours=1))
    return [(h.hour.strftime("%H"), h.error_code, h.count) for h in hours]


@pytest.mark.parametrize("first", ["stream", "poll"])
def test_a_signin_seen_by_the_stream_and_the_poll_is_stored_and_counted_once(
    first: str, store: StateStore, tmp_path: Path
) -> None:
    signin = graph_signin(1, CREATED, error_code=65001)
    paths: dict[str, Callable[[], object]] = {
        "stream": lambda: stream(store, stream_record(signin)),
        "poll": lambda: poll(tmp_path, store, [signin]),
    }
    for path in (first, *(p for p in paths if p != first)):
        paths[path]()

    stored = store.pin_reset_signins(TENANT_ID, NOW - timedelta(days=1), NOW)
    assert [(s.id, s.error_code, s.app_id) for s in stored] == [
        (signin["id"], 65001, PIN_RESET_CLIENT_APP_ID)
    ]
    assert counted(store) == [("11", 65001, 1)]


def test_a_signin_the_stream_stored_before_graph_shows_it_still_counts_after_a_poll(
    store: StateStore, tmp_path: Path
) -> None:
    polled = graph_signin(1, CREATED - timedelta(minutes=5))
    streamed = graph_signin(2, CREATED, error_code=65001)
    stream(store, stream_record(streamed))

    poll(tmp_path, store, [polled])  # Graph's log latency: the streamed sign-in is not there yet

    assert counted(store) == [("11", 0, 1), ("11", 65001, 1)]


def test_a_consent_failure_on_the_stream_opens_its_finding_in_that_invocation(store: StateStore) -> None:
    done = stream(store, signin_record(created="2026-11-20T11:02:15.5522137+00:00", error_code=65001))

    assert (done.pin_reset_signins, [f.key for f in done.changes.opened]) == (
        1,
        [("signin.pin-reset.consent-errors", TENANT_ID)],
    )
    ran = {r.rule for r in done.results}
    # Only rules whose every fact the store holds ran: nothing about devices, policies or roles.
    assert "signin.pin-reset.consent-errors" in ran
    assert "device.pin-reset.unsupported-os" not in ran
    assert "tap.issued.privileged-user" not in ran
    assert [(f.rule, f.status) for f in store.findings(TENANT_ID)] == [
        ("signin.pin-reset.consent-errors", "open")
    ]


def test_a_risky_tap_signin_on_the_stream_opens_its_finding_tied_to_the_stored_pass(
    store: StateStore,
) -> None:
    stream(store, tap_issuance_record())
    tap = signin_record(
        "7a900000-0000-4000-8000-000000000001",
        created="2026-11-20T11:30:00.0000000+00:00",
        app_id="c44b4083-3bb0-49c1-b47d-974e53cbdf3c",
        error_code=0,
        methods=("Temporary Access Pass",),
        risk="high",
    )
    tap["properties"]["resourceId"] = "797f4846-ba00-4fd7-ba43-dac1f8f63013"

    done = stream(store, tap)

    assert [f.key for f in done.changes.opened] == [
        ("tap.signin.risky", "00000042-0000-4000-8000-000000000000")
    ]
    (stored,) = store.tap_signins(TENANT_ID, NOW - timedelta(days=1), NOW)
    assert stored.issuance is not None
    assert (stored.issuance.audit_id, stored.issuance.issued_by) == (
        "Directory_5e7a1b2c-0000-4000-8000-000000000001",
        "helpdesk@contoso.com",
    )


def test_the_stream_keeps_what_the_poll_knew_of_a_tap_signin_and_its_pass(store: StateStore) -> None:
    record = signin_record(
        "7a900000-0000-4000-8000-000000000002",
        created="2026-11-20T11:30:00.0000000+00:00",
        error_code=0,
        methods=("Temporary Access Pass",),
    )
    batch = LogBatch()
    read_records([record, tap_issuance_record()], batch)
    found = batch.tenants[TENANT_ID]
    polled_issuance = replace(
        found.tap_issuances[0], lifetime_minutes=60, usable_once=True, usability="OneTimeUsed"
    )
    polled_signin: TapSignIn = replace(
        found.tap_signins[0], prior_countries=("DE", "FR"), issuance=polled_issuance
    )
    store.save_tap_issuances(TENANT_ID, [polled_issuance])
    store.save_tap_signins(TENANT_ID, [polled_signin])

    done = stream(store, record, tap_issuance_record())

    assert (done.tap_issuances, done.tap_signins) == (0, 1)
    (kept,) = store.tap_issuances(TENANT_ID, NOW - timedelta(days=1))
    assert (kept.lifetime_minutes, kept.usability) == (60, "OneTimeUsed")
    (signin,) = store.tap_signins(TENANT_ID, NOW - timedelta(days=1), NOW)
    assert signin.prior_countries == ("DE", "FR")
    assert signin.issuance is not None
    assert signin.issuance.usability == "OneTimeUsed"
