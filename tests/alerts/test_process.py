"""The alert step against Azurite and real loopback HTTP receivers: delivery once, retries with
backoff, dead letters, digests, routing, and a process killed between any two steps."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Iterator, Sequence
from dataclasses import replace
from datetime import timedelta

import orjson
import pytest

from graphsim.receiver import Answer, CaptureReceiver
from monitor.alerts.channels import webhook
from monitor.alerts.lifecycle import next_alert
from monitor.alerts.model import Alert
from monitor.alerts.process import AlertPass, notices_for, policy_of, process_alerts, reconcile_alerts
from monitor.alerts.settings import AlertSettings
from monitor.store.alerts import AlertStore, dead_notifications
from monitor.store.base import StoredFinding
from tests.alerts.support import HMAC_KEY, T0, TENANT, alert_settings, failing, passing, route


@pytest.fixture
def receiver() -> Iterator[CaptureReceiver]:
    with CaptureReceiver() as capture:
        yield capture


def run(
    store: AlertStore, findings: Sequence[StoredFinding], settings: AlertSettings, minutes: float = 0
) -> AlertPass:
    at = T0 + timedelta(minutes=minutes)
    return asyncio.run(process_alerts(store, findings, TENANT, at, settings, graph=None))


def teams_only(receiver: CaptureReceiver, **changes: object) -> AlertSettings:
    return alert_settings(receiver.url, default_route=("ops",), **changes)  # type: ignore[arg-type]


def test_a_new_finding_is_delivered_once_to_each_routed_destination(
    alert_store: AlertStore, receiver: CaptureReceiver
) -> None:
    summary = run(alert_store, [failing()], alert_settings(receiver.url))

    assert (summary.opened, summary.queued, summary.sent) == (1, 2, 2)
    assert [(d.channel, d.name, d.status) for d in receiver.deliveries] == [
        ("teams", "ops", 202),
        ("webhook", "soc", 200),
    ]
    assert run(alert_store, [failing()], alert_settings(receiver.url), minutes=15) == AlertPass()
    assert len(receiver.deliveries) == 2


def test_a_teams_endpoint_answering_500_then_429_then_200_gets_the_notice_exactly_once(
    alert_store: AlertStore, receiver: CaptureReceiver
) -> None:
    receiver.script("/teams/ops", 500, Answer(429, {"Retry-After": "3600"}), 200)
    settings = teams_only(receiver)

    first = run(alert_store, [failing()], settings)
    [row] = alert_store.notifications(TENANT.id)
    assert (first.retrying, row.attempts, row.next_attempt_at) == (1, 1, T0 + timedelta(minutes=5))
    assert row.last_error == "teams destination ops answered 500"

    second = run(alert_store, [failing()], settings, minutes=5)
    [row] = alert_store.notifications(TENANT.id)
    # Retry-After (an hour) outweighs the backoff (10 minutes).
    assert (second.retrying, row.attempts, row.next_attempt_at) == (1, 2, T0 + timedelta(minutes=65))
    assert run(alert_store, [failing()], settings, minutes=30) == AlertPass()  # not due yet

    third = run(alert_store, [failing()], settings, minutes=65)
    fourth = run(alert_store, [failing()], settings, minutes=80)

    [row] = alert_store.notifications(TENANT.id)
    assert (third.sent, fourth, row.status, row.attempts) == (1, AlertPass(), "delivered", 3)
    assert [d.status for d in receiver.deliveries] == [500, 429, 200]
    assert len(receiver.accepted("/teams/ops")) == 1


def test_a_process_killed_between_outbox_write_and_delivery_delivers_once_on_the_next_pass(
    alert_store: AlertStore, receiver: CaptureReceiver
) -> None:
    settings = teams_only(receiver)
    # The pass queued the notice and wrote the alert, then died before sending.
    transition = next_alert(failing(), None, TENANT.id, TENANT.display_name, T0, policy_of(settings))
    assert transition is not None
    alert_store.queue(notices_for(transition, settings, T0))
    alert_store.save_alert(transition.after)

    summary = run(alert_store, [failing()], settings, minutes=15)

    assert (summary.opened, summary.sent) == (0, 1)
    assert len(receiver.accepted("/teams/ops")) == 1


def test_a_process_killed_between_outbox_write_and_alert_write_queues_nothing_twice(
    alert_store: AlertStore, receiver: CaptureReceiver
) -> None:
    settings = teams_only(receiver)
    transition = next_alert(failing(), None, TENANT.id, TENANT.display_name, T0, policy_of(settings))
    assert transition is not None
    alert_store.queue(notices_for(transition, settings, T0))  # ...and died before writing the alert

    summary = run(alert_store, [failing()], settings, minutes=15)

    assert (summary.opened, summary.sent) == (1, 1)
    assert len(alert_store.notifications(TENANT.id)) == 1
    assert len(receiver.accepted()) == 1


def test_a_killed_pass_whose_findings_were_written_still_opens_the_alert_next_pass(
    alert_store: AlertStore, receiver: CaptureReceiver
) -> None:
    # The ledger holds an open finding from a pass that never reached its alert step.
    summary = run(alert_store, [failing(since=T0 - timedelta(minutes=15))], teams_only(receiver))

    assert (summary.opened, summary.sent) == (1, 1)
    [alert] = alert_store.alerts(TENANT.id)
    assert (alert.finding_since, alert.opened_at) == (T0 - timedelta(minutes=15), T0)


def test_a_url_answering_404_is_marked_dead_with_the_reason(
    alert_store: AlertStore, receiver: CaptureReceiver
) -> None:
    receiver.script("/teams/ops", 404)

    summary = run(alert_store, [failing()], teams_only(receiver))

    [row] = dead_notifications(alert_store, TENANT.id)
    assert (summary.dead, row.attempts, row.destination) == (1, 1, "ops")
    assert (
        row.last_error == "teams destination ops answered 404: not retried, check the destination's settings"
    )
    assert run(alert_store, [failing()], teams_only(receiver), minutes=60) == AlertPass()


def test_a_notice_that_keeps_failing_is_dead_after_the_last_attempt(
    alert_store: AlertStore, receiver: CaptureReceiver
) -> None:
    receiver.script("/teams/ops", 503, 503, 503)
    settings = teams_only(receiver, max_attempts=3, retry_base_minutes=1)

    for minutes in (0, 1, 3):
        run(alert_store, [failing()], settings, minutes)

    [row] = alert_store.notifications(TENANT.id)
    assert (row.status, row.attempts, row.last_error) == (
        "dead",
        3,
        "gave up after 3 attempts: teams destination ops answered 503",
    )


def test_a_destination_that_is_no_longer_configured_is_dead_not_retried(
    alert_store: AlertStore, receiver: CaptureReceiver
) -> None:
    receiver.script("/teams/ops", 503)
    run(alert_store, [failing()], teams_only(receiver))
    without = replace(teams_only(receiver), destinations=(), default_route=())

    run(alert_store, [failing()], without, minutes=10)

    [row] = dead_notifications(alert_store, TENANT.id)
    assert row.last_error == "destination ops is no longer configured"


def findings_of_a_storm(count: int) -> list[StoredFinding]:
    return [
        failing("device.pin-reset.unsupported-os", f"device-{n:02d}", severity="medium") for n in range(count)
    ]


def test_a_digest_replaces_a_storm(alert_store: AlertStore, receiver: CaptureReceiver) -> None:
    settings = alert_settings(receiver.url, digest_threshold=5)

    summary = run(alert_store, findings_of_a_storm(12), settings)

    assert (summary.opened, summary.queued, summary.sent, summary.digests) == (12, 24, 24, 2)
    assert [(d.channel, d.name) for d in receiver.deliveries] == [("teams", "ops"), ("webhook", "soc")]
    card = orjson.loads(receiver.deliveries[0].body)["attachments"][0]["content"]
    assert card["body"][0]["text"] == "12 alert notices for Contoso"
    document = orjson.loads(receiver.deliveries[1].body)
    assert (document["kind"], len(document["notifications"])) == ("digest", 12)
    digests = {(n.channel, n.digest) for n in alert_store.notifications(TENANT.id, "delivered")}
    assert len(digests) == 2
    assert ("webhook", document["deliveryId"]) in digests


def test_notices_at_the_threshold_go_one_by_one(alert_store: AlertStore, receiver: CaptureReceiver) -> None:
    run(alert_store, findings_of_a_storm(5), teams_only(receiver, digest_threshold=5))

    assert len(receiver.accepted("/teams/ops")) == 5


def test_routes_send_each_finding_where_its_severity_and_rule_say(
    alert_store: AlertStore, receiver: CaptureReceiver
) -> None:
    settings = alert_settings(
        receiver.url,
        routes=(
            route(("ops",), severities=("critical", "high"), rules=("consent.*",)),
            route(("soc",), rules=("tap.*",)),
        ),
        default_route=("soc",),
    )
    findings = [
        failing(),  # high consent rule: ops
        failing("consent.pin-reset-client.missing", "client", severity="medium"),  # no route: default soc
        failing("tap.signin.risky", "user-1", severity="high"),  # tap route: soc
    ]

    run(alert_store, findings, settings)

    sent = sorted(
        (n.payload["alert"]["rule"], n.destination) for n in alert_store.notifications(TENANT.id, "delivered")
    )
    assert sent == [
        ("consent.pin-reset-client.missing", "soc"),
        ("consent.pin-reset-service.missing", "ops"),
        ("tap.signin.risky", "soc"),
    ]


def test_the_webhook_body_is_signed_and_follows_the_schema_version(
    alert_store: AlertStore, receiver: CaptureReceiver
) -> None:
    run(alert_store, [failing()], alert_settings(receiver.url, default_route=("soc",)))

    [delivery] = receiver.deliveries
    assert webhook.verify(HMAC_KEY, delivery.body, delivery.headers["X-Monitor-Signature"])
    assert not webhook.verify(
        b"another key of 16+ chars", delivery.body, delivery.headers["X-Monitor-Signature"]
    )
    document = orjson.loads(delivery.body)
    assert (document["schemaVersion"], document["kind"], document["sentAt"]) == (
        "1",
        "notification",
        "2026-11-20T12:00:00Z",
    )
    [item] = document["notifications"]
    assert (item["event"], item["alert"]["rule"], item["tenant"]) == (
        "opened",
        "consent.pin-reset-service.missing",
        {"id": TENANT.id, "displayName": "Contoso"},
    )
    assert delivery.headers["X-Monitor-Delivery"] == document["deliveryId"]


def test_resolved_notices_follow_the_settle_time(alert_store: AlertStore, receiver: CaptureReceiver) -> None:
    settings = teams_only(receiver)
    run(alert_store, [failing()], settings)
    fixed = passing(failing(), T0 + timedelta(minutes=15))

    waiting = run(alert_store, [fixed], settings, minutes=15)
    resolved = run(alert_store, [fixed], settings, minutes=45)

    assert (waiting.resolved, resolved.resolved, resolved.sent) == (0, 1, 1)
    cards = [
        orjson.loads(d.body)["attachments"][0]["content"]["body"][0]["text"] for d in receiver.deliveries
    ]
    assert cards == [
        "New alert: PIN reset service app is not consented",
        "Resolved: PIN reset service app is not consented",
    ]


def test_reminders_go_out_after_the_interval_and_not_after_an_acknowledgement(
    alert_store: AlertStore, receiver: CaptureReceiver
) -> None:
    settings = teams_only(receiver)
    run(alert_store, [failing()], settings)
    reminded = run(alert_store, [failing()], settings, minutes=24 * 60)
    [alert] = alert_store.alerts(TENANT.id)
    alert_store.save_alert(replace(alert, acknowledged_at=T0 + timedelta(hours=25), acknowledged_by="alex"))

    later = run(alert_store, [failing()], settings, minutes=48 * 60)

    assert (reminded.reminded, later.reminded) == (1, 0)
    assert len(receiver.accepted()) == 2


def test_two_passes_that_read_the_same_due_notice_send_it_once(
    alert_store: AlertStore, receiver: CaptureReceiver
) -> None:
    settings = teams_only(receiver)
    transition = next_alert(failing(), None, TENANT.id, TENANT.display_name, T0, policy_of(settings))
    assert transition is not None
    alert_store.queue(notices_for(transition, settings, T0))
    alert_store.save_alert(transition.after)
    stale = alert_store.notifications(TENANT.id, "pending")  # pass B has read the row...

    run(alert_store, [failing()], settings, minutes=1)  # ...and pass A claims and delivers it

    assert alert_store.claim(stale, T0 + timedelta(minutes=3)) == []  # so pass B cannot send it
    assert len(receiver.accepted()) == 1


class RacingAlertStore:
    """The real Azurite store, with another pass writing each alert just before this pass does:
    what two passes running at once look like to the one that loses every race."""

    def __init__(self, store: AlertStore, settings: AlertSettings) -> None:
        self._store = store
        self._settings = settings
        self.raced = 0

    def __getattr__(self, name: str) -> object:
        return getattr(self._store, name)

    def save_alert(self, alert: Alert) -> Alert:
        if self.raced == 0:
            self.raced += 1
            reconcile_alerts(self._store, [failing()], TENANT, T0, self._settings)
        return self._store.save_alert(alert)


def test_a_pass_that_loses_the_race_for_an_alert_reads_it_again_and_queues_nothing_twice(
    alert_store: AlertStore, receiver: CaptureReceiver
) -> None:
    settings = teams_only(receiver)
    racing = RacingAlertStore(alert_store, settings)

    summary = run(racing, [failing()], settings)  # type: ignore[arg-type]

    # The other pass opened the alert and queued its notice; this one re-read it, found nothing left
    # to decide, and delivered the notice the other had queued.
    assert (racing.raced, summary.opened, summary.sent) == (1, 0, 1)
    [alert] = alert_store.alerts(TENANT.id)
    assert (alert.cycle, alert.notified_at) == (1, T0)
    assert [(n.event, n.status) for n in alert_store.notifications(TENANT.id)] == [("opened", "delivered")]
    assert len(receiver.accepted()) == 1


def test_a_stored_notice_that_lost_its_shape_is_dead_with_the_reason(
    alert_store: AlertStore, receiver: CaptureReceiver
) -> None:
    settings = teams_only(receiver)
    transition = next_alert(failing(), None, TENANT.id, TENANT.display_name, T0, policy_of(settings))
    assert transition is not None
    [row] = notices_for(transition, settings, T0)
    alert_store.queue([replace(row, payload={"truncated": True})])
    alert_store.save_alert(transition.after)

    summary = run(alert_store, [failing()], settings, minutes=1)

    [dead] = dead_notifications(alert_store, TENANT.id)
    assert (summary.dead, receiver.deliveries) == (1, [])
    assert (
        dead.last_error
        == "teams destination ops: the stored notice is not in the expected shape (KeyError('alert'))"
    )


def test_large_evidence_is_cut_so_the_notice_fits_its_table_property(
    alert_store: AlertStore, receiver: CaptureReceiver
) -> None:
    devices = [{"deviceId": f"device-{n:04d}", "deviceName": f"PC-{n:04d}"} for n in range(2000)]
    finding = failing(
        "device.pin-reset.unsupported-os", "tenant", evidence={"count": 2000, "devices": devices}
    )

    run(alert_store, [finding], teams_only(receiver))

    [row] = alert_store.notifications(TENANT.id, "delivered")
    evidence = row.payload["alert"]["evidence"]
    assert evidence["count"] == 2000
    assert len(evidence["devices"]) == 11
    assert evidence["devices"][-1] == "... 1990 more"


def test_no_log_line_holds_a_destination_url(
    alert_store: AlertStore, receiver: CaptureReceiver, caplog: pytest.LogCaptureFixture
) -> None:
    receiver.script("/teams/ops", 404)
    caplog.set_level(logging.DEBUG)

    run(alert_store, [failing()], alert_settings(receiver.url))

    assert "HTTP Request: POST <alert destination>" in caplog.text
    assert "/teams/ops" not in caplog.text
    assert "/webhook/soc" not in caplog.text
    assert "alert notice dead: alert=" in caplog.text
