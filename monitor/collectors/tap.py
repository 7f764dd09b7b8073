"""Temporary Access Pass: the policy, who was issued a pass, who holds a privileged role, and the
sign-ins made with a pass.

Finding TAP sign-ins without reading every sign-in (docs/tap.md): a pass is only ever issued by an admin,
and the directory audit log records each issuance. So the audit log says whose sign-ins to read; the
default `targeted` mode reads them the cheaper way in `collectors/tap_plan.py` (per holder, or one scan
of the window). `full_scan_tap_signins` here reads every interactive sign-in of the window instead, for
tenants that want TAP sign-ins whose issuance fell outside the audit window; docs/tap.md compares what
each costs in Graph requests.
"""

from __future__ import annotations

import logging
from collections import defaultdict
from collections.abc import AsyncIterator, Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from typing import Any

from monitor import telemetry
from monitor.collectors.fields import boolean, collect_items, integer, obj, odata_time, parse_time, text
from monitor.collectors.signins import SIGNIN_PERMISSION, unusable_item, unusable_reason
from monitor.entra import PRIVILEGED_ROLES, TAP_METHOD_NAME
from monitor.graph.errors import GraphReadError
from monitor.graph.pacing import BudgetExhausted
from monitor.graph.session import JSON, GraphSession
from monitor.records import DataProblem, RoleHolding, TapIssuance, TapPolicy, TapSignIn, UnusableItem

log = logging.getLogger(__name__)

AUDIT_PERMISSION = "AuditLog.Read.All"
TAP_ISSUED = "Admin registered security info"
# resultReason of a TAP issuance: "Admin registered temporary access pass method for user".
TAP_ISSUED_REASON = "temporary access pass"


# -- policy ----------------------------------------------------------------------------------------


def tap_policy(item: Mapping[str, Any]) -> TapPolicy:
    targets = item.get("includeTargets")
    return TapPolicy(
        state=text(item, "state", "disabled"),
        default_lifetime_minutes=integer(item.get("defaultLifetimeInMinutes")),
        minimum_lifetime_minutes=integer(item.get("minimumLifetimeInMinutes")),
        maximum_lifetime_minutes=integer(item.get("maximumLifetimeInMinutes")),
        default_length=integer(item.get("defaultLength")),
        is_usable_once=boolean(item.get("isUsableOnce")),
        include_targets=tuple(
            text(t, "id") for t in (targets if isinstance(targets, list) else []) if isinstance(t, dict)
        ),
    )


async def read_tap_policy(graph: GraphSession) -> TapPolicy:
    configurations = graph.client.policies.authentication_methods_policy.authentication_method_configurations
    request = configurations.by_authentication_method_configuration_id("TemporaryAccessPass")
    item = await graph.entity(
        request.to_get_request_information(),
        source="v1.0/policies/authenticationMethodsPolicy/authenticationMethodConfigurations/TemporaryAccessPass",
        permission="Policy.Read.AuthenticationMethod",
    )
    return tap_policy(item)


# -- issuances -------------------------------------------------------------------------------------


def tap_issuance(audit: Mapping[str, Any]) -> TapIssuance | None:
    """A TAP issuance from an "Admin registered security info" audit; None for other methods."""
    reason = text(audit, "resultReason") or text(obj(audit, "result"), "reason")
    if TAP_ISSUED_REASON not in reason.lower():
        return None
    issued_at = parse_time(audit.get("activityDateTime"))
    targets = audit.get("targetResources")
    user = next((t for t in targets if isinstance(t, dict)), None) if isinstance(targets, list) else None
    if issued_at is None or user is None or not text(user, "id"):
        return None
    initiated = obj(audit, "initiatedBy")
    admin = obj(initiated, "user")
    app = obj(initiated, "app")
    return TapIssuance(
        audit_id=text(audit, "id"),
        user_id=text(user, "id"),
        user_principal_name=text(user, "userPrincipalName"),
        issued_at=issued_at,
        issued_by=text(admin, "userPrincipalName") or text(app, "displayName") or "unknown",
        issued_by_id=text(admin, "id") or text(app, "servicePrincipalId"),
    )


