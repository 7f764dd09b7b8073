"""Crash-anywhere over the alert step: a pass killed just before its k-th alert-store operation (which
is also "just after the send before it": each send is followed by the write that records it), then
clean passes on the same store, against real receivers: Teams and webhook posts to a loopback receiver,
email through Graph sendMail to the Graph simulator. What every receiver got is read back from what it
got (the webhook body, the Teams card, the email) and must show: no notice lost, at most one delivery
repeated per kill, and every repeat under the ID of its first send. Shared by
tests/alerts/test_alert_crash.py (a seeded sample) and bench/alert_crash.py (many more points)."""

from __future__ import annotations

import asyncio
import contextlib
import re
from collections import defaultdict
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import timedelta
from email.message import EmailMessage
from pathlib import Path
from typing import Any

import orjson

from graphsim import GraphSimulator
from graphsim.receiver import CaptureReceiver
from monitor.alerts.channels import email
from monitor.alerts.model import alert_id
from monitor.alerts.process import process_alerts
from monitor.alerts.settings import AlertDestination, AlertSettings
from monitor.graph.session import GraphSession
from monitor.store.alerts import AlertStore
from monitor.store.base import StoredFinding
from tests.alerts.support import HMAC_KEY, T0, TENANT, failing, route
from tests.support import simulator_settings, write, write_tenant

MAILBOX = "pinreset-monitor@contoso.com"
RECIPIENTS = ("alex@contoso.com", "sam@contoso.com")
TEAMS = ("ops", "identity")
# Device findings: more than the digest threshold, so Teams and the webhook get a digest each; at most
# 20, the alerts a Teams digest card lists by ID.
STORM = 8
# The passes after the killed one: later than any claim's lease, so what the killed pass held is due.
RECOVERY_MINUTES = (5, 10)
_DELIVERY_LINE = re.compile(r"Delivery ID ([^\s\"<]+)")


class ProcessDied(BaseException):
    """A kill: not an Exception, so no handler of the pass runs."""


class DiesAt:
    """The alert store of a process that dies just before its k-th operation (k counts from 1), or,
    with `after`, just after it (after a claim: before the send it was taken for)."""

    def __init__(self, inner: AlertStore, k: int, after: bool = False) -> None:
        self._inner, self._k, self._after, self.calls, self.died = inner, k, after, 0, False

    def __getattr__(self, name: str) -> Any:
        target = getattr(self._inner, name)
        if not callable(target):
            return target

        def call(*args: Any, **kwargs: Any) -> Any:
            self.calls += 1
            if self.died or (self.calls >= self._k and not self._after):
                self.died = True
                raise ProcessDied
            result = target(*args, **kwargs)
            if self.calls >= self._k:
                self.died = True
                raise ProcessDied
            return result

        return call


def kill_point(point: int) -> tuple[int, bool]:
    """Kill point 1, 2, 3, 4...: before operation 1, after it, before operation 2, after it..."""
    return (point + 1) // 2, point % 2 == 0


def findings(storm_size: int = STORM) -> list[StoredFinding]:
    storm = [
        failing("device.pin-reset.unsupported-os", f"device-{n:02d}", severity="medium")
        for n in range(storm_size)
    ]
    return [
        *storm,
        failing(),
        failing("consent.pin-reset-client.missing", "client", severity="medium"),
        failing("tap.signin.risky", "user-1"),
    ]


def alert_ids(storm_size: int = STORM) -> tuple[str, ...]:
    return tuple(alert_id(TENANT.id, f.rule, f.subject) for f in findings(storm_size))


def crash_settings(receiver_url: str) -> AlertSettings:
    """The device storm goes to Teams `ops` (one digest) and the webhook; the three other findings to
    Teams `identity` (one post each), the webhook, and email `admins` (one message per recipient). The
    webhook gets all eleven as one digest."""
    return AlertSettings(
        destinations=(
            AlertDestination("ops", "teams", url=f"{receiver_url}/teams/ops"),
            AlertDestination("identity", "teams", url=f"{receiver_url}/teams/identity"),
            AlertDestination("soc", "webhook", url=f"{receiver_url}/webhook/soc", hmac_key=HMAC_KEY),
            AlertDestination("admins", "email", recipients=RECIPIENTS),
        ),
        routes=(route(("ops", "soc"), rules=("device.*",)),),
        default_route=("identity", "soc", "admins"),
        digest_threshold=5,
        request_timeout_seconds=5,
        email_transport="graph",
        email_sender=MAILBOX,
    )


def write_mail_tenant(root: Path) -> Path:
    snapshot = write_tenant(root)
    write(
        snapshot,
        "v1.0/users",
        {"value": [{"id": "0f0f0f0f-0000-4000-8000-000000000001", "userPrincipalName": MAILBOX}]},
    )
    return snapshot


@contextlib.contextmanager
def endpoints(root: Path) -> Iterator[tuple[CaptureReceiver, GraphSimulator]]:
    """The Teams/webhook receiver and the Graph simulator that takes the email."""
    with CaptureReceiver() as receiver, GraphSimulator(write_mail_tenant(root)) as sim:
        yield receiver, sim


def one_pass(
    store: AlertStore | DiesAt,
    receiver: CaptureReceiver,
    sim: GraphSimulator,
    minutes: float,
    storm_size: int = STORM,
) -> None:
    moment = T0 + timedelta(minutes=minutes)

    async def go() -> None:
        async with GraphSession(simulator_settings(sim.url), transport_retry_delay=0.01) as graph:
            await process_alerts(
                store,  # type: ignore[arg-type]
                findings(storm_size),
                TENANT,
                moment,
                crash_settings(receiver.url),
                graph,
                clock=lambda: moment,
            )

    asyncio.run(go())


