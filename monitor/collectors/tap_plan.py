"""TAP sign-ins read at the cost Graph's report throttle allows (5 requests per 10 s per tenant).

Two ways to find a pass holder's sign-ins, and each pass takes the cheaper by estimated requests:

- per user: one `userId eq` query per holder whose pass was valid in the window (at least one request
  each, however few sign-ins they have);
- window scan: every interactive sign-in of the window, 1,000 a page, keeping the holders' ones.

An onboarding wave (hundreds of passes a day) makes per-user queries cost far more than a scan; a
handful of passes on a big tenant the other way round. Where each holder usually signs in from is
learned once and kept (`UsualCountries`, in the store's inventory) rather than read again from 14 days
of history every pass: a query only reaches back as far as what is already known.

A scan reads its range oldest first in chunks (a day at most), so a pass that runs out of time budget
has whole chunks read, stored and checkpointed; the next pass goes on from there. That is how a first
pass's 14-day backfill on a big tenant spreads over passes.
"""

from __future__ import annotations

import math
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from typing import Any, Literal

from monitor.collectors.fields import integer, obj, parse_time, text
from monitor.collectors.signins import unusable_item
from monitor.collectors.tap import (
    TAP_STREAM,
    belonging_issuance,
    interactive_signin_pages,
    tap_signin,
    tap_unusable_reason,
    uses_tap,
)
from monitor.graph.pacing import BudgetExhausted
from monitor.graph.session import JSON, GraphSession
from monitor.records import DataProblem, TapIssuance, TapSignIn, UnusableItem

# The store's inventory kind that keeps each pass holder's usual countries.
USUAL_COUNTRIES_KIND = "tap-usual-countries"
_TENANT_KEY = "~tenant"  # the inventory item holding the tenant's observed sign-in rate
# Before a scan has measured the tenant's interactive sign-in rate, assume a busy one (100,000 in 14
# days), so the first pass does not pick a scan that a small tenant did not need.
ASSUMED_SIGNINS_PER_HOUR = 300.0
PAGE_SIZE = 1000
SCAN_CHUNK = timedelta(days=1)

Strategy = Literal["per-user", "window-scan"]


@dataclass
class UsualCountries:
    """Where one holder's successful sign-ins came from: each country with when it was first and last
    seen, learned from every sign-in read up to `through`."""

    seen: dict[str, tuple[datetime, datetime]] = field(default_factory=dict)
    through: datetime | None = None

    def before(self, moment: datetime, since: datetime) -> tuple[str, ...]:
        """Countries seen before `moment` and not only before `since`."""
        return tuple(sorted(c for c, (first, last) in self.seen.items() if first < moment and last >= since))

    def learn(self, created: datetime, country: str, succeeded: bool) -> None:
        if not (succeeded and country):
            return
        first, last = self.seen.get(country, (created, created))
        self.seen[country] = (min(first, created), max(last, created))

    def to_state(self) -> dict[str, Any]:
        return {
            "countries": {c: [a.isoformat(), b.isoformat()] for c, (a, b) in sorted(self.seen.items())},
            "through": self.through.isoformat() if self.through else None,
        }

    @classmethod
    def from_state(cls, state: Mapping[str, Any]) -> UsualCountries:
        countries = state.get("countries")
        seen: dict[str, tuple[datetime, datetime]] = {}
        for country, span in countries.items() if isinstance(countries, dict) else ():
            if isinstance(span, list) and len(span) == 2:
                first, last = parse_time(span[0]), parse_time(span[1])
                if isinstance(country, str) and first is not None and last is not None:
                    seen[country] = (first, last)
        return cls(seen, parse_time(state.get("through")))


@dataclass
class TapKnowledge:
    """What the store keeps between passes: holders' usual countries and the tenant's sign-in rate."""

    users: dict[str, UsualCountries] = field(default_factory=dict)
    signins_per_hour: float | None = None

    @classmethod
    def from_inventory(cls, items: Mapping[str, Mapping[str, Any]]) -> TapKnowledge:
        rate = items.get(_TENANT_KEY, {}).get("signinsPerHour")
        return cls(
            {user: UsualCountries.from_state(state) for user, state in items.items() if user != _TENANT_KEY},
            float(rate) if isinstance(rate, int | float) and not isinstance(rate, bool) else None,
        )

    def to_inventory(self) -> dict[str, dict[str, Any]]:
        items = {user: known.to_state() for user, known in self.users.items()}
        if self.signins_per_hour is not None:
            items[_TENANT_KEY] = {"signinsPerHour": round(self.signins_per_hour, 1)}
        return items


