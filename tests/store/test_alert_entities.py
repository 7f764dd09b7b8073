"""The alert and outbox rows are mapped from their records (monitor/store/entities.py) and keep the format
they were written in by hand before: rows already stored read back identically, and new rows have the same
properties with the same values and types (checked in Azurite, through the real azure-data-tables client)."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import Any

import orjson
import pytest

from monitor.alerts.model import Alert, Notification
from monitor.store.account import TableAccount
from monitor.store.alerts import TableAlertStore, _alert_entity, _notification_entity
from tests.store.test_alerts import new_alert, notice

T1 = datetime(2026, 11, 21, 8, 30, 15, 123000, tzinfo=UTC)
EVIDENCE = {
    "appId": "b8456c59-1230-44c7-a4a2-99b085333e84",
    "signInFailures": {"failures": 12, "users": ["a", "b"]},
}


def full_alert() -> Alert:
    """An alert with every optional field set."""
    return replace(
        new_alert(),
        evidence=EVIDENCE,
        state="resolved",
        cycle=3,
        notified_at=T1,
        reminders=2,
        resolved_at=T1 + timedelta(hours=1),
        acknowledged_at=T1 + timedelta(minutes=5),
        acknowledged_by="ana@contoso.com",
        snoozed_until=T1 + timedelta(days=1),
        tenant_name="Contoso",
    )


def hand_mapped_alert(a: Alert) -> dict[str, Any]:
    """The alert row as monitor/store/alerts.py wrote it by hand before the mapper (its `_alert_entity`)."""
    optional = {
        "NotifiedAt": a.notified_at,
        "ResolvedAt": a.resolved_at,
        "AcknowledgedAt": a.acknowledged_at,
        "SnoozedUntil": a.snoozed_until,
    }
    return {
        "PartitionKey": a.tenant_id,
        "RowKey": f"{a.rule}_{a.subject}",
        "AlertId": a.id,
        "Rule": a.rule,
        "Subject": a.subject,
        "Severity": a.severity,
        "Title": a.title,
        "Detail": a.detail,
        "Evidence": orjson.dumps(a.evidence).decode(),
        "State": a.state,
        "Cycle": a.cycle,
        "OpenedAt": a.opened_at,
        "FindingSince": a.finding_since,
        "Reminders": a.reminders,
        "AcknowledgedBy": a.acknowledged_by,
        "TenantName": a.tenant_name,
    } | {k: v for k, v in optional.items() if v is not None}


def full_notification() -> Notification:
    return notice(
        status="dead",
        attempts=7,
        next_attempt_at=T1,
        delivered_at=T1 + timedelta(seconds=3),
        last_error="ops answered 410 " + "x" * 1500,
        digest="digest-1",
        delivery_id="delivery-1",
    )


def hand_mapped_notification(n: Notification) -> dict[str, Any]:
    """The outbox row as monitor/store/alerts.py wrote it by hand (its `_notification_entity`)."""
    optional = {"NextAttemptAt": n.next_attempt_at, "DeliveredAt": n.delivered_at}
    return {
        "PartitionKey": n.tenant_id,
        "RowKey": n.key,
        "AlertId": n.alert_id,
        "Event": n.event,
        "Cycle": n.cycle,
        "Number": n.number,
        "Destination": n.destination,
        "Target": n.target,
        "Channel": n.channel,
        "CreatedAt": n.created_at,
        "Payload": orjson.dumps(n.payload).decode(),
        "Status": n.status,
        "Attempts": n.attempts,
        "LastError": n.last_error[:1000],
        "Digest": n.digest,
        "DeliveryId": n.delivery_id,
    } | {k: v for k, v in optional.items() if v is not None}


@pytest.fixture
def account(azurite: str, table_prefix: str) -> TableAccount:
    return TableAccount.shared(azurite, prefix=table_prefix)


@pytest.mark.parametrize("alert", [new_alert(), full_alert()], ids=["new", "every-field"])
def test_an_alert_row_written_by_hand_reads_back_identically(account: TableAccount, alert: Alert) -> None:
    store = TableAlertStore(account)
    account.table("alerts").create_entity(hand_mapped_alert(alert))

    (read,) = store.alerts(alert.tenant_id)
    assert read == alert
    assert read.etag != ""
    assert store.alert_by_id(alert.id) == alert
    # and a change to it is written over its ETag, as before
    assert store.save_alert(replace(read, reminders=read.reminders + 1)).reminders == alert.reminders + 1


@pytest.mark.parametrize("alert", [new_alert(), full_alert()], ids=["new", "every-field"])
def test_an_alert_is_written_as_it_was_written_by_hand(account: TableAccount, alert: Alert) -> None:
    assert _alert_entity(alert) == hand_mapped_alert(alert)
    TableAlertStore(account).save_alert(alert)

    stored = account.table("alerts").get_entity(alert.tenant_id, f"{alert.rule}_{alert.subject}")
    assert dict(stored) == hand_mapped_alert(alert)
    assert [k for k, v in hand_mapped_alert(alert).items() if not isinstance(stored[k], type(v))] == []


@pytest.mark.parametrize("row", [notice(), full_notification()], ids=["queued", "every-field"])
def test_an_outbox_row_written_by_hand_reads_back_identically(
    account: TableAccount, row: Notification
) -> None:
    account.table("outbox").create_entity(hand_mapped_notification(row))

    (read,) = TableAlertStore(account).notifications(row.tenant_id)
    assert read == replace(row, last_error=row.last_error[:1000])
    assert read.etag != ""


@pytest.mark.parametrize("row", [notice(), full_notification()], ids=["queued", "every-field"])
def test_an_outbox_row_is_written_as_it_was_written_by_hand(account: TableAccount, row: Notification) -> None:
    assert _notification_entity(row) == hand_mapped_notification(row)
    TableAlertStore(account).record([row])

    stored = account.table("outbox").get_entity(row.tenant_id, row.key)
    assert dict(stored) == hand_mapped_notification(row)
    assert [k for k, v in hand_mapped_notification(row).items() if not isinstance(stored[k], type(v))] == []


def test_no_row_keeps_the_tenant_or_the_etag_as_a_property() -> None:
    alert, row = replace(full_alert(), etag="W/1"), replace(full_notification(), etag="W/2")
    assert {"TenantId", "Etag", "Id"} & (set(_alert_entity(alert)) | set(_notification_entity(row))) == set()
