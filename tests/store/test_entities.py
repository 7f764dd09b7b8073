"""Every record the Table store keeps round-trips through the entity mapping exactly."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from monitor.records import SignInHour, UnusableItem
from monitor.rules.cases._builders import issuance, tap_signin
from monitor.store.base import InventoryItem, Lease, RunRecord, StoredConsent, StoredFinding
from monitor.store.entities import Layout, from_entity, pascal, to_entity
from tests.store.test_contract import signin

T0 = datetime(2026, 11, 20, 9, 0, tzinfo=UTC)

RECORDS: list[Any] = [
    signin(1, T0, code=500011),
    SignInHour(T0, "app", 65001, 3, T0, T0 + timedelta(minutes=5), ("a@contoso.com", "b@contoso.com")),
    issuance(),
    tap_signin(),
    tap_signin(prior=None),
    StoredFinding(
        "rule.x",
        "subject",
        "high",
        "title",
        "detail",
        {"count": 3, "nested": {"at": "x"}},
        "open",
        T0,
        T0,
        opened_by_run="run-1",
    ),
    StoredConsent("app", True, False, "object", T0, T0),
    InventoryItem("device", "d1", {"osVersion": "10.0.22631", "nonDestructiveReset": None}, T0, T0),
    RunRecord("tenant", "run-1", T0, T0, T0, "partial", {"problems": [{"kind": "error"}]}),
    UnusableItem("signins.pin-reset", "sha1:abc", "status is not an object", T0),
]


@pytest.mark.parametrize("record", RECORDS, ids=lambda r: type(r).__name__)
def test_a_record_round_trips_through_its_entity(record: Any) -> None:
    entity = to_entity(record, "pk", "rk")
    assert (entity["PartitionKey"], entity["RowKey"]) == ("pk", "rk")
    assert from_entity(type(record), entity) == record


def test_times_and_numbers_are_table_types_so_they_can_be_queried() -> None:
    entity = to_entity(issuance(), "pk", "rk")
    assert isinstance(entity["IssuedAt"], datetime)
    assert isinstance(entity["LifetimeMinutes"], int)
    assert pascal("issued_by_id") == "IssuedById"


def test_a_value_too_large_for_a_property_is_replaced_by_a_note() -> None:
    finding = StoredFinding("r", "s", "low", "t", "d", {"blob": "x" * 40_000}, "open", T0, T0)
    kept = from_entity(StoredFinding, to_entity(finding, "pk", "rk"))
    assert kept.evidence == {"truncated": True, "note": "the value exceeded Table Storage's property size"}


def test_a_layout_keeps_the_partition_field_in_the_partition_key_and_the_etag_out_of_the_row() -> None:
    layout = Layout(partition="tenant_id", etag="token")
    lease = Lease("tenant-1", "run-1", T0, token='W/"1"')

    entity = to_entity(lease, lease.tenant_id, "pass", layout)

    assert entity == {"PartitionKey": "tenant-1", "RowKey": "pass", "Holder": "run-1", "Until": T0}
    assert from_entity(Lease, entity, layout) == lease
    assert from_entity(Lease, entity, layout).token == ""  # a row read without its metadata has no ETag