@dataclass(frozen=True)
class TapPlan:
    strategy: Strategy
    per_user_requests: int
    scan_requests: int
    scan_start: datetime


@dataclass
class TapPlanRead:
    """What a planned read did: the strategy, its estimate, and how far it got."""

    plan: TapPlan
    received: int = 0
    users: int = 0
    covered_until: datetime | None = None  # sign-ins up to here are read (None: nothing finished)
    problem: DataProblem | None = None  # the budget ran out before the end
    found: int = 0  # TAP sign-ins found


def holder_windows(
    issuances: Sequence[TapIssuance], start: datetime, end: datetime, fallback_lifetime: int
) -> dict[str, tuple[datetime, datetime]]:
    """Each holder whose pass was valid in [start, end]: from the earliest issuance to the last validity."""
    windows: dict[str, tuple[datetime, datetime]] = {}
    for issuance in issuances:
        valid_from = min(issuance.start or issuance.issued_at, issuance.issued_at)
        valid_until = issuance.valid_until(fallback_lifetime)
        if valid_until < start or valid_from > end:
            continue
        low, high = windows.get(issuance.user_id, (valid_from, valid_until))
        windows[issuance.user_id] = (min(low, valid_from), max(high, valid_until))
    return windows


def history_start(
    user: str, valid_from: datetime, knowledge: TapKnowledge, history_days: int, window_start: datetime
) -> datetime:
    """How far back a holder's sign-ins must be read: `history_days` before the pass, or only what is
    not already known, but never later than the polling window's start (its overlap re-reads what
    Graph's log latency may have held back)."""
    wanted = valid_from - timedelta(days=history_days)
    known = knowledge.users.get(user)
    if known is not None and known.through is not None:
        return max(wanted, min(known.through, window_start))
    return wanted


def plan(
    windows: Mapping[str, tuple[datetime, datetime]],
    knowledge: TapKnowledge,
    start: datetime,
    end: datetime,
    history_days: int,
) -> TapPlan:
    rate = knowledge.signins_per_hour if knowledge.signins_per_hour is not None else ASSUMED_SIGNINS_PER_HOUR
    starts = {u: history_start(u, low, knowledge, history_days, start) for u, (low, _) in windows.items()}
    scan_start = min([start, *starts.values()])
    scan_hours = max((end - scan_start).total_seconds() / 3600, 0)
    # Per user: at least one request each; a scan: its pages, and at least one request per chunk.
    chunks = max(1, math.ceil((end - scan_start) / SCAN_CHUNK))
    scan = max(chunks, math.ceil(rate * scan_hours / PAGE_SIZE)) if windows else 0
    per_user = len(windows)
    strategy: Strategy = "window-scan" if windows and scan < per_user else "per-user"
    return TapPlan(strategy, per_user, scan, scan_start)


def _classify(
    items: Sequence[JSON],
    holders: Mapping[str, tuple[datetime, datetime]],
    knowledge: TapKnowledge,
    history_days: int,
    start: datetime,
    end: datetime,
    unusable: list[UnusableItem],
    seen: datetime,
) -> list[TapSignIn]:
    """TAP sign-ins of the holders among `items` (any order), with the countries each holder used
    before; every holder sign-in is learned into `knowledge` as it goes, oldest first. A holder's
    sign-in that cannot be judged goes to `unusable`, never silently taken for one without a pass."""
    rows = []
    for item in items:
        user = text(item, "userId")
        if user not in holders:
            continue
        why = tap_unusable_reason(item)
        if why is not None:
            unusable.append(unusable_item(TAP_STREAM, item, why, seen))
            continue
        created = parse_time(item.get("createdDateTime"))
        if created is not None:
            rows.append((created, text(item, "id"), user, item))
    rows.sort(key=lambda row: (row[0], row[1]))
    found: list[TapSignIn] = []
    for created, _, user, item in rows:
        known = knowledge.users.setdefault(user, UsualCountries())
        if uses_tap(item) and start <= created <= end:
            prior = known.before(created, created - timedelta(days=history_days))
            signin = tap_signin(item, prior)
            if signin is not None:
                found.append(signin)
        succeeded = integer(obj(item, "status").get("errorCode")) == 0
        known.learn(created, text(obj(item, "location"), "countryOrRegion"), succeeded)
    return found


