"""The alert step under receiver faults and kills: a huge Retry-After is capped and a notice that
cannot be sent in a bounded time is dead; each send is recorded as it happens; a claim runs from the
moment it is taken; a delivery keeps its ID (webhook, email Message-ID, Teams card) on every retry."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Iterator, Sequence
from dataclasses import replace
from datetime import timedelta
from email import policy
from email.message import EmailMessage
from email.parser import BytesParser
from typing import Any

import orjson
import pytest

from graphsim import GraphSimulator
from graphsim.receiver import Answer, CaptureReceiver, Delivery
from monitor.alerts import delivery
from monitor.alerts.process import AlertPass, process_alerts
from monitor.alerts.settings import AlertDestination, AlertSettings
from monitor.graph.session import GraphSession
from monitor.store.alerts import AlertStore, dead_notifications
from monitor.store.base import StoredFinding
from monitor.weekly.alerts import StoredAlerts
from tests.alerts.support import MAILBOX, T0, TENANT, alert_settings, failing
from tests.alerts.test_cards import VALIDATOR
from tests.support import simulator_settings


class ProcessDied(BaseException):
    """A kill: not an Exception, so no handler of the pass runs."""


class DiesOn:
    """The real store, in a process that dies just before the `nth` call of `method` (from 1)."""

    def __init__(self, store: AlertStore, method: str, nth: int = 1) -> None:
        self._store, self._method, self._nth, self.calls = store, method, nth, 0

    def __getattr__(self, name: str) -> Any:
        target = getattr(self._store, name)
        if name != self._method:
            return target

        def call(*args: Any, **kwargs: Any) -> Any:
            self.calls += 1
            if self.calls >= self._nth:
                raise ProcessDied
            return target(*args, **kwargs)

        return call


@pytest.fixture
def receiver() -> Iterator[CaptureReceiver]:
    with CaptureReceiver() as capture:
        yield capture


def run(
    store: AlertStore | DiesOn,
    findings: Sequence[StoredFinding],
    settings: AlertSettings,
    minutes: float = 0,
    *,
    clock_minutes: float | None = None,
    graph: GraphSession | None = None,
) -> AlertPass:
    """One alert step at T0 + minutes; its clock reads T0 + clock_minutes (the pass read Graph that long)."""
    at = T0 + timedelta(minutes=minutes)
    moment = T0 + timedelta(minutes=minutes if clock_minutes is None else clock_minutes)
    return asyncio.run(
        process_alerts(store, findings, TENANT, at, settings, graph, clock=lambda: moment)  # type: ignore[arg-type]
    )


def killed(store: AlertStore, method: str, nth: int, findings: Sequence[StoredFinding], **kw: Any) -> None:
    dying = DiesOn(store, method, nth)
    with pytest.raises(ProcessDied):
        run(dying, findings, **kw)


def storm(count: int) -> list[StoredFinding]:
    return [
        failing("device.pin-reset.unsupported-os", f"device-{n:02d}", severity="medium") for n in range(count)
    ]


def card_texts(post: Delivery) -> list[str]:
    card = orjson.loads(post.body)["attachments"][0]["content"]
    return [block.get("text", "") for block in card["body"]]


# -- 1: Retry-After is bounded, and an undeliverable notice is dead ---------------------------------


@pytest.mark.parametrize(
    "header",
    ["999999999999", "99999999999", "1" * 400, "²", "1e9", "-5", "Fri, 31 Dec 9999 23:59:59 GMT", "soon"],
)
def test_whatever_a_receiver_asks_for_in_retry_after_is_a_bounded_number_of_seconds(header: str) -> None:
    seconds = delivery.retry_after(header, T0)

    assert seconds is None or 0 <= seconds <= delivery.MAX_RETRY_AFTER_SECONDS


def test_a_retry_after_of_999999999999_neither_crashes_the_pass_nor_loses_the_other_outcomes(
    alert_store: AlertStore, receiver: CaptureReceiver
) -> None:
    receiver.script("/webhook/soc", Answer(429, {"Retry-After": "999999999999"}))
    settings = alert_settings(receiver.url)

    summary = run(alert_store, [failing()], settings)

    rows = {n.channel: n for n in alert_store.notifications(TENANT.id)}
    assert (summary.sent, summary.retrying) == (1, 1)
    assert rows["teams"].status == "delivered"
    webhook_row = rows["webhook"]
    assert webhook_row.status == "pending"
    assert webhook_row.next_attempt_at is not None
    assert webhook_row.next_attempt_at <= T0 + timedelta(minutes=settings.retry_max_minutes)
    run(alert_store, [failing()], settings, minutes=settings.retry_max_minutes)
    assert len(receiver.accepted("/teams/ops")) == 1
    assert len(receiver.accepted("/webhook/soc")) == 1


def test_a_receiver_that_always_asks_for_99999999999_seconds_makes_its_notice_dead_and_reported(
    alert_store: AlertStore, receiver: CaptureReceiver
) -> None:
    throttled = Answer(429, {"Retry-After": "99999999999"})
    receiver.script("/webhook/soc", *([throttled] * 50))
    settings = alert_settings(receiver.url, default_route=("soc",), max_attempts=1000, reminder_hours=1000.0)

    minutes = 0.0
    for _ in range(50):
        run(alert_store, [failing()], settings, minutes)
        [row] = alert_store.notifications(TENANT.id)
        if row.status != "pending":
            break
        assert row.next_attempt_at is not None
        minutes = (row.next_attempt_at - T0).total_seconds() / 60

    [dead] = dead_notifications(alert_store, TENANT.id)
    assert dead.last_error.startswith("not delivered within 48 hours of being queued: ")
    assert minutes <= 48 * 60
    week = StoredAlerts(alert_store).undelivered(TENANT.id, T0, T0 + timedelta(days=7))
    assert [(u.channel, u.alert, u.at) for u in week] == [("webhook", dead.alert_id, dead.next_attempt_at)]


# -- 3: each send is recorded as it happens ---------------------------------------------------------


class RecordsAfterPosts:
    """Dies at the first `record` made after the receiver accepted `posts` posts: a kill just after
    the `posts`-th send."""

    def __init__(self, store: AlertStore, receiver: CaptureReceiver, posts: int) -> None:
        self._store, self._receiver, self._posts = store, receiver, posts

    def __getattr__(self, name: str) -> Any:
        target = getattr(self._store, name)
        if name != "record":
            return target

        def call(*args: Any, **kwargs: Any) -> Any:
            if len(self._receiver.accepted()) >= self._posts:
                raise ProcessDied
            return target(*args, **kwargs)

        return call


def test_a_kill_after_the_second_of_three_sends_repeats_only_the_second(
    alert_store: AlertStore, receiver: CaptureReceiver
) -> None:
    settings = alert_settings(receiver.url, default_route=("ops",))
    findings = storm(3)
    dying = RecordsAfterPosts(alert_store, receiver, posts=2)
    with pytest.raises(ProcessDied):
        run(dying, findings, settings)  # type: ignore[arg-type]

    run(alert_store, findings, settings, minutes=5)

    assert len(receiver.accepted("/teams/ops")) == 4
    assert [n.status for n in alert_store.notifications(TENANT.id)] == ["delivered"] * 3


# -- 4: a claim runs from the moment it is taken ----------------------------------------------------


def test_a_claim_taken_after_a_long_graph_read_still_keeps_a_second_pass_out(
    alert_store: AlertStore, receiver: CaptureReceiver
) -> None:
    settings = alert_settings(receiver.url, default_route=("ops",))
    # Pass A started at T0, read Graph for three minutes, claimed its notice, sent it and died before
    # recording the send.
    killed(alert_store, "record", 1, [failing()], settings=settings, clock_minutes=3)

    # Pass B, started at T0 + 3.5 minutes, must find the claim still held.
    assert run(alert_store, [failing()], settings, minutes=3.5) == AlertPass()
    assert len(receiver.accepted()) == 1
    [row] = alert_store.notifications(TENANT.id)
    assert row.next_attempt_at is not None
    assert row.next_attempt_at > T0 + timedelta(minutes=3.5)


# -- 5: a delivery keeps its ID on every retry --------------------------------------------------------


def test_a_digest_resent_after_a_kill_keeps_its_id_and_members_when_more_notices_are_due(
    alert_store: AlertStore, receiver: CaptureReceiver
) -> None:
    settings = alert_settings(receiver.url, default_route=("soc",), digest_threshold=2)
    killed(alert_store, "record", 1, storm(3), settings=settings)
    [first] = receiver.accepted("/webhook/soc")

    run(alert_store, storm(4), settings, minutes=5)

    posts = receiver.accepted("/webhook/soc")
    documents = [orjson.loads(p.body) for p in posts]
    first_document = orjson.loads(first.body)
    resend = next(d for d in documents[1:] if d["deliveryId"] == first_document["deliveryId"])
    assert [n["alert"]["id"] for n in resend["notifications"]] == [
        n["alert"]["id"] for n in first_document["notifications"]
    ]
    assert first.headers["X-Monitor-Delivery"] == first_document["deliveryId"]
    assert sum(len(d["notifications"]) for d in documents[1:]) == 4
    assert [n.status for n in alert_store.notifications(TENANT.id)] == ["delivered"] * 4


def test_a_teams_card_shows_its_delivery_id_and_a_resend_shows_the_same(
    alert_store: AlertStore, receiver: CaptureReceiver
) -> None:
    settings = alert_settings(receiver.url, default_route=("ops",))
    killed(alert_store, "record", 1, [failing()], settings=settings)

    run(alert_store, [failing(), failing("tap.signin.risky", "user-1")], settings, minutes=5)

    [row, _] = alert_store.notifications(TENANT.id, "delivered")
    first, resend, other = receiver.accepted("/teams/ops")
    assert row.delivery_id
    assert f"Delivery ID {row.delivery_id}" in card_texts(first)
    assert f"Delivery ID {row.delivery_id}" in card_texts(resend)
    assert f"Delivery ID {row.delivery_id}" not in card_texts(other)


def test_a_teams_digest_card_shows_its_delivery_id(
    alert_store: AlertStore, receiver: CaptureReceiver
) -> None:
    run(alert_store, storm(6), alert_settings(receiver.url, default_route=("ops",)))

    [post] = receiver.accepted("/teams/ops")
    [delivery_id] = {n.delivery_id for n in alert_store.notifications(TENANT.id)}
    assert f"Delivery ID {delivery_id}" in card_texts(post)


def mailed(sim: GraphSimulator) -> list[EmailMessage]:
    messages = []
    for sent in sim.mail.sent:
        message = BytesParser(policy=policy.default).parsebytes(sent.message.as_bytes())
        assert isinstance(message, EmailMessage)
        messages.append(message)
    return messages


def test_an_email_resent_after_a_kill_keeps_its_message_id_and_says_its_delivery_id(
    graph: GraphSimulator, alert_store: AlertStore
) -> None:
    settings = AlertSettings(
        destinations=(AlertDestination("admins", "email", recipients=("alex@contoso.com",)),),
        default_route=("admins",),
        email_transport="graph",
        email_sender=MAILBOX,
    )

    async def go(store: AlertStore | DiesOn, findings: list[StoredFinding], minutes: float) -> None:
        moment = T0 + timedelta(minutes=minutes)
        async with GraphSession(simulator_settings(graph.url)) as session:
            await process_alerts(store, findings, TENANT, moment, settings, session, clock=lambda: moment)  # type: ignore[arg-type]

    with contextlib.suppress(ProcessDied):
        asyncio.run(go(DiesOn(alert_store, "record"), storm(2), 0))
    asyncio.run(go(alert_store, storm(3), 5))

    first, *later = mailed(graph)
    assert first["Message-ID"] in [m["Message-ID"] for m in later]
    resend = next(m for m in later if m["Message-ID"] == first["Message-ID"])
    text = resend.get_body(("plain",))
    assert text is not None
    [delivery_id] = {
        n.delivery_id
        for n in alert_store.notifications(TENANT.id)
        if n.payload["alert"]["subject"] in ("device-00", "device-01")
    }
    assert first["Message-ID"] == f"<{delivery_id}@pin-reset-monitor.invalid>"
    assert f"Delivery ID {delivery_id}" in text.get_content()


def test_a_notice_whose_every_send_is_cut_short_by_a_kill_is_dead_after_the_last_attempt(
    alert_store: AlertStore, receiver: CaptureReceiver
) -> None:
    settings = alert_settings(receiver.url, default_route=("ops",), max_attempts=3)
    for minutes in (0, 5, 10):
        killed(alert_store, "record", 1, [failing()], settings=settings, minutes=minutes)

    summary = run(alert_store, [failing()], settings, minutes=15)

    [dead] = dead_notifications(alert_store, TENANT.id)
    assert (summary.dead, dead.attempts, len(receiver.accepted())) == (1, 3, 3)
    assert dead.last_error == "gave up after 3 attempts that never finished: the process stopped during each"


def test_cards_with_their_delivery_id_are_valid_adaptive_cards(
    alert_store: AlertStore, receiver: CaptureReceiver
) -> None:
    settings = alert_settings(receiver.url, default_route=("ops",))
    run(alert_store, [failing()], settings)
    run(alert_store, [failing(), *storm(6)], settings, minutes=5)

    single, digest = receiver.accepted("/teams/ops")
    for post in (single, digest):
        card = orjson.loads(post.body)["attachments"][0]["content"]
        assert list(VALIDATOR.iter_errors(card)) == []
        ids = {n.delivery_id for n in alert_store.notifications(TENANT.id)}
        last = card["body"][-1]
        assert (last["type"], last["size"], last["isSubtle"]) == ("TextBlock", "Small", True)
        assert last["text"].removeprefix("Delivery ID ") in ids


@pytest.mark.parametrize(
    ("url", "error"),
    [("http://127.0.0.1:99999/teams/ops", "OverflowError"), ("http://[::1/teams/ops", "InvalidURL")],
)
def test_a_destination_that_makes_the_http_client_raise_costs_no_other_outcome(
    alert_store: AlertStore, receiver: CaptureReceiver, url: str, error: str
) -> None:
    settings = alert_settings(receiver.url)
    teams, hook = settings.destinations
    broken = replace(settings, destinations=(replace(teams, url=url), hook))

    summary = run(alert_store, [failing()], broken)

    rows = {n.channel: n for n in alert_store.notifications(TENANT.id)}
    assert (summary.sent, summary.retrying) == (1, 1)
    assert rows["webhook"].status == "delivered"
    assert (rows["teams"].status, rows["teams"].attempts) == ("pending", 1)
    assert rows["teams"].last_error == f"teams destination ops: the request failed ({error})"
