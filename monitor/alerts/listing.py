"""`python -m monitor alerts` as a table a person reads."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from monitor.alerts.model import Alert, Notification
from monitor.rules.evidence import iso


def _rows(headers: tuple[str, ...], rows: Sequence[tuple[str, ...]]) -> list[str]:
    widths = [max(len(h), *(len(r[i]) for r in rows)) for i, h in enumerate(headers)]
    return [
        "  ".join(c.ljust(w) for c, w in zip(row, widths, strict=True)).rstrip() for row in (headers, *rows)
    ]


def _when(moment: datetime | None) -> str:
    return iso(moment) if moment else "-"


def state_of(alert: Alert, now: datetime) -> str:
    if alert.state == "resolved":
        return "resolved"
    if alert.snoozed(now):
        return f"snoozed until {_when(alert.snoozed_until)}"
    if alert.acknowledged_at:
        return f"acknowledged{' by ' + alert.acknowledged_by if alert.acknowledged_by else ''}"
    return "open"


def alerts_table(alerts: Sequence[Alert], now: datetime, dead: int = 0) -> str:
    if not alerts:
        out = "No alerts.\n"
    else:
        rows = [
            (
                a.id,
                state_of(a, now),
                a.severity.upper(),
                a.rule,
                a.subject,
                _when(a.opened_at),
                _when(a.notified_at),
                _when(a.resolved_at),
            )
            for a in alerts
        ]
        headers = ("ID", "STATE", "SEVERITY", "RULE", "SUBJECT", "OPENED", "LAST NOTIFIED", "RESOLVED")
        out = "\n".join(_rows(headers, rows)) + "\n"
    if dead:
        out += (
            f"\n{dead} notification(s) could not be delivered: "
            "python -m monitor alerts outbox --status dead\n"
        )
    return out


def outbox_table(rows: Sequence[Notification]) -> str:
    if not rows:
        return "No notifications.\n"
    table = [
        (
            n.alert_id,
            f"{n.event}{'.' + str(n.number) if n.number else ''}",
            n.destination,
            n.channel,
            n.status,
            str(n.attempts),
            _when(n.delivered_at or n.next_attempt_at),
            n.last_error or "-",
        )
        for n in rows
    ]
    headers = (
        "ALERT",
        "EVENT",
        "DESTINATION",
        "CHANNEL",
        "STATUS",
        "ATTEMPTS",
        "DELIVERED/NEXT",
        "LAST ERROR",
    )
    return "\n".join(_rows(headers, table)) + "\n"