async def with_current_passes(
    graph: GraphSession, issuances: Sequence[TapIssuance], *, issued_since: datetime | None = None
) -> list[TapIssuance]:
    """Add what Graph still shows of each user's pass (start, lifetime, one-time, usability).

    A user holds at most one pass, so it belongs to that user's latest issuance, if it was created
    then (an older issuance's pass was replaced or deleted). With `issued_since`, only passes issued
    since then and not read before are asked for: each costs a request of the report throttle (5 per
    10 s), and what a pass was issued with does not change.
    """
    latest: dict[str, TapIssuance] = {}
    for issuance in issuances:
        if issuance.user_id not in latest or issuance.issued_at >= latest[issuance.user_id].issued_at:
            latest[issuance.user_id] = issuance
    if issued_since is not None:
        latest = {
            user: i
            for user, i in latest.items()
            if i.issued_at >= issued_since and i.lifetime_minutes is None and not i.usability
        }
    enriched: dict[str, TapIssuance] = {}
    for user_id, issuance in latest.items():
        request = graph.client.users.by_user_id(user_id).authentication.temporary_access_pass_methods
        try:
            methods = await collect_items(
                graph,
                request.to_get_request_information(),
                "v1.0/users/{id}/authentication/temporaryAccessPassMethods",
                "UserAuthMethod-TAP.Read.All",
            )
        except BudgetExhausted:
            # Keep the passes read so far; the rest are read by the next pass (they are still unread).
            log.warning("current passes: time budget ran out after %d of %d", len(enriched), len(latest))
            break
        for method in methods:
            created = parse_time(method.get("createdDateTime"))
            if created is not None and created >= issuance.issued_at - timedelta(minutes=10):
                enriched[issuance.audit_id] = replace(
                    issuance,
                    start=parse_time(method.get("startDateTime")) or created,
                    lifetime_minutes=integer(method.get("lifetimeInMinutes")),
                    usable_once=boolean(method.get("isUsableOnce")),
                    usability=text(method, "methodUsabilityReason"),
                )
    return [enriched.get(i.audit_id, i) for i in issuances]


# -- privileged roles ------------------------------------------------------------------------------


ROLE_PERMISSION = "RoleManagement.Read.Directory"
# Least privileged for the PIM instance lists are RoleEligibilitySchedule.Read.Directory and
# RoleAssignmentSchedule.Read.Directory; RoleManagement.Read.Directory, which the active assignments
# need anyway, is among the higher privileged permissions of both pages, so it covers them: one grant.
PIM_PERMISSION = ROLE_PERMISSION
# Least privileged for transitiveMembers is GroupMember.Read.All; Directory.Read.All, which the
# sign-in log needs anyway, covers it.
GROUP_MEMBERS_PERMISSION = "Directory.Read.All"
ROLE_ASSIGNMENTS = "v1.0/roleManagement/directory/roleAssignments"
ROLE_ELIGIBILITIES = "v1.0/roleManagement/directory/roleEligibilityScheduleInstances"
ROLE_ACTIVATIONS = "v1.0/roleManagement/directory/roleAssignmentScheduleInstances"
USER_TYPE = "#microsoft.graph.user"
GROUP_TYPE = "#microsoft.graph.group"


@dataclass(frozen=True)
class PrivilegedRead:
    """Who holds a privileged role, and how; and the ways of holding one that could not be read."""

    holders: Mapping[str, tuple[RoleHolding, ...]]
    unread: tuple[DataProblem, ...] = ()


def _odata_type(item: Mapping[str, Any]) -> str:
    """@odata.type, tolerant of case and of a missing "#microsoft.graph." prefix."""
    kind = text(item, "@odata.type").lower()
    return "#microsoft.graph." + kind.removeprefix("#").removeprefix("microsoft.graph.") if kind else ""


