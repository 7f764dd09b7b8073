"""The SOC's list of Temporary Access Pass sign-ins: filters, paging, and each row joined with its pass,
what the rules found about it and its recovery chain.

The CLI (`python -m monitor tap-signins`) and the route (`GET /api/tap-signins`) both hand their
arguments to `parse_filters` as strings and get the same errors; a bad filter is a `FilterError` with a
one-line reason (exit 2, or a 400), never a crash. The continuation token is opaque to callers: base64 of
a small JSON position (the last row's time and id) and a fingerprint of the filters it was issued for, so
a token replayed with other filters, or edited, is refused.

Read from the store (`stored_page`), a page filtered by time only (the SOC's default view) reads the
newest rows after its position and the stored hourly counts; any other filter reads the whole window.
"""

from __future__ import annotations

import base64
import binascii
import csv
import functools
import hashlib
import heapq
import io
import itertools
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import asdict, dataclass
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any, Literal

import orjson

from monitor.errors import BadRequest
from monitor.records import TapSignIn
from monitor.rules.evidence import iso
from monitor.soc.review import (
    Histories,
    ReviewError,
    TapSignInReview,
    parse_review_state,
    review_json,
    state_matches,
)

if TYPE_CHECKING:
    from monitor.rules.base import Finding
    from monitor.store.base import StoredFinding

Result = Literal["success", "failure"]
RISKS = ("none", "low", "medium", "high", "hidden")
DEFAULT_LIMIT = 100
MAX_LIMIT = 1000
FILTERS = (
    "since",
    "until",
    "user",
    "result",
    "risk",
    "country",
    "issuer",
    "flagged",
    "review",
    "limit",
    "continuation",
)


class FilterError(BadRequest):
    """A filter the SOC view cannot apply; the message says which and why."""


@dataclass(frozen=True)
class TapSignInFilter:
    since: datetime | None = None
    until: datetime | None = None
    user: str = ""  # UPN or user ID, case-insensitive
    result: Result | None = None
    risk: str = ""
    country: str = ""  # ISO 3166 alpha-2, as the sign-in log gives it
    issuer: str = ""  # UPN (or app name) of who issued the pass
    flagged: bool = False  # only sign-ins a rule found something about
    review: str = ""  # new, reviewed or a verdict (monitor.soc.review)

    def fingerprint(self) -> str:
        """A short digest of the filters, bound into continuation tokens."""
        plain = {k: (iso(v) if isinstance(v, datetime) else v) for k, v in asdict(self).items()}
        return hashlib.sha256(orjson.dumps(plain, option=orjson.OPT_SORT_KEYS)).hexdigest()[:16]


@dataclass(frozen=True)
class PageRequest:
    filters: TapSignInFilter
    limit: int = DEFAULT_LIMIT
    after: tuple[str, str] | None = None  # (createdDateTime, id) of the last row already returned


_EARLIEST = datetime(2000, 1, 1, tzinfo=UTC)
_LATEST = datetime(9000, 1, 1, tzinfo=UTC)


def _time(name: str, value: str) -> datetime:
    try:
        moment = datetime.fromisoformat(value.strip())
        found = moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)
    except ValueError:
        raise FilterError(
            f"{name} is not an ISO 8601 time: {value!r} (example: 2026-11-20T12:00:00Z)"
        ) from None
    except OverflowError:
        found = datetime.min.replace(tzinfo=UTC)  # year 1 or 9999 with an offset: checked below
    # Sign-ins are read day by day: a filter outside the years any sign-in can have is an error.
    if not _EARLIEST <= found < _LATEST:
        raise FilterError(f"{name} {value[:40]!r} is out of range ({_EARLIEST.year} to {_LATEST.year - 1})")
    return found


