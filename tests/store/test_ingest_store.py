"""The ingest store's contract, for memory and Table Storage alike: device reports and the pass gate."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import replace
from datetime import timedelta
from typing import Any

import pytest

from monitor.records import DeviceReport
from monitor.store.ingest import (
    IngestStore,
    MemoryIngestStore,
    PassGate,
    gate_decision,
    open_table_ingest_store,
)
from tests.support import NOW, TENANT_ID

WINDOW = timedelta(seconds=60)
REPORT = DeviceReport(
    intune_device_id="0d5e0000-0000-4000-8000-000000000001",
    tenant_id=TENANT_ID,
    received=NOW,
    collected=NOW - timedelta(minutes=5),
    can_reset="DestructiveOnly",
    ngc_set=True,
    ngc_key_id="{FA0DB076-A5D7-4844-82D8-50A2FB42EC7B}",
    workplace_joined=False,
    azure_ad_joined=True,
    domain_joined=None,
    entra_device_id="ad000000-0000-4000-8000-000000000001",
    user_principal_name="user1@contoso.com",
)


@pytest.fixture(params=["memory", "tables"])
def new_store(request: pytest.FixtureRequest) -> Iterator[Callable[[], IngestStore]]:
    opened: list[Any] = []

    def make() -> IngestStore:
        if request.param == "memory":
            if not opened:
                opened.append(MemoryIngestStore())
            return opened[0]  # one process's memory: every "new" store is the same one
        store = open_table_ingest_store(
            request.getfixturevalue("azurite"), prefix=request.getfixturevalue("table_prefix")
        )
        opened.append(store)
        return store

    yield make
    for store in opened:
        store.close()


def test_a_report_is_kept_as_it_was_sent(new_store: Callable[[], IngestStore]) -> None:
    store = new_store()
    store.save_device_report(REPORT)

    assert new_store().latest_device_reports(TENANT_ID) == [REPORT]


def test_the_latest_report_of_a_device_stays_the_newest_whatever_order_they_arrive_in(
    new_store: Callable[[], IngestStore],
) -> None:
    store = new_store()
    newer = replace(REPORT, collected=NOW, can_reset="DestructiveAndNonDestructive")
    older = replace(REPORT, collected=NOW - timedelta(days=1), received=NOW + timedelta(minutes=1))
    other = replace(REPORT, intune_device_id="0d5e0000-0000-4000-8000-000000000002")
    for report in (newer, older, other):
        store.save_device_report(report)

    latest = {r.intune_device_id: r.can_reset for r in store.latest_device_reports(TENANT_ID)}
    assert latest == {
        REPORT.intune_device_id: "DestructiveAndNonDestructive",
        other.intune_device_id: "DestructiveOnly",
    }
    history = store.device_reports(TENANT_ID, REPORT.intune_device_id)
    assert [r.collected for r in history] == [newer.collected, older.collected]
    assert store.latest_device_reports("another-tenant") == []


def test_saving_a_report_twice_keeps_one(new_store: Callable[[], IngestStore]) -> None:
    store = new_store()
    store.save_device_report(REPORT)
    store.save_device_report(REPORT)

    assert store.device_reports(TENANT_ID, REPORT.intune_device_id) == [REPORT]


def test_one_claim_opens_the_gate_and_alerts_from_before_it_are_covered(
    new_store: Callable[[], IngestStore],
) -> None:
    store = new_store()
    received = NOW - timedelta(seconds=5)

    assert store.claim_pass(TENANT_ID, received, NOW, WINDOW) is True
    assert new_store().claim_pass(TENANT_ID, received, NOW + timedelta(seconds=1), WINDOW) is False
    assert store.pass_gate(TENANT_ID) == PassGate(NOW, NOW + WINDOW)


def test_an_alert_after_the_pass_waits_for_the_gate_then_gets_its_own_pass(
    new_store: Callable[[], IngestStore],
) -> None:
    store = new_store()
    store.claim_pass(TENANT_ID, NOW, NOW, WINDOW)
    later = NOW + timedelta(seconds=10)

    assert gate_decision(store.pass_gate(TENANT_ID), later, later) == "wait"
    assert store.claim_pass(TENANT_ID, later, later, WINDOW) is False
    assert store.claim_pass(TENANT_ID, later, NOW + WINDOW, WINDOW) is True
    assert store.pass_gate(TENANT_ID) == PassGate(NOW + WINDOW, NOW + 2 * WINDOW)


def test_of_two_workers_claiming_the_same_turn_only_the_first_gets_it(
    new_store: Callable[[], IngestStore],
) -> None:
    first, second = new_store(), new_store()
    first.claim_pass(TENANT_ID, NOW, NOW, WINDOW)
    later = NOW + WINDOW + timedelta(seconds=1)
    # Both see the gate open; the first claim closes it for the second (Table Storage: by ETag).
    assert gate_decision(first.pass_gate(TENANT_ID), later, later) == "run"
    assert gate_decision(second.pass_gate(TENANT_ID), later, later) == "run"

    results = [
        first.claim_pass(TENANT_ID, later, later, WINDOW),
        second.claim_pass(TENANT_ID, later, later, WINDOW),
    ]

    assert results == [True, False]
