"""The alert lifecycle, pure: from the findings ledger and the alert table to the next alert states
and the notices they call for. No I/O; `monitor.alerts.process` writes what this decides.

It is level-triggered: every pass compares the whole ledger with the alerts, so a pass that died
after writing findings and before its alert step is caught up by the next one.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, replace
from datetime import datetime, timedelta

from monitor.alerts.model import Alert, AlertEvent
from monitor.store.base import StoredFinding


@dataclass(frozen=True)
class AlertPolicy:
    reminder: timedelta = timedelta(hours=24)
    settle: timedelta = timedelta(minutes=30)


@dataclass(frozen=True)
class Transition:
    """An alert's next state, and the notice (if any) that goes out with it."""

    before: Alert | None
    after: Alert
    event: AlertEvent | None

    @property
    def number(self) -> int:
        return self.after.reminders if self.event == "reminder" else 0


def next_alert(
    finding: StoredFinding,
    alert: Alert | None,
    tenant_id: str,
    tenant_name: str,
    now: datetime,
    policy: AlertPolicy,
) -> Transition | None:
    """What one finding of the ledger means for its alert now; None when nothing changes."""
    if finding.status == "open":
        if alert is None or alert.state == "resolved":
            opened = Alert(
                tenant_id=tenant_id,
                rule=finding.rule,
                subject=finding.subject,
                severity=finding.severity,
                title=finding.title,
                detail=finding.detail,
                evidence=dict(finding.evidence),
                state="open",
                cycle=(alert.cycle if alert else 0) + 1,
                opened_at=now,
                finding_since=finding.first_seen,
                # A snooze outlives a resolution: someone silenced a condition that flaps slowly.
                snoozed_until=alert.snoozed_until if alert and alert.snoozed(now) else None,
                tenant_name=tenant_name,
                etag=alert.etag if alert else "",
            )
            if opened.snoozed(now):
                return Transition(alert, opened, None)
            return Transition(alert, replace(opened, notified_at=now), "opened")
        current = replace(
            alert,
            severity=finding.severity,
            title=finding.title,
            detail=finding.detail,
            evidence=dict(finding.evidence),
            tenant_name=tenant_name or alert.tenant_name,
        )
        if alert.acknowledged_at is not None or alert.snoozed(now):
            return Transition(alert, current, None) if current != alert else None
        if alert.notified_at is None:  # opened while snoozed; the snooze is over
            return Transition(alert, replace(current, notified_at=now), "opened")
        if now - alert.notified_at >= policy.reminder:
            return Transition(
                alert, replace(current, notified_at=now, reminders=alert.reminders + 1), "reminder"
            )
        return Transition(alert, current, None) if current != alert else None
    # The finding passes again.
    if alert is None or alert.state == "resolved":
        return None
    if finding.resolved_at is None or now - finding.resolved_at < policy.settle:
        return None  # not settled yet: a flap inside the settle time changes nothing
    resolved = replace(alert, state="resolved", resolved_at=finding.resolved_at)
    # Nobody heard about an alert snoozed its whole life, so nobody needs to hear it is over.
    return Transition(alert, resolved, "resolved" if alert.notified_at is not None else None)


def reconcile(
    findings: Iterable[StoredFinding],
    alerts: Mapping[tuple[str, str], Alert],
    tenant_id: str,
    tenant_name: str,
    now: datetime,
    policy: AlertPolicy,
) -> list[Transition]:
    transitions = []
    for finding in findings:
        transition = next_alert(finding, alerts.get(finding.key), tenant_id, tenant_name, now, policy)
        if transition is not None:
            transitions.append(transition)
    return transitions