def parse_filters(raw: Mapping[str, str]) -> PageRequest:
    """Filters and paging from strings (query parameters or CLI options); raises FilterError."""
    unknown = sorted(set(raw) - set(FILTERS))
    if unknown:
        raise FilterError(f"unknown filter(s): {', '.join(unknown)} (known: {', '.join(FILTERS)})")
    values = {k: v for k, v in raw.items()}
    since = _time("since", values["since"]) if values.get("since") else None
    until = _time("until", values["until"]) if values.get("until") else None
    if since and until and since > until:
        raise FilterError(f"since ({iso(since)}) is after until ({iso(until)})")
    result = values.get("result", "").strip().lower() or None
    if result not in (None, "success", "failure"):
        raise FilterError(f"result must be success or failure, got {values['result']!r}")
    risk = values.get("risk", "").strip().lower()
    if risk and risk not in RISKS:
        raise FilterError(f"risk must be one of {', '.join(RISKS)}, got {values['risk']!r}")
    country = values.get("country", "").strip().upper()
    if country and not (len(country) == 2 and country.isascii() and country.isalpha()):
        raise FilterError(f"country must be a two-letter ISO 3166 code such as DE, got {values['country']!r}")
    flagged_text = values.get("flagged", "").strip().lower()
    if flagged_text not in ("", "true", "false", "1", "0", "yes", "no"):
        raise FilterError(f"flagged must be true or false, got {values['flagged']!r}")
    limit_text = values.get("limit", "").strip()
    try:
        limit = int(limit_text) if limit_text else DEFAULT_LIMIT
    except ValueError:
        raise FilterError(f"limit must be a whole number, got {limit_text!r}") from None
    if not 1 <= limit <= MAX_LIMIT:
        raise FilterError(f"limit must be between 1 and {MAX_LIMIT}, got {limit}")
    for name in ("user", "issuer"):
        if len(values.get(name, "")) > 256:
            raise FilterError(f"{name} is longer than 256 characters")
    filters = TapSignInFilter(
        since=since,
        until=until,
        user=values.get("user", "").strip(),
        result=result,  # type: ignore[arg-type]  # checked against Result just above
        risk=risk,
        country=country,
        issuer=values.get("issuer", "").strip(),
        flagged=flagged_text in ("true", "1", "yes"),
        review=_review_filter(values.get("review", "")),
    )
    token = values.get("continuation", "").strip()
    return PageRequest(filters, limit, decode_token(token, filters) if token else None)


def _review_filter(value: str) -> str:
    try:
        return parse_review_state(value)
    except ReviewError as exc:
        raise FilterError(str(exc)) from None


def encode_token(position: tuple[str, str], filters: TapSignInFilter) -> str:
    document = {"v": 1, "after": list(position), "f": filters.fingerprint()}
    return base64.urlsafe_b64encode(orjson.dumps(document)).decode().rstrip("=")


def decode_token(token: str, filters: TapSignInFilter) -> tuple[str, str]:
    if len(token) > 2048:
        raise FilterError("continuation token is not one this view issued")
    try:
        document = orjson.loads(base64.urlsafe_b64decode(token + "=" * (-len(token) % 4)))
    except (binascii.Error, ValueError, orjson.JSONDecodeError):
        raise FilterError("continuation token is not one this view issued") from None
    after = document.get("after") if isinstance(document, dict) else None
    if (
        not isinstance(document, dict)
        or document.get("v") != 1
        or not isinstance(after, list)
        or len(after) != 2
        or not all(isinstance(part, str) for part in after)
    ):
        raise FilterError("continuation token is not one this view issued")
    if document.get("f") != filters.fingerprint():
        raise FilterError(
            "continuation token was issued for other filters; repeat the same filters or start over"
        )
    return (after[0], after[1])


# -- rows ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class RuleNote:
    """What a rule found about a sign-in: its finding's rule, severity and title."""

    rule: str
    severity: str
    title: str
    status: str  # "open" or "resolved" (a scan's findings are "open")