async def read_tap_signins_planned(
    graph: GraphSession,
    issuances: Sequence[TapIssuance],
    start: datetime,
    end: datetime,
    knowledge: TapKnowledge,
    *,
    history_days: int,
    fallback_lifetime: int,
    keep: Callable[[list[TapSignIn], datetime, list[UnusableItem]], Awaitable[None] | None],
) -> TapPlanRead:
    """Read the TAP sign-ins of [start, end] the cheaper way; hand each finished part to `keep`
    (sign-ins, the time up to which everything is now read, the items that could not be judged),
    which stores and checkpoints it."""
    windows = holder_windows(issuances, start, end, fallback_lifetime)
    chosen = plan(windows, knowledge, start, end, history_days)
    read = TapPlanRead(chosen, users=len(windows))

    async def finish(found: list[TapSignIn], until: datetime, unusable: list[UnusableItem]) -> None:
        tied = [replace(s, issuance=belonging_issuance(s, issuances, fallback_lifetime)) for s in found]
        result = keep(tied, until, unusable)
        if result is not None:
            await result
        read.found += len(tied)
        read.covered_until = until

    try:
        if chosen.strategy == "window-scan":
            await _scan(graph, windows, knowledge, chosen.scan_start, start, end, history_days, read, finish)
        else:
            await _per_user(graph, windows, knowledge, start, end, history_days, read, finish)
    except BudgetExhausted as exc:
        read.problem = exc.problem()
    return read


async def _scan(
    graph: GraphSession,
    windows: Mapping[str, tuple[datetime, datetime]],
    knowledge: TapKnowledge,
    scan_start: datetime,
    start: datetime,
    end: datetime,
    history_days: int,
    read: TapPlanRead,
    finish: Callable[[list[TapSignIn], datetime, list[UnusableItem]], Awaitable[None]],
) -> None:
    chunk_start = scan_start
    while chunk_start < end:
        chunk_end = min(chunk_start + SCAN_CHUNK, end)
        items: list[JSON] = []
        async for page in interactive_signin_pages(graph, chunk_start, chunk_end):
            items.extend(page)
        read.received += len(items)
        hours = (chunk_end - chunk_start).total_seconds() / 3600
        if hours >= 1:
            knowledge.signins_per_hour = len(items) / hours
        unusable: list[UnusableItem] = []
        found = _classify(items, windows, knowledge, history_days, start, end, unusable, end)
        for user in windows:
            knowledge.users.setdefault(user, UsualCountries()).through = chunk_end
        await finish(found, chunk_end, unusable)
        chunk_start = chunk_end


async def _per_user(
    graph: GraphSession,
    windows: Mapping[str, tuple[datetime, datetime]],
    knowledge: TapKnowledge,
    start: datetime,
    end: datetime,
    history_days: int,
    read: TapPlanRead,
    finish: Callable[[list[TapSignIn], datetime, list[UnusableItem]], Awaitable[None]],
) -> None:
    found: list[TapSignIn] = []
    unusable: list[UnusableItem] = []
    for user, (valid_from, valid_until) in sorted(windows.items()):
        since = history_start(user, valid_from, knowledge, history_days, start)
        until = min(valid_until, end)
        items: list[JSON] = []
        if since < until:
            async for page in interactive_signin_pages(graph, since, until, f"userId eq '{user}'"):
                items.extend(page)
        read.received += len(items)
        holder = {user: (valid_from, valid_until)}
        found.extend(_classify(items, holder, knowledge, history_days, start, end, unusable, end))
        knowledge.users.setdefault(user, UsualCountries()).through = until
    # Per-user reads finish together: the checkpoint is the window's end only once every holder is read.
    await finish(found, end, unusable)
