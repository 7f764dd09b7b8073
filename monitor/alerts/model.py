"""What the alert step keeps: one alert per (tenant, rule, subject), and the outbox of notifications.

An alert lives through cycles: it opens when its finding fails, resolves once the finding has stayed
resolved for the settle time, and a later failure opens the next cycle of the same alert. Every
notification is an outbox row whose key says what it is (alert, event, cycle, reminder number,
target), so writing it twice stores it once.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Literal

from monitor.rules.evidence import iso

AlertState = Literal["open", "resolved"]
AlertEvent = Literal["opened", "reminder", "resolved"]
DeliveryStatus = Literal["pending", "delivered", "dead"]


def alert_id(tenant_id: str, rule: str, subject: str) -> str:
    """A short ID a person can type (`alerts ack 3f9c0a1b2c4d`), stable for the alert's lifetime."""
    return hashlib.sha256(f"{tenant_id}|{rule}|{subject}".encode()).hexdigest()[:12]


@dataclass(frozen=True)
class Alert:
    tenant_id: str
    rule: str
    subject: str
    severity: str
    title: str
    detail: str
    evidence: Mapping[str, Any]
    state: AlertState
    cycle: int  # 1 for the first time it opened, +1 each time it opens again after resolving
    opened_at: datetime  # when this cycle opened
    finding_since: datetime  # the finding's first_seen for this cycle
    notified_at: datetime | None = None  # last opened/reminder notice queued this cycle; None: none yet
    reminders: int = 0  # reminders queued this cycle
    resolved_at: datetime | None = None
    acknowledged_at: datetime | None = None
    acknowledged_by: str = ""
    snoozed_until: datetime | None = None
    tenant_name: str = ""
    # Table Storage ETag of the row this was read from ("" for an alert not stored yet).
    etag: str = field(default="", compare=False)

    @property
    def id(self) -> str:
        return alert_id(self.tenant_id, self.rule, self.subject)

    @property
    def key(self) -> tuple[str, str]:
        return (self.rule, self.subject)

    def snoozed(self, now: datetime) -> bool:
        return self.snoozed_until is not None and now < self.snoozed_until

    def to_json(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "tenantId": self.tenant_id,
            "rule": self.rule,
            "subject": self.subject,
            "severity": self.severity,
            "title": self.title,
            "state": self.state,
            "cycle": self.cycle,
            "openedAt": iso(self.opened_at),
            "findingSince": iso(self.finding_since),
            "notifiedAt": iso(self.notified_at) if self.notified_at else None,
            "reminders": self.reminders,
            "resolvedAt": iso(self.resolved_at) if self.resolved_at else None,
            "acknowledgedAt": iso(self.acknowledged_at) if self.acknowledged_at else None,
            "acknowledgedBy": self.acknowledged_by or None,
            "snoozedUntil": iso(self.snoozed_until) if self.snoozed_until else None,
        }


@dataclass(frozen=True)
class Notification:
    """One notice to one target, as the outbox keeps it. `payload` is what the notice says, fixed when
    it was queued, so a retry days later says what the first attempt said."""

    tenant_id: str
    alert_id: str
    event: AlertEvent
    cycle: int
    number: int  # the reminder's number in its cycle; 0 for opened and resolved
    destination: str  # a destination name from the settings, never a URL
    target: str  # the destination, or destination#recipient-hash for email (one row per recipient)
    channel: str
    created_at: datetime
    payload: Mapping[str, Any]
    status: DeliveryStatus = "pending"
    attempts: int = 0
    next_attempt_at: datetime | None = None  # None: due now
    delivered_at: datetime | None = None
    last_error: str = ""
    digest: str = ""  # ID of the digest (or multi-notice email) it goes in, if any
    # ID of the delivery (one post, digest or email) it was composed into before its first send; every
    # retry of it resends that same delivery under this ID.
    delivery_id: str = ""
    # Table Storage ETag of the row this was read from ("" for a row not read from a store).
    etag: str = field(default="", compare=False)

    @property
    def key(self) -> str:
        """The idempotency key: alert + event + cycle (+ reminder number) + target."""
        event = f"reminder.{self.number}" if self.event == "reminder" else self.event
        return f"{self.alert_id}.{self.cycle}.{event}.{self.target}"

    def due(self, now: datetime) -> bool:
        return self.status == "pending" and (self.next_attempt_at is None or self.next_attempt_at <= now)

    def to_json(self) -> dict[str, Any]:
        return {
            "key": self.key,
            "tenantId": self.tenant_id,
            "alertId": self.alert_id,
            "event": self.event,
            "cycle": self.cycle,
            "number": self.number,
            "destination": self.destination,
            "channel": self.channel,
            "status": self.status,
            "attempts": self.attempts,
            "createdAt": iso(self.created_at),
            "nextAttemptAt": iso(self.next_attempt_at) if self.next_attempt_at else None,
            "deliveredAt": iso(self.delivered_at) if self.delivered_at else None,
            "lastError": self.last_error or None,
            "digest": self.digest or None,
            "deliveryId": self.delivery_id or None,
            "rule": self.payload.get("rule"),
            "subject": self.payload.get("subject"),
        }
