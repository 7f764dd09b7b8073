"""The contract both report stores keep (memory, and Table Storage in Azurite through the real
azure-data-tables client): weekly snapshots of any size come back whole, newest first; recovery chains
are upserted by their pass."""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest

from monitor.store.account import TableAccount
from monitor.store.entities import MAX_TEXT
from monitor.store.reports import MemoryReportStore, ReportStore

TENANT = "4b1c5b67-3f1e-4e38-9d5e-2a2f3c1d0e9a"
WEEK = datetime(2026, 11, 20, 12, 0, tzinfo=UTC)


@pytest.fixture(params=["memory", "tables"])
def reports(request: pytest.FixtureRequest) -> Iterator[ReportStore]:
    if request.param == "memory":
        yield MemoryReportStore()
        return
    store = TableAccount.shared(
        request.getfixturevalue("azurite"), prefix=request.getfixturevalue("table_prefix")
    ).reports()
    yield store
    store.close()


def snapshot(week: datetime, devices: int = 3) -> dict[str, object]:
    return {
        "periodEnd": week.strftime("%Y-%m-%dT%H:%M:%SZ"),
        "devices": {
            # Device IDs as random as GUIDs, so the snapshot compresses as a real one does.
            "items": [
                {"id": hashlib.sha256(str(n).encode()).hexdigest()[:32], "nonDestructiveReset": n % 2 == 0}
                for n in range(devices)
            ]
        },
    }


def test_no_snapshot_is_kept_until_one_is_saved(reports: ReportStore) -> None:
    assert reports.snapshots(TENANT) == []


def test_snapshots_come_back_newest_first_and_before_a_time(reports: ReportStore) -> None:
    for weeks in range(3):
        reports.save_snapshot(TENANT, WEEK + timedelta(weeks=weeks), snapshot(WEEK + timedelta(weeks=weeks)))

    assert [s.period_end for s in reports.snapshots(TENANT)] == [
        WEEK + timedelta(weeks=2),
        WEEK + timedelta(weeks=1),
        WEEK,
    ]
    (previous,) = reports.snapshots(TENANT, before=WEEK + timedelta(weeks=2), limit=1)
    assert previous.document == snapshot(WEEK + timedelta(weeks=1))
    assert reports.snapshots("another-tenant") == []


def test_a_snapshot_larger_than_a_table_property_comes_back_whole(reports: ReportStore) -> None:
    # 150,000 devices: 10 MB of JSON, some 140 parts compressed, more than one transaction holds.
    large = snapshot(WEEK, devices=150_000)

    reports.save_snapshot(TENANT, WEEK, large)

    (kept,) = reports.snapshots(TENANT)
    assert kept.document == large
    assert len(str(large)) > 100 * MAX_TEXT


def test_saving_a_smaller_snapshot_for_the_same_week_replaces_every_part(reports: ReportStore) -> None:
    reports.save_snapshot(TENANT, WEEK, snapshot(WEEK, devices=150_000))
    reports.save_snapshot(TENANT, WEEK, snapshot(WEEK, devices=2))

    assert [s.document for s in reports.snapshots(TENANT)] == [snapshot(WEEK, devices=2)]


def test_recovery_chains_are_upserted_by_their_pass(reports: ReportStore) -> None:
    reports.save_recoveries(
        TENANT, {"Directory_1": {"stage": "signed-in"}, "Directory/2": {"stage": "issued"}}
    )
    reports.save_recoveries(TENANT, {"Directory_1": {"stage": "new-method-registered"}})

    assert reports.recoveries(TENANT) == {
        "Directory_1": {"stage": "new-method-registered"},
        "Directory/2": {"stage": "issued"},
    }


def test_a_snapshot_whose_parts_come_from_two_writes_is_skipped_not_joined(
    azurite: str, table_prefix: str
) -> None:
    from azure.data.tables import TableServiceClient, UpdateMode

    store = TableAccount.shared(azurite, prefix=table_prefix).reports()
    store.save_snapshot(TENANT, WEEK - timedelta(weeks=1), snapshot(WEEK - timedelta(weeks=1)))
    store.save_snapshot(TENANT, WEEK, snapshot(WEEK, devices=150_000))
    table = TableServiceClient.from_connection_string(azurite).get_table_client(
        f"{table_prefix}weeklysnapshots"
    )
    part = table.get_entity(TENANT, "20261120T120000_001")
    table.upsert_entity(dict(part) | {"Version": "another write"}, mode=UpdateMode.REPLACE)

    assert [s.period_end for s in store.snapshots(TENANT)] == [WEEK - timedelta(weeks=1)]
    table.close()
    store.close()
