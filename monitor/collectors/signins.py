"""PIN reset sign-ins from the beta sign-in log, read page by page as bytes.

Four queries (Graph's "List signIns" documents no `in` and no top-level `or` across appIds):
each PIN reset app by `appId`, and each by `resourceId`. A sign-in whose appId is a PIN reset app
comes back from an appId query, so the resourceId queries drop those: the four result sets are then
disjoint, and no set of seen IDs has to be kept. Memory stays flat however many sign-ins the window has.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

import orjson

from monitor import telemetry
from monitor.collectors.fields import obj, odata_time, parse_time, text
from monitor.entra import PIN_RESET_APPS
from monitor.graph.session import GraphSession
from monitor.records import PinResetSignIn, SignInHour, UnusableItem

SIGNIN_PERMISSION = "AuditLog.Read.All and Directory.Read.All (and an Entra ID P1 or P2 licence)"
# Beta returns interactive sign-ins only unless asked for both kinds ("List signIns", beta).
USER_SIGNINS = "signInEventTypes/any(t: t eq 'interactiveUser' or t eq 'nonInteractiveUser')"
# No $select: "List signIns" documents $filter, $top and $skiptoken only, and Graph has answered $select
# there with 400 "Query option 'Select' is not allowed". Asking anyway cost every pass one request of the
# report throttle (5 per 10 s per tenant) for an answer it already had; whole sign-ins hold every field read.
PAGE_SIZE = 1000  # Graph's maximum for sign-ins
PIN_RESET_STREAM = "signins.pin-reset"
SAMPLE_USERS = 5


def floor_hour(moment: datetime) -> datetime:
    return moment.replace(minute=0, second=0, microsecond=0)


def item_id(item: object) -> str:
    """The id of a Graph item, or a stable stand-in for one that has none (so re-reads count it once)."""
    if isinstance(item, dict) and text(item, "id"):
        return text(item, "id")
    return "sha1:" + hashlib.sha1(orjson.dumps(item, option=orjson.OPT_SORT_KEYS)).hexdigest()[:16]


def unusable_reason(item: object) -> str | None:
    """Why a sign-in cannot be used (it lacks what every sign-in has: id, time, result), or None."""
    if not isinstance(item, dict):
        return "the item is not a JSON object"
    if not text(item, "id"):
        return "id is missing"
    if parse_time(item.get("createdDateTime")) is None:
        return "createdDateTime is not a time"
    if not isinstance(item.get("status"), dict):
        return "status is not an object"
    if type(item["status"].get("errorCode")) is not int:
        return "status.errorCode is not an integer"
    return None


def unusable_item(stream: str, item: object, why: str, seen: datetime) -> UnusableItem:
    created = parse_time(item.get("createdDateTime")) if isinstance(item, dict) else None
    return UnusableItem(stream, item_id(item), why, seen, created)


def pin_reset_signin(item: Mapping[str, Any]) -> PinResetSignIn | None:
    """Map one Graph sign-in; None if it lacks what every sign-in has (see `unusable_reason`)."""
    if unusable_reason(item) is not None:
        return None
    signin_id = text(item, "id")
    created = parse_time(item.get("createdDateTime"))
    status = obj(item, "status")
    error_code = status.get("errorCode")
    assert created is not None
    assert type(error_code) is int
    device = obj(item, "deviceDetail")
    location = obj(item, "location")
    event_types = item.get("signInEventTypes")
    interactive = (
        "interactiveUser" in event_types
        if isinstance(event_types, list)
        else item.get("isInteractive") is not False
    )
    return PinResetSignIn(
        id=signin_id,
        created=created,
        app_id=text(item, "appId"),
        app_display_name=text(item, "appDisplayName"),
        resource_id=text(item, "resourceId"),
        resource_display_name=text(item, "resourceDisplayName"),
        user_id=text(item, "userId"),
        user_principal_name=text(item, "userPrincipalName"),
        error_code=error_code,
        failure_reason=text(status, "failureReason"),
        device_id=text(device, "deviceId"),
        device_name=text(device, "displayName"),
        operating_system=text(device, "operatingSystem"),
        ip_address=text(item, "ipAddress"),
        country=text(location, "countryOrRegion"),
        interactive=interactive,
        correlation_id=text(item, "correlationId"),
    )


@dataclass
class _HourTally:
    count: int
    first: datetime
    last: datetime
    users: list[str]


class HourlyTally:
    """Counts PIN reset sign-ins by (hour, app, result code) as pages stream past."""

    def __init__(self) -> None:
        self._hours: dict[tuple[datetime, str, int], _HourTally] = {}

    def add(self, signin: PinResetSignIn) -> None:
        key = (floor_hour(signin.created), signin.app_id, signin.error_code)
        tally = self._hours.get(key)
        if tally is None:
            self._hours[key] = _HourTally(1, signin.created, signin.created, [signin.user_principal_name])
            return
        tally.count += 1
        tally.first = min(tally.first, signin.created)
        tally.last = max(tally.last, signin.created)
        if len(tally.users) < SAMPLE_USERS and signin.user_principal_name not in tally.users:
            tally.users.append(signin.user_principal_name)

    def hours(self) -> tuple[SignInHour, ...]:
        return tuple(
            SignInHour(hour, app_id, code, t.count, t.first, t.last, tuple(u for u in t.users if u))
            for (hour, app_id, code), t in sorted(self._hours.items())
        )


@dataclass
class SignInRead:
    """What one read of the PIN reset sign-ins saw."""

    start: datetime
    end: datetime
    received: int = 0  # items Graph returned, all queries
    kept: int = 0  # PIN reset sign-ins mapped and handed on
    # Items without id, time or result: not usable; kept by the store so no rule passes over them.
    unusable: list[UnusableItem] = field(default_factory=list)


def signin_queries(start: datetime, end: datetime) -> list[tuple[str, str, dict[str, str | int]]]:
    """(field, appId, query) for each of the four queries of a window."""
    window = f"createdDateTime ge {odata_time(start)} and createdDateTime le {odata_time(end)}"
    return [
        (
            field_name,
            app_id,
            {
                "$filter": f"{window} and {field_name} eq '{app_id}' and {USER_SIGNINS}",
                "$top": PAGE_SIZE,
            },
        )
        for field_name in ("appId", "resourceId")
        for app_id in PIN_RESET_APPS
    ]


async def read_pin_reset_signins(
    graph: GraphSession, start: datetime, end: datetime, on_page: Callable[[list[PinResetSignIn]], None]
) -> SignInRead:
    """Stream every PIN reset sign-in created in [start, end] to `on_page`, a page at a time.

    Raises GraphReadError if any query fails; pages before the failure were already handed on.
    """
    read = SignInRead(start, end)
    for field_name, _app_id, query in signin_queries(start, end):
        by_resource = field_name == "resourceId"
        url = graph.url("beta", "auditLogs/signIns", query)
        async for page in graph.pages(url, source="beta/auditLogs/signIns", permission=SIGNIN_PERMISSION):
            read.received += len(page)
            telemetry.SIGNINS_READ.add(len(page))
            signins: list[PinResetSignIn] = []
            for item in page:
                if by_resource and isinstance(item, dict) and item.get("appId") in PIN_RESET_APPS:
                    continue  # already read by the appId query of its own app
                why = unusable_reason(item)
                if why is not None:
                    read.unusable.append(unusable_item(PIN_RESET_STREAM, item, why, end))
                    continue
                signin = pin_reset_signin(item)
                assert signin is not None
                signins.append(signin)
            read.kept += len(signins)
            on_page(signins)
    return read


def polling_window(
    checkpoint: datetime | None, now: datetime, overlap: timedelta, lookback: timedelta
) -> tuple[datetime, datetime]:
    """The window a pass reads: from an hour boundary before (checkpoint - overlap) up to now.

    Starting on an hour boundary means every hour the pass touches is read whole, so its counts can
    replace what the store had for that hour: re-reading the overlap never counts a sign-in twice.
    """
    earliest = now - lookback
    if checkpoint is not None:
        checkpoint = min(checkpoint, now)  # a replay with an earlier --now reads the overlap before it
    start = earliest if checkpoint is None else max(earliest, checkpoint - overlap)
    return floor_hour(start), now
