"""Where the weekly snapshot learns about alerts: open alerts with their age, and notifications that
could not be delivered.

`AlertSource` is what the snapshot needs from an alert store. With Table Storage, `StoredAlerts` reads
the alert store; without one (an offline report from a snapshot), `LedgerAlerts` answers from the
findings ledger: every open finding is an alert that has been open since the finding was first seen,
and delivery is not tracked (the report says so rather than claim none failed).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Protocol, cast

from monitor.rules.base import Severity
from monitor.store.base import StateStore

if TYPE_CHECKING:
    from monitor.store.alerts import AlertStore


@dataclass(frozen=True)
class OpenAlert:
    rule: str
    subject: str
    severity: Severity
    title: str
    opened: datetime


@dataclass(frozen=True)
class UndeliveredNotification:
    channel: str  # "teams", "email", "webhook"
    alert: str  # what it was about: "<rule> / <subject>"
    at: datetime  # the last attempt
    reason: str  # why it failed, without the endpoint's URL or any secret


class AlertSource(Protocol):
    # Where the figures come from, as the report names it ("alert store", "findings ledger").
    name: str
    # False when the source cannot know about deliveries (the report then says "not tracked").
    tracks_delivery: bool

    def open_alerts(self, tenant_id: str, now: datetime) -> list[OpenAlert]: ...

    def undelivered(
        self, tenant_id: str, since: datetime, until: datetime
    ) -> list[UndeliveredNotification]: ...


class LedgerAlerts:
    """Open findings as open alerts, until an alert store exists."""

    name = "findings ledger"
    tracks_delivery = False

    def __init__(self, store: StateStore) -> None:
        self._store = store

    def open_alerts(self, tenant_id: str, now: datetime) -> list[OpenAlert]:
        return [
            OpenAlert(f.rule, f.subject, f.severity, f.title, f.first_seen)
            for f in self._store.findings(tenant_id)
            if f.status == "open"
        ]

    def undelivered(self, tenant_id: str, since: datetime, until: datetime) -> list[UndeliveredNotification]:
        return []


class StoredAlerts:
    """The alert store's own view: alerts open now with when they opened, and notifications given up on
    (dead) in the week, each with its reason."""

    name = "alert store"
    tracks_delivery = True

    def __init__(self, store: AlertStore) -> None:
        self._store = store

    def open_alerts(self, tenant_id: str, now: datetime) -> list[OpenAlert]:
        return [
            OpenAlert(a.rule, a.subject, cast(Severity, a.severity), a.title, a.opened_at)
            for a in self._store.alerts(tenant_id)
            if a.state == "open"
        ]

    def undelivered(self, tenant_id: str, since: datetime, until: datetime) -> list[UndeliveredNotification]:
        dead = self._store.notifications(tenant_id, "dead")
        return [
            UndeliveredNotification(n.channel, n.alert_id, when, n.last_error)
            for n in dead
            if since <= (when := n.next_attempt_at or n.created_at) <= until
        ]
