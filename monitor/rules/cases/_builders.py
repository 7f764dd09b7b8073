"""Builders for rules' own test cases: a healthy tenant, and the pieces to break it with.

`healthy(...)` gives facts in which no rule fires; a case changes only what it is about.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import Any, Literal

from monitor.entra import PIN_RESET_APPS, PIN_RESET_CLIENT_APP_ID, PIN_RESET_SERVICE_APP_ID
from monitor.records import (
    ConsentState,
    DataProblem,
    DevicePolicy,
    ManagedDevice,
    ProblemKind,
    Readout,
    ServicePrincipal,
    SignInHour,
    TapIssuance,
    TapPolicy,
    TapSignIn,
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


def windows_device(
    n: int = 1,
    *,
    os_version: str = "10.0.22631.4460",
    sku_family: str = "Enterprise",
    sku_number: int | None = 4,
) -> ManagedDevice:
    return ManagedDevice(
        id=f"0d5e0000-0000-4000-8000-{n:012d}",
        name=f"CONTOSO-PC{n:03d}",
        operating_system="Windows",
        os_version=os_version,
        sku_family=sku_family,
        sku_number=sku_number,
        join_type="azureADJoined",
        azure_ad_device_id=f"ad000000-0000-4000-8000-{n:012d}",
        user_principal_name=f"user{n}@contoso.com",
        user_id=f"u0000000-0000-4000-8000-{n:012d}",
        last_sync=NOW - timedelta(hours=n),
    )


def identity_protection(
    policy_id: str = "1d000000-0000-4000-8000-000000000001",
    *,
    enabled: bool = True,
    targets: tuple[str, ...] = ("all devices",),
) -> DevicePolicy:
    return DevicePolicy(
        id=policy_id,
        name="Windows Hello for Business",
        kind="identity-protection",
        odata_type="#microsoft.graph.windowsIdentityProtectionConfiguration",
        targets=targets,
        pin_recovery_enabled=enabled,
        pin_minimum_length=6,
    )


def tap_policy(**changes: Any) -> TapPolicy:
    policy = TapPolicy(
        state="enabled",
        default_lifetime_minutes=60,
        minimum_lifetime_minutes=60,
        maximum_lifetime_minutes=480,
        default_length=8,
        is_usable_once=True,
        include_targets=("all_users",),
    )
    return replace(policy, **changes)


def healthy(**changes: Any) -> TenantFacts:
    facts = TenantFacts(
        tenant=TENANT,
        now=NOW,
        domains=Readout.of((TenantDomain("contoso.com", "Managed", True),)),
        consent=consent(),
        pin_reset_hours=activity(hour(30), hour(5, count=2), hour(50, error_code=50126)),
        windows_devices=Readout.of((windows_device(1), windows_device(2, os_version="10.0.19045.5131"))),
        device_policies=Readout.of((identity_protection(),)),
        tap_policy=Readout.of(tap_policy()),
        tap_issuances=Readout.of(()),
        privileged_users=Readout.of({}),
        tap_signins=Readout.of(()),
        method_changes=Readout.of(()),
        user_methods=Readout.of({}),
        device_reports=Readout.of(()),
    )
    return replace(facts, **changes)


ALICE = "a11ce000-0000-4000-8000-000000000001"
BOB = "b0b00000-0000-4000-8000-000000000002"
HELPDESK = "he1pde5k-0000-4000-8000-000000000009"


def issuance(
    user_id: str = ALICE,
    hours_ago: float = 30,
    *,
    lifetime: int | None = 60,
    once: bool | None = True,
    n: int = 1,
) -> TapIssuance:
    """A TAP the helpdesk issued `hours_ago` before NOW."""
    issued = NOW - timedelta(hours=hours_ago)
    return TapIssuance(
        audit_id=f"Directory_{n:04d}",
        user_id=user_id,
        user_principal_name=f"{user_id[:5]}@contoso.com",
        issued_at=issued,
        issued_by="helpdesk@contoso.com",
        issued_by_id=HELPDESK,
        start=issued if lifetime is not None else None,
        lifetime_minutes=lifetime,
        usable_once=once,
        usability="EnabledByPolicy" if lifetime is not None else "",
    )


def tap_signin(
    user_id: str = ALICE,
    hours_ago: float = 29.5,
    *,
    n: int = 1,
    error_code: int = 0,
    country: str = "DE",
    prior: tuple[str, ...] | None = ("DE",),
    risk: str = "none",
    aggregated: str = "none",
    minutes_ago: float | None = None,
) -> TapSignIn:
    ago = timedelta(minutes=minutes_ago) if minutes_ago is not None else timedelta(hours=hours_ago)
    created = NOW - ago
    return TapSignIn(
        id=f"7a900000-0000-4000-8000-{n:012d}",
        created=created,
        user_id=user_id,
        user_principal_name=f"{user_id[:5]}@contoso.com",
        succeeded=error_code == 0,
        error_code=error_code,
        failure_reason="" if error_code == 0 else "Temporary Access Pass is invalid.",
        app_display_name="My Signins",
        ip_address="203.0.113.7",
        city="Berlin",
        country=country,
        device_id="ad000000-0000-4000-8000-000000000001",
        device_name="CONTOSO-PC001",
        operating_system="Windows10",
        risk_during_signin=risk,
        risk_aggregated=aggregated,
        risk_state="atRisk" if risk in ("medium", "high") else "none",
        prior_countries=prior,
        issuance=issuance(user_id),
    )


def tap(*signins: TapSignIn) -> Readout[Any]:
    return Readout.of(tuple(signins))