def evidence_strings(value: Any, into: set[str]) -> None:
    """Every string anywhere in a finding's evidence (the sign-in IDs it names among them), into `into`."""
    if isinstance(value, str):
        into.add(value)
    elif isinstance(value, Mapping):
        for v in value.values():
            evidence_strings(v, into)
    elif isinstance(value, list | tuple):
        for v in value:
            evidence_strings(v, into)


def finding_notes(findings: Iterable[Finding | StoredFinding]) -> dict[str, list[RuleNote]]:
    """`notes_by_signin` of findings as a pass returns them (open) or as the ledger keeps them."""
    from monitor.store.base import StoredFinding

    return notes_by_signin(
        (f.rule, f.severity, f.title, f.status if isinstance(f, StoredFinding) else "open", f.evidence)
        for f in findings
    )


def notes_by_signin(
    findings: Iterable[tuple[str, str, str, str, Mapping[str, Any]]],
) -> dict[str, list[RuleNote]]:
    """Sign-in id -> the findings whose evidence names it. Each finding is (rule, severity, title,
    status, evidence); a finding names a sign-in when its id appears anywhere in the evidence."""
    named: dict[str, list[RuleNote]] = {}
    for rule, severity, title, status, evidence in findings:
        strings: set[str] = set()
        evidence_strings(evidence, strings)
        note = RuleNote(rule, severity, title, status)
        for value in strings:
            named.setdefault(value, []).append(note)
        if rule == BURST_RULE and {"userId", "first", "last"} <= set(evidence):
            # The burst's evidence names its window, not its failed sign-ins (only the success that
            # followed): page() gives the note to the user's failed sign-ins in the window.
            key = BURST_KEY.format(evidence["userId"], evidence["first"], evidence["last"])
            named.setdefault(key, []).append(note)
    return named


BURST_RULE = "tap.signin.failure-burst"
BURST_KEY = "failure-burst|{}|{}|{}"


def _with_bursts(
    signins: Sequence[TapSignIn], notes: Mapping[str, Sequence[RuleNote]]
) -> Mapping[str, Sequence[RuleNote]]:
    bursts = [(key.split("|"), found) for key, found in notes.items() if key.startswith("failure-burst|")]
    if not bursts:
        return notes
    merged = {key: list(found) for key, found in notes.items()}
    for (_, user_id, first, last), found in bursts:
        for signin in signins:
            if (
                signin.user_id == user_id
                and not signin.succeeded
                and first <= iso(signin.created) <= last
                and not any(n in merged.get(signin.id, []) for n in found)
            ):
                merged.setdefault(signin.id, []).extend(found)
    return merged


def row_json(
    signin: TapSignIn,
    notes: Sequence[RuleNote],
    recovery: Mapping[str, Any] | None,
    history: Sequence[TapSignInReview] = (),
) -> dict[str, Any]:
    """One SOC row: scan's tap_signins row (with its `issuance`), what the rules found, the chain, and
    its review (`new` until someone reviews it; every review oldest first in `review.history`)."""
    return signin.to_json() | {
        "rules": sorted({n.rule for n in notes}),
        "findings": [
            {"rule": n.rule, "severity": n.severity, "title": n.title, "status": n.status}
            for n in sorted(notes, key=lambda n: n.rule)
        ],
        "flagged": bool(notes),
        "recovery": dict(recovery) if recovery is not None else None,
        "review": review_json(history),
    }


def _matches(
    signin: TapSignIn, flagged: bool, f: TapSignInFilter, history: Sequence[TapSignInReview] = ()
) -> bool:
    if f.since and signin.created < f.since:
        return False
    if f.until and signin.created > f.until:
        return False
    if f.user and f.user.lower() not in (signin.user_principal_name.lower(), signin.user_id.lower()):
        return False
    if f.result and (signin.succeeded != (f.result == "success")):
        return False
    if f.risk and signin.risk_during_signin.lower() != f.risk:
        return False
    if f.country and signin.country.upper() != f.country:
        return False
    issuer = signin.issuance.issued_by.lower() if signin.issuance else ""
    if f.issuer and f.issuer.lower() != issuer:
        return False
    if not state_matches(history, f.review):
        return False
    return not f.flagged or flagged


