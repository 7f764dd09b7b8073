"""The alert and outbox stores keep one contract in memory and in Table Storage (Azurite)."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta

import pytest

from monitor.alerts.lifecycle import AlertPolicy, next_alert
from monitor.alerts.model import Alert, Notification
from monitor.store.alerts import AlertConflict, AlertStore, dead_notifications, open_alerts
from tests.alerts.support import T0, TENANT, any_alert_store, failing

__all__ = ["any_alert_store"]  # the fixture, memory and Azurite


def new_alert() -> Alert:
    transition = next_alert(failing(), None, TENANT.id, TENANT.display_name, T0, AlertPolicy())
    assert transition is not None
    return transition.after


def notice(target: str = "ops", **changes: object) -> Notification:
    row = Notification(
        tenant_id=TENANT.id,
        alert_id=new_alert().id,
        event="opened",
        cycle=1,
        number=0,
        destination="ops",
        target=target,
        channel="teams",
        created_at=T0,
        payload={"event": "opened", "rule": "consent.pin-reset-service.missing"},
    )
    return replace(row, **changes)  # type: ignore[arg-type]


def test_an_alert_reads_back_as_it_was_written(any_alert_store: AlertStore) -> None:
    saved = any_alert_store.save_alert(new_alert())

    [read] = any_alert_store.alerts(TENANT.id)
    assert read == new_alert()
    assert read.etag == saved.etag != ""
    assert any_alert_store.alert_by_id(new_alert().id) == read
    assert any_alert_store.alert_by_id("000000000000") is None


def test_a_write_from_a_stale_read_is_refused(any_alert_store: AlertStore) -> None:
    first = any_alert_store.save_alert(new_alert())
    any_alert_store.save_alert(replace(first, reminders=1))

    with pytest.raises(AlertConflict):
        any_alert_store.save_alert(replace(first, reminders=2))
    with pytest.raises(AlertConflict):
        any_alert_store.save_alert(new_alert())  # created twice
    assert [a.reminders for a in any_alert_store.alerts(TENANT.id)] == [1]


def test_queueing_a_notification_twice_keeps_the_first_row(any_alert_store: AlertStore) -> None:
    any_alert_store.queue([notice()])
    any_alert_store.record([replace(notice(), status="delivered", attempts=1, delivered_at=T0)])

    any_alert_store.queue([notice()])

    assert [(n.key, n.status, n.attempts) for n in any_alert_store.notifications(TENANT.id)] == [
        (f"{new_alert().id}.1.opened.ops", "delivered", 1)
    ]


def test_dead_notifications_and_open_alerts_are_queries_reports_can_call(any_alert_store: AlertStore) -> None:
    any_alert_store.save_alert(new_alert())
    any_alert_store.queue([notice(), notice("soc")])
    any_alert_store.record(
        [replace(notice("soc"), status="dead", attempts=1, last_error="webhook answered 404")]
    )

    assert [a.id for a in open_alerts(any_alert_store, TENANT.id)] == [new_alert().id]
    assert [(n.target, n.last_error) for n in dead_notifications(any_alert_store, TENANT.id)] == [
        ("soc", "webhook answered 404")
    ]
    assert [n.target for n in any_alert_store.notifications(TENANT.id, "pending")] == ["ops"]


def test_times_and_payloads_survive_the_round_trip(any_alert_store: AlertStore) -> None:
    row = notice(next_attempt_at=T0 + timedelta(minutes=5), attempts=2, last_error="ops answered 503")
    any_alert_store.queue([row])

    assert any_alert_store.notifications(TENANT.id) == [row]


def test_a_row_is_claimed_by_one_reader_only(any_alert_store: AlertStore) -> None:
    any_alert_store.queue([notice()])
    first = any_alert_store.notifications(TENANT.id, "pending")
    second = any_alert_store.notifications(TENANT.id, "pending")  # a concurrent pass read it too

    won = any_alert_store.claim(first, T0 + timedelta(minutes=2))
    lost = any_alert_store.claim(second, T0 + timedelta(minutes=2))

    assert [(n.key, n.next_attempt_at) for n in won] == [(notice().key, T0 + timedelta(minutes=2))]
    assert lost == []
    [stored] = any_alert_store.notifications(TENANT.id)
    assert stored.next_attempt_at == T0 + timedelta(minutes=2)
