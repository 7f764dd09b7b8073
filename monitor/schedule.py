"""NCRONTAB schedules as Azure Functions timer triggers take them: six fields,
`{second} {minute} {hour} {day} {month} {day-of-week}` ("Timer trigger for Azure Functions",
https://learn.microsoft.com/azure/azure-functions/functions-bindings-timer#ncrontab-expressions).

Each field is `*`, a value, a range `a-b`, a list `a,b`, or a step `*/n` / `a-b/n`; months and days of
the week also take their English names (Jan, Mon). Used to check `MONITOR_POLL_SCHEDULE` with the other
settings and to derive how old the last pass may be before health calls it stale.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass
from datetime import datetime, timedelta

_FIELDS = (
    ("second", 0, 59),
    ("minute", 0, 59),
    ("hour", 0, 23),
    ("day", 1, 31),
    ("month", 1, 12),
    ("day of week", 0, 6),
)
_MONTHS = {
    m: i
    for i, m in enumerate(
        ["jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"], start=1
    )
}
_DAYS = {d: i for i, d in enumerate(["sun", "mon", "tue", "wed", "thu", "fri", "sat"])}


class ScheduleError(ValueError):
    pass


def _value(text: str, index: int) -> int:
    names = _MONTHS if index == 4 else _DAYS if index == 5 else {}
    lowered = text.lower()
    if lowered in names:
        return names[lowered]
    if len(lowered) > 3 and lowered[:3] in names:  # "Monday", "January"
        return names[lowered[:3]]
    if not text.isdigit():
        raise ScheduleError(f"{_FIELDS[index][0]} {text!r} is not a number")
    return int(text)


def _field(text: str, index: int) -> frozenset[int]:
    name, low, high = _FIELDS[index]
    values: set[int] = set()
    for part in text.split(","):
        base, _, step_text = part.partition("/")
        step = 1
        if step_text:
            if not step_text.isdigit() or int(step_text) == 0:
                raise ScheduleError(f"{name} step {step_text!r} is not a positive number")
            step = int(step_text)
        if base == "*":
            start, end = low, high
        elif "-" in base:
            first, _, last = base.partition("-")
            start, end = _value(first, index), _value(last, index)
        else:
            start = _value(base, index)
            end = high if step_text else start
        if index == 5 and end == 7:  # Sunday may be written 7
            end = 6 if start != 7 else 0
            start = 0 if start == 7 else start
        if not (low <= start <= high and low <= end <= high) or start > end:
            raise ScheduleError(f"{name} {base!r} is outside {low}-{high}")
        values.update(range(start, end + 1, step))
    return frozenset(values)


@dataclass(frozen=True)
class Schedule:
    seconds: frozenset[int]
    minutes: frozenset[int]
    hours: frozenset[int]
    days: frozenset[int]
    months: frozenset[int]
    weekdays: frozenset[int]

    @classmethod
    def parse(cls, text: str) -> Schedule:
        parts = text.split()
        if len(parts) != 6:
            raise ScheduleError(
                f"an NCRONTAB schedule has six fields (second minute hour day month day-of-week), "
                f"got {len(parts)}"
            )
        return cls(*(_field(part, i) for i, part in enumerate(parts)))

    def matches(self, moment: datetime) -> bool:
        weekday = (moment.weekday() + 1) % 7  # Python: Monday 0; NCRONTAB: Sunday 0
        return (
            moment.month in self.months
            and moment.day in self.days
            and weekday in self.weekdays
            and moment.hour in self.hours
            and moment.minute in self.minutes
        )

    def longest_gap(self, start: datetime, horizon: timedelta = timedelta(days=8)) -> timedelta | None:
        """The longest time between two runs in [start, start + horizon] (minute resolution, and the
        seconds field counted within each matching minute); None if it runs fewer than twice."""
        moment = start.replace(second=0, microsecond=0)
        end = moment + horizon
        runs: list[datetime] = []
        while moment <= end:
            if self.matches(moment):
                runs.extend(moment.replace(second=s) for s in sorted(self.seconds))
            moment += timedelta(minutes=1)
        if len(runs) < 2:
            return None
        return max(b - a for a, b in itertools.pairwise(runs))


def schedule_problem(setting: str, text: str) -> str | None:
    """Why the app setting `setting` holding `text` is not a schedule the timer trigger takes, or None:
    the one check of every schedule setting (MONITOR_POLL_SCHEDULE, MONITOR_WEEKLY_SCHEDULE)."""
    try:
        Schedule.parse(text)
    except ScheduleError as exc:
        return f"{setting} {text!r} is not an NCRONTAB schedule: {exc}"
    return None
