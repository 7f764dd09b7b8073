"""The "Authentication Methods" audits in one read, kept between passes; users' methods read again
only when something new happened to them.

Each audit this monitor needs from the directory audit log, TAP issuances ("Admin registered security
info" whose resultReason names a temporary access pass) and method registrations and removals ("User/
Admin registered/deleted security info"), is logged by the "Authentication Methods" service (Microsoft
Entra audit log activity reference). Microsoft's own queries filter directoryAudits with `eq` on
`loggedByService` ("Access Azure AD B2C audit logs": `$filter=loggedByService eq 'B2C' and
activityDateTime gt ...`; the Entra health scenario for Conditional Access: `loggedByService eq
'Conditional Access'`), so one query per window reads all of them, where one per activity did
before: five identity and access report requests (5 per 10 s per app per tenant, "Microsoft Graph
service-specific throttling limits") become one. The read is incremental from a
checkpoint, like the sign-in streams: the method changes of the lookback are kept in the store
(inventory kind `method-changes`, one row per user), so a steady pass reads only the minutes since the
last one.

A user's current methods (GET /users/{id}/authentication/methods, a report request each) tell whether a
recovery finished. They can only change through a method registered or deleted, or a new pass, each of
which the audit log records; so the answer read for a user is kept (kind `recovery-methods`, with when
it was read and which audits it reflects) and read again only when an audit of that user appears that
the kept answer does not reflect, or after `METHODS_MAX_AGE`. The recovery chain says when the methods
it shows were read.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from monitor.collectors.fields import odata_time, text
from monitor.collectors.methods import AUDIT_PERMISSION, method_change
from monitor.collectors.tap import TAP_ISSUED, tap_issuance
from monitor.graph.session import GraphSession
from monitor.records import MethodChange, TapIssuance, UserMethod
from monitor.store.base import StateStore

AUTH_METHODS_SERVICE = "Authentication Methods"
AUTH_METHODS_AUDIT_STREAM = "audits.auth-methods"
METHOD_CHANGES_KIND = "method-changes"
RECOVERY_METHODS_KIND = "recovery-methods"
# A kept answer older than this is read again even without a new audit (a safety net, not the rule).
METHODS_MAX_AGE = timedelta(hours=24)
SOURCE = "v1.0/auditLogs/directoryAudits"


@dataclass(frozen=True)
class AuthMethodAudits:
    issuances: list[TapIssuance]
    changes: list[MethodChange]
    received: int


async def read_auth_method_audits(graph: GraphSession, start: datetime, end: datetime) -> AuthMethodAudits:
    """TAP issuances and method changes audited in [start, end], each oldest first: one query."""
    query = {
        "$filter": (
            f"activityDateTime ge {odata_time(start)} and activityDateTime le {odata_time(end)}"
            f" and loggedByService eq '{AUTH_METHODS_SERVICE}'"
        )
    }
    issuances: dict[str, TapIssuance] = {}
    changes: dict[str, MethodChange] = {}
    received = 0
    async for page in graph.pages(
        graph.url("v1.0", "auditLogs/directoryAudits", query), source=SOURCE, permission=AUDIT_PERMISSION
    ):
        received += len(page)
        for audit in (a for a in page if isinstance(a, dict)):  # a page may hold anything
            if text(audit, "activityDisplayName") == TAP_ISSUED:
                issued = tap_issuance(audit)
                if issued is not None:
                    if issued.audit_id:
                        issuances[issued.audit_id] = issued
                    continue
            change = method_change(audit)
            if change is not None:
                changes[change.audit_id] = change
    return AuthMethodAudits(
        sorted(issuances.values(), key=lambda i: (i.issued_at, i.audit_id)),
        sorted(changes.values(), key=lambda c: (c.at, c.audit_id)),
        received,
    )


# -- method changes kept between passes -------------------------------------------------------------


def _change_state(change: MethodChange) -> dict[str, Any]:
    return {
        "auditId": change.audit_id,
        "at": change.at.isoformat(),
        "userPrincipalName": change.user_principal_name,
        "action": change.action,
        "byAdmin": change.by_admin,
        "method": change.method,
        "initiatedBy": change.initiated_by,
    }


def _change_of(user_id: str, state: Mapping[str, Any]) -> MethodChange | None:
    try:
        action = state["action"]
        if action not in ("registered", "deleted"):
            return None
        return MethodChange(
            audit_id=str(state["auditId"]),
            at=datetime.fromisoformat(str(state["at"])),
            user_id=user_id,
            user_principal_name=str(state.get("userPrincipalName", "")),
            action=action,
            by_admin=bool(state.get("byAdmin")),
            method=str(state.get("method", "")),
            initiated_by=str(state.get("initiatedBy", "")),
        )
    except (KeyError, TypeError, ValueError):
        return None


def stored_method_changes(store: StateStore, tenant_id: str) -> list[MethodChange] | None:
    """The method changes kept by earlier passes; None when a kept row cannot be read back (the pass
    then reads the whole lookback again)."""
    changes: list[MethodChange] = []
    for user_id, item in store.inventory(tenant_id, METHOD_CHANGES_KIND).items():
        if not item.present:
            continue
        rows = item.state.get("changes")
        if not isinstance(rows, list):
            return None
        for row in rows:
            change = _change_of(user_id, row) if isinstance(row, Mapping) else None
            if change is None:
                return None
            changes.append(change)
    return changes


def keep_method_changes(
    store: StateStore, tenant_id: str, changes: Iterable[MethodChange], since: datetime, at: datetime
) -> None:
    """Keep the method changes at or after `since`, a row per user (a user with none left: marked gone)."""
    by_user: dict[str, dict[str, MethodChange]] = defaultdict(dict)
    for change in changes:
        if change.at >= since:
            by_user[change.user_id][change.audit_id] = change
    items = {
        user_id: {
            "changes": [_change_state(c) for c in sorted(found.values(), key=lambda c: (c.at, c.audit_id))]
        }
        for user_id, found in by_user.items()
    }
    store.save_inventory(tenant_id, METHOD_CHANGES_KIND, items, at)


# -- users' current methods kept between passes ----------------------------------------------------


@dataclass(frozen=True)
class KeptMethods:
    methods: tuple[UserMethod, ...]
    read_at: datetime
    basis: frozenset[str]  # the audit ids of the user's issuances and changes the answer reflects


def _method_state(method: UserMethod) -> dict[str, Any]:
    return {
        "id": method.id,
        "kind": method.kind,
        "displayName": method.display_name,
        "created": method.created.isoformat() if method.created else None,
    }


def _kept_of(state: Mapping[str, Any]) -> KeptMethods | None:
    try:
        methods = tuple(
            UserMethod(
                id=str(m["id"]),
                kind=str(m["kind"]),
                display_name=str(m.get("displayName", "")),
                created=datetime.fromisoformat(m["created"]) if m.get("created") else None,
            )
            for m in state["methods"]
        )
        return KeptMethods(methods, datetime.fromisoformat(str(state["readAt"])), frozenset(state["basis"]))
    except (KeyError, TypeError, ValueError):
        return None


def stored_user_methods(store: StateStore, tenant_id: str) -> dict[str, KeptMethods]:
    found: dict[str, KeptMethods] = {}
    for user_id, item in store.inventory(tenant_id, RECOVERY_METHODS_KIND).items():
        kept = _kept_of(item.state) if item.present else None
        if kept is not None:
            found[user_id] = kept
    return found


def audit_ids_by_user(
    issuances: Iterable[TapIssuance], changes: Iterable[MethodChange]
) -> dict[str, set[str]]:
    ids: dict[str, set[str]] = defaultdict(set)
    for issued in issuances:
        ids[issued.user_id].add(issued.audit_id)
    for change in changes:
        ids[change.user_id].add(change.audit_id)
    return ids


def users_to_read(
    users: Iterable[str], kept: Mapping[str, KeptMethods], basis: Mapping[str, set[str]], now: datetime
) -> set[str]:
    """Of the users whose methods the recovery chains need, those whose kept answer may be stale: none
    kept, an audit of theirs it does not reflect, or older than METHODS_MAX_AGE."""
    stale = set()
    for user_id in users:
        answer = kept.get(user_id)
        if (
            answer is None
            or not basis.get(user_id, set()) <= answer.basis
            or answer.read_at > now
            or now - answer.read_at >= METHODS_MAX_AGE
        ):
            stale.add(user_id)
    return stale


def keep_user_methods(
    store: StateStore, tenant_id: str, kept: Mapping[str, KeptMethods], at: datetime
) -> None:
    items = {
        user_id: {
            "readAt": k.read_at.isoformat(),
            "basis": sorted(k.basis),
            "methods": [_method_state(m) for m in k.methods],
        }
        for user_id, k in kept.items()
    }
    store.save_inventory(tenant_id, RECOVERY_METHODS_KIND, items, at)