@dataclass(frozen=True)
class TapSignInPage:
    rows: tuple[dict[str, Any], ...]
    continuation: str | None
    matched: int  # rows matching the filters, all pages

    def to_json(self) -> dict[str, Any]:
        return {
            "tapSignIns": list(self.rows),
            "count": len(self.rows),
            "matched": self.matched,
            "continuation": self.continuation,
        }


def page(
    signins: Iterable[TapSignIn],
    notes: Mapping[str, Sequence[RuleNote]],
    recoveries: Mapping[str, Mapping[str, Any]],
    request: PageRequest,
    reviews: Histories | None = None,
) -> TapSignInPage:
    """The page of matching rows after the request's position, newest first. Rows are built for the
    page only: filtering a month of sign-ins touches each record once. `reviews`: each sign-in's
    reviews, oldest first (none: every sign-in is `new`)."""
    f = request.filters
    signins = list(signins)
    notes = _with_bursts(signins, notes)
    histories: Histories = reviews or {}
    matching = [s for s in signins if _matches(s, s.id in notes, f, histories.get(s.id, ()))]
    matching.sort(key=lambda s: (s.created, s.id), reverse=True)
    total = len(matching)
    if request.after is not None:
        after = _position(request.after)
        matching = [s for s in matching if (s.created, s.id) < after]
    return _page_of(matching[: request.limit + 1], notes, recoveries, request, histories, total)


def _position_time(moment: datetime) -> str:
    """The last row's time in a token: to the microsecond when it has one, or the next page would
    skip rows of the same second (times read from the log stream can carry fractions)."""
    if moment.microsecond == 0:
        return iso(moment)
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def _position(after: tuple[str, str]) -> tuple[datetime, str]:
    return (_time("continuation", after[0]), after[1])


def _page_of(
    chosen: Sequence[TapSignIn],
    notes: Mapping[str, Sequence[RuleNote]],
    recoveries: Mapping[str, Mapping[str, Any]],
    request: PageRequest,
    histories: Histories,
    matched: int,
) -> TapSignInPage:
    """The page from up to limit + 1 matching sign-ins, newest first (one more than the page: more)."""
    more = len(chosen) > request.limit
    chosen = chosen[: request.limit]
    rows = tuple(
        row_json(
            s,
            notes.get(s.id, ()),
            recoveries.get(s.issuance.audit_id) if s.issuance else None,
            histories.get(s.id, ()),
        )
        for s in chosen
    )
    last = chosen[-1] if chosen else None
    token = encode_token((_position_time(last.created), last.id), request.filters) if more and last else None
    return TapSignInPage(rows, token, matched)


# -- reading a page from the store -----------------------------------------------------------------

Reader = Callable[[str, datetime, datetime], list[TapSignIn]]  # (tenant, start, end): oldest first
Count = Callable[[str, datetime, datetime], int]  # (tenant, start, end): how many
FIRST_WINDOW = timedelta(hours=1)


