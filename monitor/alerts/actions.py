"""What a person does to one alert: acknowledge it (no more reminders this cycle) or snooze it (no
notices until a time; it still resolves). Pure: the service reads and writes the store."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import Any

from monitor.alerts.model import Alert
from monitor.errors import BadRequest

_DURATION = re.compile(r"^\s*([0-9]+)\s*([mhd])\s*$")
_UNITS = {"m": "minutes", "h": "hours", "d": "days"}
MAX_SNOOZE = timedelta(days=90)


class ActionError(BadRequest):
    """A request to acknowledge or snooze that cannot be done; the message says why, in one line."""


def parse_duration(text: str) -> timedelta:
    match = _DURATION.match(text)
    if not match:
        raise ActionError(f"not a duration: {text!r} (examples: 30m, 2h, 7d)")
    # Compared in the duration's own unit first: a huge count overflows timedelta (and datetime).
    amount, unit = int(match.group(1)), _UNITS[match.group(2)]
    if amount > MAX_SNOOZE / timedelta(**{unit: 1}):
        raise ActionError(f"a snooze lasts between 1 minute and {MAX_SNOOZE.days} days, got {text[:40]!r}")
    duration = timedelta(**{unit: amount})
    if not timedelta(0) < duration <= MAX_SNOOZE:
        raise ActionError(f"a snooze lasts between 1 minute and {MAX_SNOOZE.days} days, got {text!r}")
    return duration


def parse_time(text: str) -> datetime:
    try:
        moment = datetime.fromisoformat(text.strip())
        return (moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)).replace(
            microsecond=0
        )
    except ValueError:
        raise ActionError(f"not an ISO 8601 time: {text!r} (example: 2026-11-21T08:00:00Z)") from None
    except OverflowError:  # year 1 or 9999 with an offset: not a time in UTC
        raise ActionError(f"{text[:40]!r} is out of range (example: 2026-11-21T08:00:00Z)") from None


def acknowledge(alert: Alert, by: str, now: datetime) -> Alert:
    if alert.state != "open":
        raise ActionError(f"alert {alert.id} is resolved; there is nothing to acknowledge")
    return replace(alert, acknowledged_at=now, acknowledged_by=by[:100])


def snooze(alert: Alert, until: datetime, now: datetime) -> Alert:
    if until <= now:
        raise ActionError(f"snooze until {until.isoformat()} is not in the future")
    if until - now > MAX_SNOOZE:
        raise ActionError(f"a snooze lasts at most {MAX_SNOOZE.days} days")
    return replace(alert, snoozed_until=until)


def snooze_until(now: datetime, duration: str | None, until: str | None) -> datetime:
    if (duration is None) == (until is None):
        raise ActionError("snooze needs exactly one of 'for' (a duration such as 2h) or 'until' (a time)")
    return now + parse_duration(duration) if duration is not None else parse_time(until or "")


def request_action(body: Mapping[str, Any] | Any, action: str) -> dict[str, str | None]:
    """Check an HTTP request body for `action`: ack takes {"by"?}, snooze {"for"} or {"until"}."""
    if not isinstance(body, Mapping):
        raise ActionError("the body must be a JSON object")
    allowed = {"ack": {"by"}, "snooze": {"for", "until", "by"}}[action]
    unknown = sorted(set(body) - allowed)
    if unknown:
        raise ActionError(f"unknown field(s) for {action}: {', '.join(unknown)}")
    if not all(isinstance(v, str) for v in body.values()):
        raise ActionError("every field must be a string")
    return {key: body.get(key) for key in sorted(allowed)}
