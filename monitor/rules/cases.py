"""Builders for rules' own test cases: a healthy tenant, and the pieces to break it with.

`healthy(...)` gives facts in which no rule fires; a case changes only what it is about.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import Any, Literal

from monitor.domain import PIN_RESET_APPS, PIN_RESET_CLIENT_APP_ID, PIN_RESET_SERVICE_APP_ID
from monitor.records import (
    ConsentState,
    DataProblem,
    ProblemKind,
    Readout,
    ServicePrincipal,
    SignInHour,
    Tenant,
    TenantDomain,
    TenantFacts,
)

TENANT = Tenant("4b1c5b67-3f1e-4e38-9d5e-2a2f3c1d0e9a", "Contoso")
NOW = datetime(2026, 11, 20, 12, 0, tzinfo=UTC)
SERVICE = PIN_RESET_SERVICE_APP_ID
CLIENT = PIN_RESET_CLIENT_APP_ID

AppState = Literal["present", "missing", "disabled"]


def consent(service: AppState = "present", client: AppState = "present") -> Readout[Any]:
    def state(app_id: str, how: AppState) -> ConsentState:
        if how == "missing":
            return ConsentState(app_id, None)
        principal = ServicePrincipal(f"sp-{app_id[:8]}", app_id, PIN_RESET_APPS[app_id], how == "present")
        return ConsentState(app_id, principal)

    return Readout.of({SERVICE: state(SERVICE, service), CLIENT: state(CLIENT, client)})


def hour(
    hours_ago: float, error_code: int = 0, count: int = 1, app_id: str = CLIENT, users: tuple[str, ...] = ()
) -> SignInHour:
    """PIN reset sign-ins of the hour that was `hours_ago` before NOW."""
    at = NOW - timedelta(hours=hours_ago)
    start = at.replace(minute=0, second=0, microsecond=0)
    return SignInHour(start, app_id, error_code, count, at, at, users or ("user@contoso.com",))


def activity(*hours: SignInHour) -> Readout[Any]:
    return Readout.of(tuple(hours))


def unavailable(kind: ProblemKind, reason: str, source: str = "") -> Readout[Any]:
    return Readout.missing(DataProblem(kind, reason, source))


def healthy(**changes: Any) -> TenantFacts:
    facts = TenantFacts(
        tenant=TENANT,
        now=NOW,
        domains=Readout.of((TenantDomain("contoso.com", "Managed", True),)),
        consent=consent(),
        pin_reset_hours=activity(hour(30), hour(5, count=2), hour(50, error_code=50126)),
    )
    return replace(facts, **changes)