async def _role_rows(graph: GraphSession, path: str, source: str, permission: str) -> list[JSON]:
    query = {"$select": "id,principalId,roleDefinitionId,directoryScopeId", "$expand": "principal"}
    if path.endswith("roleAssignmentScheduleInstances"):
        query["$select"] += ",assignmentType"
    return await collect_items(graph, graph.url("v1.0", path, query), source, permission)


async def read_privileged_users(graph: GraphSession) -> PrivilegedRead:
    """Every user who holds a watched privileged role (monitor.entra.PRIVILEGED_ROLES), and how.

    Active assignments (roleAssignments) must be read: without them this raises GraphReadError. PIM
    eligibilities and activations need Entra ID P2, and a group's members may be unreadable: what
    fails there is returned in `unread`, so a rule can say it saw only part.
    """
    holdings: dict[str, dict[str, str]] = defaultdict(dict)  # principal -> role -> how
    kinds: dict[str, str] = {}  # principal -> @odata.type, when Graph expanded it
    names: dict[str, str] = {}  # principal -> displayName, when Graph expanded it
    unread: list[DataProblem] = []

    def add(rows: list[JSON], how: str) -> None:
        for row in rows:
            role = PRIVILEGED_ROLES.get(text(row, "roleDefinitionId").lower())
            principal = text(row, "principalId")
            if not role or not principal:
                continue
            expanded = obj(row, "principal")
            kind = _odata_type(expanded)
            if kind:
                kinds[principal] = kind
            if text(expanded, "displayName"):
                names[principal] = text(expanded, "displayName")
            # An eligibility that is also active shows as active; PIM activation beats "direct"
            # because roleAssignments lists activated roles too.
            current = holdings[principal].get(role)
            if current is None or (current == "eligible") or how == "active through PIM":
                holdings[principal][role] = how

    add(
        await _role_rows(
            graph, "roleManagement/directory/roleAssignments", ROLE_ASSIGNMENTS, ROLE_PERMISSION
        ),
        "direct",
    )
    try:
        eligible = await _role_rows(
            graph,
            "roleManagement/directory/roleEligibilityScheduleInstances",
            ROLE_ELIGIBILITIES,
            PIM_PERMISSION,
        )
        activated = await _role_rows(
            graph,
            "roleManagement/directory/roleAssignmentScheduleInstances",
            ROLE_ACTIVATIONS,
            PIM_PERMISSION,
        )
    except GraphReadError as exc:
        unread.append(exc.problem())
    else:
        add(eligible, "eligible")
        add([r for r in activated if text(r, "assignmentType").lower() == "activated"], "active through PIM")

    users: dict[str, dict[str, str]] = defaultdict(dict)
    for principal, roles in holdings.items():
        kind = kinds.get(principal, "")
        if kind == USER_TYPE:
            users[principal].update(roles)
            continue
        if kind not in ("", GROUP_TYPE):
            continue  # a service principal: no one signs in with a pass as it
        members = await _group_members(graph, principal, unread)
        if not members and kind != GROUP_TYPE:
            # Graph did not say what the principal is and it has no members: a user (no pass can go to
            # any other object that holds a role).
            users[principal].update(roles)
            continue
        group = names.get(principal, principal)
        for member in members or ():
            for role, how in roles.items():
                via = f"through group {group}" + ("" if how == "direct" else f" ({how})")
                users[member].setdefault(role, via)
    return PrivilegedRead(
        holders={
            user: tuple(RoleHolding(role, how) for role, how in sorted(roles.items()))
            for user, roles in users.items()
        },
        unread=tuple(unread),
    )


async def _group_members(graph: GraphSession, group_id: str, unread: list[DataProblem]) -> list[str] | None:
    """The users among a group's transitive members; None when `group_id` is no group (404)."""
    url = graph.url("v1.0", f"groups/{group_id}/transitiveMembers", {"$select": "id"})
    source = "v1.0/groups/{id}/transitiveMembers"
    try:
        members = await collect_items(graph, url, source, GROUP_MEMBERS_PERMISSION)
    except GraphReadError as exc:
        if exc.status == 404:
            return None
        unread.append(exc.problem())
        return []
    return [text(m, "id") for m in members if _odata_type(m) == USER_TYPE and text(m, "id")]