def newest_first(
    read: Callable[[datetime, datetime], list[TapSignIn]],
    start: datetime,
    end: datetime,
    before: tuple[datetime, str] | None = None,
    count: Callable[[datetime, datetime], int] | None = None,
    want: int = 0,
) -> Iterator[TapSignIn]:
    """Sign-ins created in [start, end] (and before the position `before`), newest first, read in
    windows that start at the newest hour and double backwards: a page of the newest rows reads about
    that many rows from the store, not the whole window. With `count` (the store's count, cheap), a
    window is counted first: an empty one is not read, and one holding many more than the `want` rows
    a page needs is narrowed before it is read (sign-ins bunched in a few hours long ago)."""
    high = end if before is None else min(end, before[0])
    width = FIRST_WINDOW
    while high >= start:
        # Windows begin on the hour: past the first, each is whole hours, which the store counts from
        # the hourly counts it keeps rather than by key.
        low = max(start, (high - width).replace(minute=0, second=0, microsecond=0))
        if count is not None:
            found_here = count(low, high)
            if found_here > 4 * max(want, 1) and width > FIRST_WINDOW:
                width = max(FIRST_WINDOW, width / 4)
                continue
            if found_here == 0:
                high = low - timedelta(microseconds=1)
                width *= 2
                continue
        found = sorted(read(low, high), key=lambda s: (s.created, s.id), reverse=True)
        yield from (s for s in found if before is None or (s.created, s.id) < before)
        high = low - timedelta(microseconds=1)  # times are kept to the microsecond: no gap, no overlap
        width *= 2


def stored_page(
    tenants: Sequence[str],
    read: Reader,
    count: Count,
    notes: Mapping[str, Sequence[RuleNote]],
    recoveries: Mapping[str, Mapping[str, Any]],
    request: PageRequest,
    start: datetime,
    end: datetime,
    reviews: Histories | None = None,
) -> TapSignInPage:
    """`page` over the tenants' stored sign-ins of [start, end], the same rows and token. Filtered by
    time only (the SOC's default view), it reads the newest rows only and counts the rest by key;
    any other filter needs every sign-in of the window, and reads them."""
    f = request.filters
    histories: Histories = reviews or {}
    if f != TapSignInFilter(since=f.since, until=f.until):
        signins = [s for tenant in tenants for s in read(tenant, start, end)]
        return page(signins, notes, recoveries, request, histories)
    before = _position(request.after) if request.after is not None else None
    streams = [
        newest_first(
            functools.partial(read, tenant),
            start,
            end,
            before,
            functools.partial(count, tenant),
            request.limit + 1,
        )
        for tenant in tenants
    ]
    newest = heapq.merge(*streams, key=lambda s: (s.created, s.id), reverse=True)
    chosen = list(itertools.islice(newest, request.limit + 1))
    matched = sum(count(tenant, start, end) for tenant in tenants)
    return _page_of(chosen, _with_bursts(chosen, notes), recoveries, request, histories, matched)


CSV_COLUMNS = (
    "id",
    "createdDateTime",
    "userPrincipalName",
    "userId",
    "succeeded",
    "errorCode",
    "ipAddress",
    "countryOrRegion",
    "city",
    "deviceId",
    "deviceName",
    "riskLevel",
    "riskLevelAggregated",
    "issuedBy",
    "issuedDateTime",
    "lifetimeInMinutes",
    "isUsableOnce",
    "rules",
    "recoveryStage",
    "reviewState",
    "reviewedBy",
    "reviewedDateTime",
)


def to_csv(result: TapSignInPage) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(CSV_COLUMNS)
    for row in result.rows:
        issuance = row.get("issuance") or {}
        recovery = row.get("recovery") or {}
        review = row.get("review") or {}
        values = {
            **row,
            "issuedBy": issuance.get("issuedBy"),
            "issuedDateTime": issuance.get("issuedDateTime"),
            "lifetimeInMinutes": issuance.get("lifetimeInMinutes"),
            "isUsableOnce": issuance.get("isUsableOnce"),
            "rules": " ".join(row["rules"]),
            "recoveryStage": recovery.get("stage"),
            "reviewState": review.get("state", "new"),
            "reviewedBy": review.get("reviewer"),
            "reviewedDateTime": review.get("reviewedDateTime"),
        }
        writer.writerow([_cell(values.get(c)) for c in CSV_COLUMNS])
    return out.getvalue()


def _cell(value: Any) -> Any:
    if value is None:
        return ""
    # A cell starting like a formula would run in a spreadsheet (CSV injection): keep it text.
    if isinstance(value, str) and value[:1] in ("=", "+", "-", "@", "\t", "\r"):
        return "'" + value
    return value
