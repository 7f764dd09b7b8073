"""The alert step of a pass: reconcile the findings ledger with the alerts (queueing notices in the
outbox), then deliver what the outbox holds that is due.

Order, so that a process killed between any two steps loses nothing and doubles nothing:
1. the findings ledger is written (by the pipeline, before this step);
2. for each alert that changes, its notices are queued in the outbox (created only if absent, under
   a key that names alert, event, cycle and target), and only then is the alert written, with its
   ETag; a kill in between re-runs the same transition next pass, which queues the same keys again;
3. due notices are sent; each result is recorded on its outbox row. A kill between sending and
   recording sends that notice again on the next pass (at least once): the webhook carries the key in
   `X-Monitor-Delivery` and the email a Message-ID made from it, so receivers can drop the copy.
"""

from __future__ import annotations

import hashlib
import logging
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import datetime, timedelta

import httpx
import orjson

from monitor import telemetry
from monitor.alerts import delivery, email, teams, webhook
from monitor.alerts.content import notice
from monitor.alerts.delivery import Outcome
from monitor.alerts.lifecycle import AlertPolicy, Transition, next_alert, reconcile
from monitor.alerts.model import Notification
from monitor.graph.session import GraphSession
from monitor.records import Tenant
from monitor.settings import AlertDestination, AlertSettings
from monitor.store.alerts import AlertConflict, AlertStore
from monitor.store.base import StoredFinding

log = logging.getLogger(__name__)
CONFLICT_RETRIES = 3


@dataclass(frozen=True)
class AlertPass:
    """What the alert step did in one pass (counts only: no addresses, no URLs)."""

    opened: int = 0
    reminded: int = 0
    resolved: int = 0
    queued: int = 0
    sent: int = 0
    retrying: int = 0
    dead: int = 0
    digests: int = 0

    def to_json(self) -> dict[str, int]:
        return dict(self.__dict__)


def policy_of(settings: AlertSettings) -> AlertPolicy:
    return AlertPolicy(
        reminder=timedelta(hours=settings.reminder_hours), settle=timedelta(minutes=settings.settle_minutes)
    )


def notices_for(transition: Transition, settings: AlertSettings, now: datetime) -> list[Notification]:
    """The outbox rows of one transition: one per routed destination, one per recipient for email."""
    if transition.event is None:
        return []
    alert = transition.after
    payload = notice(transition)
    rows = []
    for name in settings.route(alert.rule, alert.severity):
        destination = settings.destination(name)
        if destination is None:
            continue
        targets = (
            [email.recipient_target(name, r) for r in destination.recipients]
            if destination.channel == "email"
            else [name]
        )
        rows += [
            Notification(
                tenant_id=alert.tenant_id,
                alert_id=alert.id,
                event=transition.event,
                cycle=alert.cycle,
                number=transition.number,
                destination=name,
                target=target,
                channel=destination.channel,
                created_at=now,
                payload=payload,
            )
            for target in targets
        ]
    return rows


def reconcile_alerts(
    alert_store: AlertStore,
    findings: Sequence[StoredFinding],
    tenant: Tenant,
    now: datetime,
    settings: AlertSettings,
) -> AlertPass:
    policy = policy_of(settings)
    current = {a.key: a for a in alert_store.alerts(tenant.id)}
    by_key = {f.key: f for f in findings}
    counts = {"opened": 0, "reminder": 0, "resolved": 0}
    queued = 0
    transitions = reconcile(findings, current, tenant.id, tenant.display_name, now, policy)
    # Every notice is in the outbox before the alert that calls for it is written.
    planned = [(t, notices_for(t, settings, now)) for t in transitions]
    alert_store.queue([row for _, rows in planned for row in rows])
    for transition, first_rows in planned:
        step: Transition | None = transition
        rows = first_rows
        for _ in range(CONFLICT_RETRIES):
            assert step is not None
            try:
                alert_store.save_alert(step.after)
            except AlertConflict:
                # Another pass changed this alert since we read it: decide again from what it wrote.
                log.warning("alert changed underneath us, re-reading: alert=%s", step.after.id)
                fresh = alert_store.alert_by_id(step.after.id)
                step = next_alert(by_key[step.after.key], fresh, tenant.id, tenant.display_name, now, policy)
                if step is None:
                    break
                rows = notices_for(step, settings, now)
                alert_store.queue(rows)
                continue
            if step.event is not None:
                counts[step.event] += 1
                queued += len(rows)
            break
        else:
            log.warning(
                "alert kept changing under concurrent passes; left for the next pass: %s", transition.after.id
            )
    return AlertPass(
        opened=counts["opened"], reminded=counts["reminder"], resolved=counts["resolved"], queued=queued
    )


