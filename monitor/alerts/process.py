"""The alert step of a pass: reconcile the findings ledger with the alerts (queueing notices in the
outbox), then deliver what the outbox holds that is due.

Order, so that a process killed between any two steps loses nothing and doubles nothing:
1. the findings ledger is written (by the pipeline, before this step);
2. for each alert that changes, its notices are queued in the outbox (created only if absent, under
   a key that names alert, event, cycle and target), and only then is the alert written, with its
   ETag; a kill in between re-runs the same transition next pass, which queues the same keys again;
3. due notices are composed into deliveries (a post, a digest, an email), each with an ID fixed when
   it is first composed; each delivery in turn is claimed (storing its ID on its rows), sent, and its
   outcome recorded at once. A kill between sending and recording sends that one delivery again on
   the next pass (at least once), under the same ID: the webhook's `X-Monitor-Delivery`, the email's
   Message-ID and a line on the Teams card, so receivers can drop the copy and readers see it is one.
"""

from __future__ import annotations

import hashlib
import logging
from collections import defaultdict
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta

import httpx

from monitor import telemetry
from monitor.alerts import channels, delivery
from monitor.alerts.channels.base import Notices, Via
from monitor.alerts.content import notice
from monitor.alerts.delivery import Outcome
from monitor.alerts.lifecycle import AlertPolicy, Transition, next_alert, reconcile
from monitor.alerts.model import Notification
from monitor.alerts.settings import AlertSettings
from monitor.graph.session import GraphSession
from monitor.records import Tenant
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
        targets = channels.get(destination.channel).targets(destination)
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


# A notice not delivered this long after it was queued is given up (dead), whatever the receiver asks:
# its last attempt is made at this limit at the latest.
DELIVERY_WINDOW = timedelta(hours=48)


def _wait_seconds(attempts: int, outcome: Outcome, settings: AlertSettings) -> float:
    """Backoff doubled per attempt, or the receiver's Retry-After if longer, at most the longest retry
    interval: bounded whatever the settings or the receiver say."""
    ceiling = settings.retry_max_minutes * 60
    if not 0 < ceiling <= delivery.MAX_RETRY_AFTER_SECONDS:  # also false for nan
        ceiling = delivery.MAX_RETRY_AFTER_SECONDS
    backoff = settings.retry_base_minutes * 60 * 2.0 ** min(max(attempts - 1, 0), 30)
    wait = max(backoff, outcome.retry_after_seconds or 0.0)
    return min(wait, ceiling) if wait == wait else ceiling


def after_attempt(
    row: Notification, outcome: Outcome, now: datetime, settings: AlertSettings
) -> Notification:
    """The row after the attempt its claim counted (`row.attempts` includes this one)."""
    attempts = row.attempts
    if outcome.kind == "sent":
        return replace(row, status="delivered", attempts=attempts, delivered_at=now, last_error="")
    # A dead row's next_attempt_at says when it was given up (the weekly report counts it in that week).
    if outcome.kind == "dead":
        return replace(row, status="dead", attempts=attempts, next_attempt_at=now, last_error=outcome.reason)
    if attempts >= settings.max_attempts:
        reason = f"gave up after {attempts} attempts: {outcome.reason}"
        return replace(row, status="dead", attempts=attempts, next_attempt_at=now, last_error=reason)
    deadline = row.created_at + DELIVERY_WINDOW
    if now >= deadline:
        hours = DELIVERY_WINDOW.total_seconds() / 3600
        reason = f"not delivered within {hours:g} hours of being queued: {outcome.reason}"
        return replace(row, status="dead", attempts=attempts, next_attempt_at=now, last_error=reason)
    retry_at = min(now + timedelta(seconds=_wait_seconds(attempts, outcome, settings)), deadline)
    return replace(row, attempts=attempts, next_attempt_at=retry_at, last_error=outcome.reason)


@dataclass(frozen=True)
class Parcel:
    """One delivery: a single notice, a digest, or one email, under the ID it got when it was first
    composed. Its rows carry that ID in the outbox, so a retry (or a resend after a kill) sends the
    same delivery with the same ID, whatever else is due by then."""

    delivery_id: str
    target: str
    rows: tuple[Notification, ...]
    digest: bool


def _hash(rows: Sequence[Notification], length: int) -> str:
    return hashlib.sha256("|".join(sorted(r.key for r in rows)).encode()).hexdigest()[:length]


def _composed(delivery_id: str, rows: Sequence[Notification], digest: bool) -> Parcel:
    marked = tuple(replace(r, delivery_id=delivery_id, digest=delivery_id if digest else "") for r in rows)
    return Parcel(delivery_id, rows[0].target, marked, digest)


def compose(due: Sequence[Notification], settings: AlertSettings) -> list[Parcel]:
    """The deliveries of a pass's due rows. Rows already composed (a retry, or a resend after a kill)
    keep their delivery; the rest of a target's rows become one email per recipient, or one digest
    when more than the threshold are due to a Teams or webhook destination, or one post each."""
    by_target: dict[str, list[Notification]] = defaultdict(list)
    for row in due:
        by_target[row.target].append(row)
    parcels: list[Parcel] = []
    for rows in by_target.values():
        earlier: dict[str, list[Notification]] = defaultdict(list)
        for row in rows:
            if row.delivery_id:
                earlier[row.delivery_id].append(row)
        parcels += [
            Parcel(d, members[0].target, tuple(members), bool(members[0].digest))
            for d, members in earlier.items()
        ]
        fresh = [r for r in rows if not r.delivery_id]
        if not fresh:
            continue
        if channels.bundles(fresh[0].channel):
            parcels.append(_composed(f"mail.{_hash(fresh, 24)}", fresh, len(fresh) > 1))
        elif len(fresh) > settings.digest_threshold:
            parcels.append(_composed(f"digest.{_hash(fresh, 16)}", fresh, True))
        else:
            parcels += [_composed(row.key, [row], False) for row in fresh]
    return parcels


