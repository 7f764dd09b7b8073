"""Where the weekly snapshot learns about alerts: open alerts with their age, and notifications that
could not be delivered.

`AlertSource` is what the snapshot needs from an alert store. Until one is plugged in, `LedgerAlerts`
answers from the findings ledger: every open finding is an alert that has been open since the finding
was first seen, and delivery is not tracked (the report says so rather than claim none failed).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

from monitor.rules.base import Severity
from monitor.store.base import StateStore


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
