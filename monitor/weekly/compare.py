"""What changed since the previous weekly snapshot.

The previous snapshot is read back from its stored JSON (`WeeklySnapshot.to_json`), defensively: a
snapshot written by an older version that lacks a section compares as if that section were empty, and
the report says which comparisons it could not make.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from monitor.weekly.snapshot import WeeklySnapshot

FindingRef = tuple[str, str, str, str]  # rule, subject, severity, title
DeviceRef = tuple[str, str]  # id, name


@dataclass(frozen=True)
class WeeklyChanges:
    previous_end: datetime | None
    new_findings: tuple[FindingRef, ...] = ()
    fixed_findings: tuple[FindingRef, ...] = ()
    still_open: tuple[FindingRef, ...] = ()
    attempts: tuple[int, int | None] = (0, None)  # this week, the previous one
    failure_rate: tuple[float | None, float | None] = (None, None)
    became_ready: tuple[DeviceRef, ...] = ()
    became_unready: tuple[DeviceRef, ...] = ()

    @property
    def first(self) -> bool:
        return self.previous_end is None

    @property
    def summary(self) -> str:
        if self.first:
            return "This is the first weekly snapshot: there is nothing to compare it with yet."
        return (
            f"Since the snapshot of {self.previous_end:%Y-%m-%d}: {len(self.new_findings)} new finding(s), "
            f"{len(self.fixed_findings)} fixed, {len(self.still_open)} still open; "
            f"{len(self.became_ready)} device(s) became ready for a non-destructive PIN reset, "
            f"{len(self.became_unready)} stopped being ready."
        )

    def to_json(self) -> dict[str, Any]:
        def findings(refs: tuple[FindingRef, ...]) -> list[dict[str, str]]:
            return [{"rule": r, "subject": s, "severity": v, "title": t} for r, s, v, t in refs]

        def devices(refs: tuple[DeviceRef, ...]) -> list[dict[str, str]]:
            return [{"id": i, "name": n} for i, n in refs]

        return {
            "previousPeriodEnd": self.previous_end.strftime("%Y-%m-%dT%H:%M:%SZ")
            if self.previous_end
            else None,
            "first": self.first,
            "summary": self.summary,
            "findings": {
                "new": findings(self.new_findings),
                "fixed": findings(self.fixed_findings),
                "stillOpen": findings(self.still_open),
            },
            "trends": {
                "attempts": {"thisWeek": self.attempts[0], "previousWeek": self.attempts[1]},
                "failureRate": {"thisWeek": self.failure_rate[0], "previousWeek": self.failure_rate[1]},
            },
            "devices": {
                "becameReady": devices(self.became_ready),
                "becameUnready": devices(self.became_unready),
            },
        }


def _time(value: Any) -> datetime | None:
    """A time as the snapshot writes it ("2026-11-20T12:00:00Z"); None if absent or unreadable."""
    if not isinstance(value, str):
        return None
    try:
        return datetime.fromisoformat(value)
    except ValueError:
        return None


def _section(document: Mapping[str, Any], *path: str) -> Any:
    value: Any = document
    for key in path:
        value = value.get(key) if isinstance(value, Mapping) else None
    return value


def _list(value: Any) -> list[Mapping[str, Any]]:
    return [v for v in value if isinstance(v, Mapping)] if isinstance(value, list) else []


def compare(current: WeeklySnapshot, previous: Mapping[str, Any] | None) -> WeeklyChanges:
    rate = round(current.failure_rate, 4) if current.failure_rate is not None else None
    if previous is None:
        return WeeklyChanges(None, attempts=(current.attempts, None), failure_rate=(rate, None))
    before_open = {
        (str(f.get("rule", "")), str(f.get("subject", ""))): f
        for f in _list(_section(previous, "findings", "open"))
    }
    now_open = {(f.rule, f.subject): f for f in current.open_findings}
    new = tuple((f.rule, f.subject, f.severity, f.title) for k, f in now_open.items() if k not in before_open)
    still = tuple((f.rule, f.subject, f.severity, f.title) for k, f in now_open.items() if k in before_open)
    fixed = tuple(
        (k[0], k[1], str(f.get("severity", "")), str(f.get("title", "")))
        for k, f in sorted(before_open.items())
        if k not in now_open
    )
    before_devices = {
        str(d.get("id", "")): d.get("nonDestructiveReset")
        for d in _list(_section(previous, "devices", "items"))
    }
    ready = tuple(
        (d.id, d.name)
        for d in current.devices
        if d.ready is True and before_devices.get(d.id, True) is not True
    )
    unready = tuple(
        (d.id, d.name) for d in current.devices if d.ready is not True and before_devices.get(d.id) is True
    )
    attempts = _section(previous, "pinReset", "attempts")
    previous_rate = _section(previous, "pinReset", "failureRate")
    return WeeklyChanges(
        previous_end=_time(previous.get("periodEnd")),
        new_findings=new,
        fixed_findings=fixed,
        still_open=still,
        attempts=(current.attempts, attempts if isinstance(attempts, int) else None),
        failure_rate=(rate, float(previous_rate) if isinstance(previous_rate, int | float) else None),
        became_ready=ready,
        became_unready=unready,
    )