async def send(parcel: Parcel, via: Via) -> Outcome:
    """Send one delivery through its destination's channel and say how it went; never raises for a
    receiver's answer."""
    first = parcel.rows[0]
    destination = via.settings.destination(first.destination)
    if destination is None:
        return Outcome("dead", f"destination {first.destination} is no longer configured")
    channel = channels.get(destination.channel)  # UnknownChannel, outside the catch below
    notices = Notices(
        destination,
        parcel.target,
        tuple(r.payload for r in parcel.rows),
        parcel.delivery_id,
        parcel.digest,
        tuple(r.alert_id for r in parcel.rows),
    )
    try:
        return await channel.send_notices(notices, via)
    # e.g. httpx.InvalidURL, or an ExceptionGroup holding an OverflowError for a port over 65535
    except (httpx.HTTPError, httpx.InvalidURL, OSError, ValueError, OverflowError, ExceptionGroup) as exc:
        # A channel failing in a way not classified above must not cost the outcomes of the others:
        # this delivery is retried like a failed connection. Only the type: the text can hold a URL.
        what = f"{destination.channel} destination {destination.name}"
        kinds = exc.exceptions if isinstance(exc, ExceptionGroup) else (exc,)
        said = ", ".join(type(e).__name__ for e in kinds)
        log.warning("alert delivery failed: %s: %s", what, said)
        return Outcome("retry", f"{what}: the request failed ({said})")


def wall_clock() -> datetime:
    return datetime.now(UTC)


async def deliver_due(
    alert_store: AlertStore,
    tenant_id: str,
    now: datetime,
    settings: AlertSettings,
    graph: GraphSession | None,
    clock: Callable[[], datetime] = wall_clock,
) -> AlertPass:
    """Send what is due, one delivery at a time: claim it (storing its ID and members), send it, and
    record the outcome at once, so a kill repeats at most the delivery in flight, under its ID."""
    due = [n for n in alert_store.notifications(tenant_id, "pending") if n.due(now)]
    if not due:
        return AlertPass()
    # A destination on a channel no module provides is refused before anything is claimed.
    for destination in settings.destinations:
        channels.check(destination.channel)
    # A claim lasts as long as one attempt may take, from the moment it is taken: a pass that read
    # Graph for minutes before this step does not claim rows that are already lapsed.
    lease = timedelta(seconds=max(60.0, 4 * settings.request_timeout_seconds))
    # An attempt counts from its claim, so a notice whose every attempt was cut short (the process died
    # while sending it) is given up after as many attempts as one that failed each time.
    cut_short = [n for n in due if n.attempts >= settings.max_attempts]
    if cut_short:
        reason = "gave up after {} attempts that never finished: the process stopped during each"
        alert_store.record(
            [
                replace(n, status="dead", next_attempt_at=now, last_error=reason.format(n.attempts))
                for n in cut_short
            ]
        )
        for n in cut_short:
            log.warning(
                "alert notice dead: alert=%s destination=%s reason=%s",
                n.alert_id,
                n.destination,
                reason.format(n.attempts),
            )
        due = [n for n in due if n.attempts < settings.max_attempts]
    sent = dead = retrying = digests = 0
    dead += len(cut_short)
    async with httpx.AsyncClient(timeout=settings.request_timeout_seconds, follow_redirects=False) as http:
        via = Via(settings, http, graph, now)
        for parcel in compose(due, settings):
            started = [replace(r, attempts=r.attempts + 1) for r in parcel.rows]
            won = alert_store.claim(started, max(now, clock()) + lease)
            if not won:
                continue  # another pass has it
            parcel = replace(parcel, rows=tuple(won))
            outcome = await send(parcel, via)
            done = [after_attempt(r, outcome, now, settings) for r in won]
            alert_store.record(done)
            for row in done:
                if row.status == "dead":
                    log.warning(
                        "alert notice dead: alert=%s destination=%s reason=%s",
                        row.alert_id,
                        row.destination,
                        row.last_error,
                    )
            delivered = sum(1 for n in done if n.status == "delivered")
            gone = sum(1 for n in done if n.status == "dead")
            sent, dead, retrying = sent + delivered, dead + gone, retrying + len(done) - delivered - gone
            digests += (
                parcel.digest and outcome.kind == "sent" and not channels.bundles(parcel.rows[0].channel)
            )
    telemetry.ALERTS_SENT.add(sent)
    telemetry.ALERTS_DEAD.add(dead)
    return AlertPass(sent=sent, dead=dead, retrying=retrying, digests=digests)


async def process_alerts(
    alert_store: AlertStore,
    findings: Sequence[StoredFinding],
    tenant: Tenant,
    now: datetime,
    settings: AlertSettings,
    graph: GraphSession | None,
    clock: Callable[[], datetime] = wall_clock,
) -> AlertPass:
    """The whole alert step of one pass for one tenant. `now` is the pass's time; `clock` reads the
    time when a claim is taken."""
    with telemetry.tracer.start_as_current_span("alerts") as span:
        changes = reconcile_alerts(alert_store, findings, tenant, now, settings)
        delivered = await deliver_due(alert_store, tenant.id, now, settings, graph, clock)
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
