"""Small tenant snapshots written by tests (the bundled ones live in examples/tenants/)."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import orjson

from monitor.domain import PIN_RESET_CLIENT_APP_ID, PIN_RESET_SERVICE_APP_ID
from monitor.settings import Settings

TENANT_ID = "4b1c5b67-3f1e-4e38-9d5e-2a2f3c1d0e9a"
NOW = datetime(2026, 11, 20, 12, 0, tzinfo=UTC)


def write(snapshot: Path, path: str, document: Any) -> None:
    target = snapshot / f"{path}.json"
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_bytes(orjson.dumps(document))


def stamp(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


def graph_signin(
    n: int,
    created: datetime,
    *,
    app_id: str = PIN_RESET_CLIENT_APP_ID,
    resource_id: str = PIN_RESET_SERVICE_APP_ID,
    error_code: int = 0,
    user: str = "adelev",
    event: str = "interactiveUser",
    methods: tuple[str, ...] = ("Password",),
    country: str = "DE",
    risk: str = "none",
) -> dict[str, Any]:
    """A beta sign-in as Graph returns it (the fields the monitor reads, and a few it does not)."""
    return {
        "id": f"5f0c{n:04x}-1111-4222-8333-{n:012x}",
        "createdDateTime": stamp(created),
        "userDisplayName": user.title(),
        "userPrincipalName": f"{user}@contoso.com",
        "userId": f"0000{abs(hash(user)) % 10**8:08d}-0000-4000-8000-000000000000",
        "appId": app_id,
        "appDisplayName": "Microsoft Pin Reset Client Production",
        "resourceId": resource_id,
        "resourceDisplayName": "Microsoft Pin Reset Service Production",
        "ipAddress": "203.0.113.7",
        "clientAppUsed": "Browser",
        "correlationId": f"c0ffee00-0000-4000-8000-{n:012x}",
        "conditionalAccessStatus": "notApplied",
        "isInteractive": event == "interactiveUser",
        "riskLevelDuringSignIn": risk,
        "riskLevelAggregated": risk,
        "status": {"errorCode": error_code, "failureReason": "Other." if error_code else None},
        "deviceDetail": {
            "deviceId": f"dev-{n % 9}",
            "displayName": f"PC-{n % 9}",
            "operatingSystem": "Windows10",
        },
        "location": {"city": "Berlin", "countryOrRegion": country},
        "signInEventTypes": [event],
        "authenticationDetails": [{"authenticationMethod": m, "succeeded": error_code == 0} for m in methods],
    }


def write_tenant(
    snapshot: Path,
    *,
    service: str = "present",
    client: str = "present",
    signins: list[dict[str, Any]] | None = None,
) -> Path:
    """A minimal tenant: organization, a managed domain, the PIN reset apps as asked, these sign-ins."""
    write(snapshot, "v1.0/organization", {"value": [{"id": TENANT_ID, "displayName": "Contoso"}]})
    write(
        snapshot,
        "v1.0/domains",
        {"value": [{"id": "contoso.com", "authenticationType": "Managed", "isVerified": True}]},
    )
    principals = []
    for app_id, how, n in ((PIN_RESET_SERVICE_APP_ID, service, 1), (PIN_RESET_CLIENT_APP_ID, client, 2)):
        if how != "missing":
            principals.append(
                {
                    "id": f"aaaaaaaa-0000-4000-8000-00000000000{n}",
                    "appId": app_id,
                    "displayName": "Microsoft Pin Reset "
                    + ("Service" if n == 1 else "Client")
                    + " Production",
                    "accountEnabled": how == "present",
                }
            )
    write(snapshot, "v1.0/servicePrincipals", {"value": principals})
    write(snapshot, "beta/auditLogs/signIns", {"value": signins or []})
    return snapshot


def signin_series(
    count: int, *, start: datetime, step: timedelta, first: int = 0, **kwargs: Any
) -> list[dict[str, Any]]:
    """`count` sign-ins from `start` on, `step` apart, newest first as Graph orders them."""
    items = [graph_signin(first + i, start + i * step, **kwargs) for i in range(count)]
    return sorted(items, key=lambda s: s["createdDateTime"], reverse=True)


def simulator_settings(url: str, **changes: Any) -> Settings:
    """Settings for a pass against the simulator; msgraph-sdk's base retry delay is zero so a retried
    503 costs no waiting (a 429's Retry-After is still honoured)."""
    return replace(
        Settings(graph_endpoint=url, graph_credential="simulator", graph_retry_delay_seconds=0.0), **changes
    )