# -- sign-ins --------------------------------------------------------------------------------------


TAP_STREAM = "signins.tap"


def tap_unusable_reason(item: Mapping[str, Any]) -> str | None:
    """Why a sign-in cannot be judged for TAP use, or None. A sign-in whose authenticationDetails are not
    an array may or may not have used a pass: it is not silently taken for one that did not."""
    details = item.get("authenticationDetails")
    if details is not None and not isinstance(details, list):
        return "authenticationDetails is not an array"
    if not uses_tap(item):
        return None
    return unusable_reason(item)


def tap_steps(item: Mapping[str, Any]) -> list[Mapping[str, Any]]:
    """The authentication steps of a sign-in that used a Temporary Access Pass."""
    details = item.get("authenticationDetails")
    return [
        d
        for d in (details if isinstance(details, list) else [])
        if isinstance(d, dict) and text(d, "authenticationMethod").lower() == TAP_METHOD_NAME.lower()
    ]


def uses_tap(item: Mapping[str, Any]) -> bool:
    return bool(tap_steps(item))


@dataclass(frozen=True, slots=True)
class _Seen:
    """What the history of a user's sign-ins keeps: enough to know where they usually sign in from."""

    created: datetime
    country: str
    succeeded: bool


def tap_signin(item: Mapping[str, Any], prior_countries: tuple[str, ...] | None) -> TapSignIn | None:
    created = parse_time(item.get("createdDateTime"))
    error_code = integer(obj(item, "status").get("errorCode"))
    if not text(item, "id") or created is None or error_code is None:
        return None
    steps = tap_steps(item)
    device = obj(item, "deviceDetail")
    location = obj(item, "location")
    return TapSignIn(
        id=text(item, "id"),
        created=created,
        user_id=text(item, "userId"),
        user_principal_name=text(item, "userPrincipalName"),
        succeeded=error_code == 0 and all(step.get("succeeded") is not False for step in steps),
        error_code=error_code,
        failure_reason=text(obj(item, "status"), "failureReason"),
        app_display_name=text(item, "appDisplayName"),
        ip_address=text(item, "ipAddress"),
        city=text(location, "city"),
        country=text(location, "countryOrRegion"),
        device_id=text(device, "deviceId"),
        device_name=text(device, "displayName"),
        operating_system=text(device, "operatingSystem"),
        risk_during_signin=text(item, "riskLevelDuringSignIn", "none"),
        risk_aggregated=text(item, "riskLevelAggregated", "none"),
        risk_state=text(item, "riskState", "none"),
        prior_countries=prior_countries,
    )


def countries_before(history: Sequence[_Seen], moment: datetime, since: datetime) -> tuple[str, ...]:
    """Countries of the successful sign-ins in [since, moment)."""
    return tuple(
        sorted({s.country for s in history if s.succeeded and s.country and since <= s.created < moment})
    )


def belonging_issuance(
    signin: TapSignIn, issuances: Iterable[TapIssuance], fallback_lifetime: int
) -> TapIssuance | None:
    """The user's latest pass issued before this sign-in (and still valid then, if that is known)."""
    candidates = [
        i
        for i in issuances
        if i.user_id == signin.user_id and i.issued_at <= signin.created <= i.valid_until(fallback_lifetime)
    ]
    if not candidates:
        candidates = [i for i in issuances if i.user_id == signin.user_id and i.issued_at <= signin.created]
    return max(candidates, key=lambda i: i.issued_at, default=None)


@dataclass
class TapRead:
    users: int = 0
    received: int = 0  # sign-ins Graph returned
    tap_signins: int = 0
    unusable: list[UnusableItem] = field(default_factory=list)


