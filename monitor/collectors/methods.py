"""Authentication methods: their registration and removal in the directory audit log, and the methods a
user has now.

Together with the TAP issuances and sign-ins they give each pass's recovery chain (monitor/views/
recovery.py): pass issued, signed in with it, new method registered, old methods removed. The audit
activities are the "Authentication Methods" service's ("User registered security info", "Admin deleted
security info", ...; Microsoft Entra audit log activity reference). A user's current methods need
UserAuthenticationMethod.Read.All (application), the least privileged permission Microsoft's "List
methods" page gives for reading other users' methods; they are read only for users who recovered with
a pass, as that page advises against iterating over every user.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Mapping
from typing import Any

from monitor.collectors.fields import collect_items, obj, parse_time, text
from monitor.graph.errors import GraphReadError
from monitor.graph.session import GraphSession
from monitor.records import MethodAction, MethodChange, UserMethod

log = logging.getLogger(__name__)

AUDIT_PERMISSION = "AuditLog.Read.All"
METHODS_PERMISSION = "UserAuthenticationMethod.Read.All"
METHODS_SOURCE = "v1.0/users/{id}/authentication/methods"
# activityDisplayName -> (what happened, whether an admin did it)
METHOD_ACTIVITIES: Mapping[str, tuple[MethodAction, bool]] = {
    "User registered security info": ("registered", False),
    "Admin registered security info": ("registered", True),
    "User deleted security info": ("deleted", False),
    "Admin deleted security info": ("deleted", True),
}
# A TAP issuance is an "Admin registered security info" too; TapIssuance records those.
_TAP_REASON = "temporary access pass"


def method_change(audit: Mapping[str, Any]) -> MethodChange | None:
    """A method registration or removal from a directory audit; None for other activities, for TAP
    issuances and for audits that lack their id, time or user."""
    activity = METHOD_ACTIVITIES.get(text(audit, "activityDisplayName"))
    if activity is None or text(audit, "result", "success").lower() != "success":
        return None
    reason = text(audit, "resultReason") or text(obj(audit, "result"), "reason")
    if _TAP_REASON in reason.lower():
        return None
    at = parse_time(audit.get("activityDateTime"))
    targets = audit.get("targetResources")
    user = next((t for t in targets if isinstance(t, dict)), None) if isinstance(targets, list) else None
    if at is None or user is None or not text(user, "id") or not text(audit, "id"):
        return None
    initiated = obj(audit, "initiatedBy")
    action, by_admin = activity
    return MethodChange(
        audit_id=text(audit, "id"),
        at=at,
        user_id=text(user, "id"),
        user_principal_name=text(user, "userPrincipalName"),
        action=action,
        by_admin=by_admin,
        method=reason,
        initiated_by=text(obj(initiated, "user"), "userPrincipalName")
        or text(obj(initiated, "app"), "displayName"),
    )


def user_method(item: Mapping[str, Any]) -> UserMethod | None:
    odata_type = text(item, "@odata.type")
    if not text(item, "id") or not odata_type:
        return None
    # Which field names a method depends on its type; none of them is a secret (phone numbers and
    # email addresses are left out on purpose).
    name = text(item, "displayName") or text(item, "model") or text(item, "phoneType")
    return UserMethod(
        id=text(item, "id"),
        kind=odata_type.rsplit(".", 1)[-1],
        display_name=name,
        created=parse_time(item.get("createdDateTime")),
    )


async def read_user_methods(
    graph: GraphSession, user_ids: Iterable[str]
) -> dict[str, tuple[UserMethod, ...]]:
    """Each user's current authentication methods. A user Graph no longer knows (404: deleted since)
    has none; a missing permission raises GraphReadError (the rule that needs them is skipped)."""
    found: dict[str, tuple[UserMethod, ...]] = {}
    for user_id in sorted(set(user_ids)):
        request = graph.client.users.by_user_id(user_id).authentication.methods
        try:
            items = await collect_items(
                graph, request.to_get_request_information(), METHODS_SOURCE, METHODS_PERMISSION
            )
        except GraphReadError as exc:
            if exc.status != 404:
                raise
            log.info("user %s no longer exists; no methods to check", user_id)
            items = []
        methods = (user_method(item) for item in items)
        found[user_id] = tuple(m for m in methods if m is not None)
    return found