def after_attempt(
    row: Notification, outcome: Outcome, now: datetime, settings: AlertSettings, digest: str = ""
) -> Notification:
    attempts = row.attempts + 1
    if outcome.kind == "sent":
        return replace(
            row, status="delivered", attempts=attempts, delivered_at=now, last_error="", digest=digest
        )
    if outcome.kind == "dead":
        return replace(row, status="dead", attempts=attempts, last_error=outcome.reason)
    if attempts >= settings.max_attempts:
        return replace(
            row,
            status="dead",
            attempts=attempts,
            last_error=f"gave up after {attempts} attempts: {outcome.reason}",
        )
    backoff = min(settings.retry_base_minutes * 2 ** (attempts - 1), settings.retry_max_minutes) * 60
    wait = max(backoff, outcome.retry_after_seconds or 0.0)
    return replace(
        row, attempts=attempts, next_attempt_at=now + timedelta(seconds=wait), last_error=outcome.reason
    )


def _digest_key(rows: Sequence[Notification]) -> str:
    return "digest." + hashlib.sha256("|".join(sorted(r.key for r in rows)).encode()).hexdigest()[:16]


class Courier:
    """Delivers one pass's due notices, grouped by target."""

    def __init__(
        self, settings: AlertSettings, http: httpx.AsyncClient, graph: GraphSession | None, now: datetime
    ):
        self.settings = settings
        self.http = http
        self.graph = graph
        self.now = now

    async def _post(
        self, destination: AlertDestination, rows: Sequence[Notification], delivery_id: str, digest: bool
    ) -> Outcome:
        items = [r.payload for r in rows]
        what = f"{destination.channel} destination {destination.name}"
        if destination.channel == "teams":
            try:
                card = teams.digest_card(items) if digest else teams.alert_card(items[0])
            except (KeyError, TypeError, IndexError) as exc:
                # A stored notice that lost its shape (edited, truncated) will never render: say so.
                return Outcome("dead", f"{what}: the stored notice is not in the expected shape ({exc!r})")
            body = orjson.dumps(teams.message(card))
            return await delivery.post_json(self.http, destination.url, body, {}, what, self.now)
        body = webhook.body(delivery_id, items, self.now, digest)
        headers = {
            webhook.SIGNATURE_HEADER: webhook.signature(destination.hmac_key, body),
            webhook.DELIVERY_HEADER: delivery_id,
        }
        return await delivery.post_json(self.http, destination.url, body, headers, what, self.now)

    async def _mail(
        self, destination: AlertDestination, target: str, rows: Sequence[Notification]
    ) -> Outcome:
        what = f"email destination {destination.name}"
        recipient = next(
            (r for r in destination.recipients if email.recipient_target(destination.name, r) == target), None
        )
        if recipient is None:
            return Outcome("dead", f"{what}: the recipient is no longer configured")
        settings = self.settings
        try:
            message = email.build_message(
                [r.payload for r in rows], settings.email_sender, recipient, self.now, [r.key for r in rows]
            )
        except (KeyError, TypeError, IndexError) as exc:
            return Outcome("dead", f"{what}: a stored notice is not in the expected shape ({exc!r})")
        if settings.email_transport == "acs":
            return await delivery.send_acs_mail(
                settings.acs_connection_string,
                settings.email_sender,
                recipient,
                message,
                what,
                settings.request_timeout_seconds,
            )
        if self.graph is None:
            return Outcome("retry", f"{what}: no Graph session in this run")
        return await delivery.send_graph_mail(self.graph, settings.email_sender, message, what)

    async def deliver(self, due: Sequence[Notification]) -> tuple[list[Notification], int]:
        """Attempt every due row; return the rows as they are after their attempt, and the digests sent."""
        by_target: dict[str, list[Notification]] = defaultdict(list)
        for row in due:
            by_target[row.target].append(row)
        done: list[Notification] = []
        digests = 0
        for target, rows in by_target.items():
            destination = self.settings.destination(rows[0].destination)
            if destination is None:
                gone = Outcome("dead", f"destination {rows[0].destination} is no longer configured")
                done += [after_attempt(r, gone, self.now, self.settings) for r in rows]
            elif destination.channel == "email":
                # One message per recipient per pass, however many notices are due.
                outcome = await self._mail(destination, target, rows)
                key = _digest_key(rows) if len(rows) > 1 else ""
                done += [after_attempt(r, outcome, self.now, self.settings, key) for r in rows]
            elif len(rows) > self.settings.digest_threshold:
                key = _digest_key(rows)
                outcome = await self._post(destination, rows, key, digest=True)
                digests += outcome.kind == "sent"
                done += [after_attempt(r, outcome, self.now, self.settings, key) for r in rows]
            else:
                for row in rows:
                    outcome = await self._post(destination, [row], row.key, digest=False)
                    done.append(after_attempt(row, outcome, self.now, self.settings))
            for outcome_row in done[-len(rows) :]:
                if outcome_row.status == "dead":
                    log.warning(
                        "alert notice dead: alert=%s destination=%s reason=%s",
                        outcome_row.alert_id,
                        outcome_row.destination,
                        outcome_row.last_error,
                    )
        return done, digests