async def interactive_signin_pages(
    graph: GraphSession, start: datetime, end: datetime, condition: str = ""
) -> AsyncIterator[list[JSON]]:
    """Interactive sign-ins in [start, end] (TAP is always entered interactively, and beta returns
    interactive sign-ins unless asked otherwise), page by page."""
    window = f"createdDateTime ge {odata_time(start)} and createdDateTime le {odata_time(end)}"
    # No $select, which the sign-in log does not document (see collectors/signins.py).
    query: dict[str, str | int] = {
        "$filter": f"{condition} and {window}" if condition else window,
        "$top": 1000,
    }
    url = graph.url("beta", "auditLogs/signIns", query)
    async for page in graph.pages(url, source="beta/auditLogs/signIns", permission=SIGNIN_PERMISSION):
        telemetry.SIGNINS_READ.add(len(page))
        yield [item for item in page if isinstance(item, dict)]


async def _user_signins(graph: GraphSession, user_id: str, start: datetime, end: datetime) -> list[JSON]:
    items: list[JSON] = []
    async for page in interactive_signin_pages(graph, start, end, f"userId eq '{user_id}'"):
        items.extend(page)
    return items


def _classify(items: Sequence[JSON], history_days: int, read: TapRead, seen: datetime) -> list[TapSignIn]:
    """TAP sign-ins among one user's sign-ins, each with the countries the user signed in from before;
    sign-ins that cannot be judged go to `read.unusable`."""
    history = sorted(
        (
            _Seen(
                created,
                text(obj(i, "location"), "countryOrRegion"),
                integer(obj(i, "status").get("errorCode")) == 0,
            )
            for i in items
            if (created := parse_time(i.get("createdDateTime"))) is not None
        ),
        key=lambda seen: seen.created,
    )
    found = []
    for item in items:
        why = tap_unusable_reason(item)
        if why is not None:
            read.unusable.append(unusable_item(TAP_STREAM, item, why, seen))
            continue
        if not uses_tap(item):
            continue
        created = parse_time(item.get("createdDateTime"))
        assert created is not None
        signin = tap_signin(item, countries_before(history, created, created - timedelta(days=history_days)))
        if signin is not None:
            found.append(signin)
    return found


async def full_scan_tap_signins(
    graph: GraphSession,
    issuances: Sequence[TapIssuance],
    start: datetime,
    end: datetime,
    *,
    history_days: int,
    fallback_lifetime: int,
) -> tuple[list[TapSignIn], TapRead]:
    """Every interactive sign-in of [start, end], page by page; then, for each user found signing in
    with a pass, that user's history. Finds TAP sign-ins whatever the audit log says."""
    read = TapRead()
    tap_users: set[str] = set()
    async for page in interactive_signin_pages(graph, start, end):
        read.received += len(page)
        tap_users.update(text(i, "userId") for i in page if uses_tap(i) and text(i, "userId"))
        # Sign-ins that cannot be judged are counted where they are read; a user's own are counted
        # again by _classify, and the store keeps each item once.
        read.unusable.extend(
            unusable_item(TAP_STREAM, i, why, end) for i in page if (why := tap_unusable_reason(i))
        )
    windows = dict.fromkeys(tap_users, (start, end))
    return await _tap_signins_of_users(
        graph, windows, issuances, start, end, read, history_days, fallback_lifetime
    )


async def _tap_signins_of_users(
    graph: GraphSession,
    windows: Mapping[str, tuple[datetime, datetime]],
    issuances: Sequence[TapIssuance],
    start: datetime,
    end: datetime,
    read: TapRead,
    history_days: int,
    fallback_lifetime: int,
) -> tuple[list[TapSignIn], TapRead]:
    """Each user's TAP sign-ins in [start, end], read with `history_days` of sign-ins before their
    window (where they usually sign in from), each tied to the pass it was made with."""
    read.users = len(windows)
    found: list[TapSignIn] = []
    for user_id, (valid_from, valid_until) in sorted(windows.items()):
        history_start = valid_from - timedelta(days=history_days)
        items = await _user_signins(graph, user_id, history_start, min(valid_until, end))
        read.received += len(items)
        found.extend(s for s in _classify(items, history_days, read, end) if start <= s.created <= end)
    found = [replace(s, issuance=belonging_issuance(s, issuances, fallback_lifetime)) for s in found]
    read.tap_signins = len(found)
    return sorted(found, key=lambda s: (s.created, s.id)), read