def kill_points_of_a_clean_step(
    receiver: CaptureReceiver,
    sim: GraphSimulator,
    new_store: Callable[[], AlertStore],
    storm_size: int = STORM,
) -> int:
    """How many kill points a clean alert step has: before and after each store operation."""
    counter = DiesAt(new_store(), 10**9)
    one_pass(counter, receiver, sim, 0, storm_size)
    return 2 * counter.calls


@dataclass
class Received:
    """What the receivers got: for each notice (target, alert ID), the delivery ID of every copy."""

    alerts: tuple[str, ...]
    copies: dict[tuple[str, str], list[str]] = field(default_factory=lambda: defaultdict(list))
    deliveries: dict[str, int] = field(default_factory=lambda: defaultdict(int))
    unreadable: int = 0  # a post or message whose delivery ID could not be found

    def add(self, target: str, delivery_id: str | None, text: str) -> None:
        if not delivery_id:
            self.unreadable += 1
            return
        self.deliveries[f"{target} {delivery_id}"] += 1
        for alert in self.alerts:
            if alert in text:
                self.copies[(target, alert)].append(delivery_id)


def _teams_delivery_id(body: bytes) -> str | None:
    card = orjson.loads(body)["attachments"][0]["content"]
    lines = [m.group(1) for b in card["body"] if (m := _DELIVERY_LINE.fullmatch(str(b.get("text", ""))))]
    return lines[0] if len(lines) == 1 else None


def _email_parts(message: EmailMessage) -> tuple[str, str | None, str]:
    to = str(message["To"])
    text = message.get_body(("plain",))
    content = text.get_content() if text is not None else ""
    message_id = str(message["Message-ID"] or "")
    found = _DELIVERY_LINE.search(content)
    said = found.group(1) if found else None
    # The Message-ID and the visible line must name the same delivery.
    delivery_id = said if said and message_id == f"<{said}@pin-reset-monitor.invalid>" else None
    return email.recipient_target("admins", to), delivery_id, content


def received(
    receiver: CaptureReceiver, sim: GraphSimulator, posts_from: int, mails_from: int, alerts: tuple[str, ...]
) -> Received:
    got = Received(alerts)
    for post in receiver.deliveries[posts_from:]:
        if not 200 <= post.status < 300:
            continue
        if post.channel == "webhook":
            document = orjson.loads(post.body)
            same = post.headers.get("X-Monitor-Delivery") == document["deliveryId"]
            got.add(post.name, document["deliveryId"] if same else None, post.body.decode())
        else:
            got.add(post.name, _teams_delivery_id(post.body), post.body.decode())
    for mail in sim.mail.sent[mails_from:]:
        target, delivery_id, text = _email_parts(mail.message)
        got.add(target, delivery_id, text)
    return got


@dataclass(frozen=True)
class KillResult:
    point: int
    killed: bool
    lost: int  # notices no receiver got
    undelivered: int  # outbox rows not `delivered` after the recovery passes
    repeated_notices: int  # notices a receiver got more than once
    repeated_deliveries: int  # deliveries a receiver got more than once
    repeats_with_another_id: int  # notices whose copies carry different delivery IDs
    teams_repeats: int  # repeated notices that were Teams posts
    unreadable: int

    @property
    def ok(self) -> bool:
        return (
            self.lost == 0
            and self.undelivered == 0
            and self.repeated_deliveries <= 1
            and self.repeats_with_another_id == 0
            and self.unreadable == 0
        )


def expected_notices(storm_size: int = STORM) -> set[tuple[str, str]]:
    everything = alert_ids(storm_size)
    found = findings(storm_size)
    device = {a for a, f in zip(everything, found, strict=True) if f.rule.startswith("device.")}
    others = set(everything) - device
    mail_targets = {email.recipient_target("admins", r) for r in RECIPIENTS}
    return (
        {("ops", a) for a in device}
        | {("soc", a) for a in everything}
        | {(t, a) for a in others for t in {"identity", *mail_targets}}
    )


def crash_then_recover(
    store: AlertStore, point: int, receiver: CaptureReceiver, sim: GraphSimulator, storm_size: int = STORM
) -> KillResult:
    """Kill the alert step at a kill point (see kill_point), run the recovery passes, and judge what
    the receivers got."""
    posts_from, mails_from = len(receiver.deliveries), len(sim.mail.sent)
    dying = DiesAt(store, *kill_point(point))
    with contextlib.suppress(ProcessDied):
        one_pass(dying, receiver, sim, 0, storm_size)
    for minutes in RECOVERY_MINUTES:
        one_pass(store, receiver, sim, minutes, storm_size)
    got = received(receiver, sim, posts_from, mails_from, alert_ids(storm_size))
    expected = expected_notices(storm_size)
    repeated = {n for n, ids in got.copies.items() if len(ids) > 1}
    return KillResult(
        point=point,
        killed=dying.died,
        lost=sum(1 for n in expected if not got.copies.get(n)),
        undelivered=sum(1 for n in store.notifications(TENANT.id) if n.status != "delivered"),
        repeated_notices=len(repeated),
        repeated_deliveries=sum(1 for count in got.deliveries.values() if count > 1),
        repeats_with_another_id=sum(1 for n in repeated if len(set(got.copies[n])) > 1),
        teams_repeats=sum(1 for target, _ in repeated if target in TEAMS),
        unreadable=got.unreadable,
    )