async def deliver_due(
    alert_store: AlertStore,
    tenant_id: str,
    now: datetime,
    settings: AlertSettings,
    graph: GraphSession | None,
) -> AlertPass:
    due = [n for n in alert_store.notifications(tenant_id, "pending") if n.due(now)]
    # Claimed for as long as an attempt may take; a pass that dies mid-attempt leaves them due then.
    due = alert_store.claim(due, now + timedelta(seconds=max(60.0, 4 * settings.request_timeout_seconds)))
    if not due:
        return AlertPass()
    async with httpx.AsyncClient(timeout=settings.request_timeout_seconds, follow_redirects=False) as http:
        done, digests = await Courier(settings, http, graph, now).deliver(due)
    alert_store.record(done)
    sent = sum(1 for n in done if n.status == "delivered")
    dead = sum(1 for n in done if n.status == "dead")
    telemetry.ALERTS_SENT.add(sent)
    telemetry.ALERTS_DEAD.add(dead)
    return AlertPass(sent=sent, dead=dead, retrying=len(done) - sent - dead, digests=digests)


async def process_alerts(
    alert_store: AlertStore,
    findings: Sequence[StoredFinding],
    tenant: Tenant,
    now: datetime,
    settings: AlertSettings,
    graph: GraphSession | None,
) -> AlertPass:
    """The whole alert step of one pass for one tenant."""
    with telemetry.tracer.start_as_current_span("alerts") as span:
        changes = reconcile_alerts(alert_store, findings, tenant, now, settings)
        delivered = await deliver_due(alert_store, tenant.id, now, settings, graph)
        summary = replace(
            changes,
            sent=delivered.sent,
            retrying=delivered.retrying,
            dead=delivered.dead,
            digests=delivered.digests,
        )
        for name, value in summary.to_json().items():
            span.set_attribute(f"alerts.{name}", value)
    log.info(
        "alerts: tenant=%s opened=%d reminded=%d resolved=%d queued=%d sent=%d retrying=%d dead=%d",
        tenant.id,
        summary.opened,
        summary.reminded,
        summary.resolved,
        summary.queued,
        summary.sent,
        summary.retrying,
        summary.dead,
    )
    return summary
