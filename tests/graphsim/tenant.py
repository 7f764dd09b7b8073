"""The small tenant the simulator tests run against, written as a snapshot directory."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import orjson

PIN_RESET_SERVICE = "b8456c59-1230-44c7-a4a2-99b085333e84"
PIN_RESET_CLIENT = "9115dd05-fad5-4f9c-acc7-305d08b1b04e"
OTHER_APP = "00000003-0000-0000-c000-000000000000"


def signin(
    sign_in_id: str,
    created: str,
    app_id: str = PIN_RESET_CLIENT,
    event: str | None = "interactiveUser",
    error_code: int = 0,
    user_id: str = "u1",
    ip: str = "203.0.113.10",
    method: str = "Password",
) -> dict[str, Any]:
    item: dict[str, Any] = {
        "id": sign_in_id,
        "createdDateTime": created,
        "appId": app_id,
        "resourceId": PIN_RESET_SERVICE,
        "userId": user_id,
        "userPrincipalName": f"{user_id}@contoso.com",
        "ipAddress": ip,
        "status": {"errorCode": error_code, "failureReason": "Other."},
        "deviceDetail": {"deviceId": f"dev-{sign_in_id}", "operatingSystem": "Windows10"},
        "authenticationDetails": [{"authenticationMethod": method, "succeeded": error_code == 0}],
    }
    if event is not None:
        item["signInEventTypes"] = [event]
    return item


# Newest first: s6, s4, s5, s2, s3, s1, s7 (s0 is outside every window the tests use). s2 and s6 are
# non-interactive; s7 does not say which kind it is.
SIGNINS = [
    signin("s1", "2026-11-14T08:00:00Z"),
    signin("s2", "2026-11-14T09:00:00.5Z", event="nonInteractiveUser"),
    signin("s3", "2026-11-14T09:00:00.1234567Z", app_id=OTHER_APP),
    signin("s4", "2026-11-14T10:00:00Z", error_code=65001, method="Temporary Access Pass"),
    signin("s5", "2026-11-14T09:59:59.9999999Z", user_id="u2", ip="198.51.100.7"),
    signin("s6", "2026-11-15T00:00:00Z", event="nonInteractiveUser", error_code=50126),
    signin("s7", "2026-11-14T07:00:00Z", event=None),
    signin("s0", "2026-10-01T00:00:00Z"),
]

USERS = [
    {"id": "u1", "userPrincipalName": "adele@contoso.com", "displayName": "Adele Vance"},
    {"id": "u2", "userPrincipalName": "bob@contoso.com", "displayName": "Bob Kelly"},
    {"id": "u3", "userPrincipalName": "carol@contoso.com", "displayName": "Carol Smith"},
]

SERVICE_PRINCIPALS = [
    {
        "@odata.type": "#microsoft.graph.servicePrincipal",
        "id": "sp-service",
        "appId": PIN_RESET_SERVICE,
        "displayName": "Microsoft Pin Reset Service Production",
        "accountEnabled": True,
        "appOwnerOrganizationId": "f8cdef31-a31e-4b4a-93e4-5f571e91255a",
    },
    {
        "id": "sp-client",
        "appId": PIN_RESET_CLIENT,
        "displayName": "Microsoft Pin Reset Client Production",
        "accountEnabled": False,
        "appOwnerOrganizationId": "f8cdef31-a31e-4b4a-93e4-5f571e91255a",
    },
]


def write_json(path: Path, value: Any) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(orjson.dumps(value))


def allow_signin_options(root: Path, *options: str) -> None:
    """Switch on, in the snapshot's _simulator.json, sign-in query options Graph does not document."""
    write_json(root / "_simulator.json", {"queryOptions": {"beta/auditLogs/signIns": list(options)}})


def build_snapshot(root: Path) -> Path:
    write_json(root / "v1.0/organization.json", {"value": [{"id": "tenant-1", "displayName": "Contoso"}]})
    write_json(root / "v1.0/users.json", {"value": USERS})
    write_json(root / "v1.0/servicePrincipals.json", {"value": SERVICE_PRINCIPALS})
    write_json(root / "beta/auditLogs/signIns.json", {"value": SIGNINS})
    write_json(
        root / "v1.0/auditLogs/directoryAudits.json",
        {
            "value": [
                {
                    "id": "a1",
                    "activityDateTime": "2026-11-01T10:00:00Z",
                    "activityDisplayName": "Admin registered security info",
                    "targetResources": [{"id": "u1", "displayName": "Adele Vance"}],
                },
                {
                    "id": "a2",
                    "activityDateTime": "2026-11-02T10:00:00Z",
                    "activityDisplayName": "Admin deleted security info",
                    "targetResources": [{"id": "u2"}],
                },
                {
                    "id": "a3",
                    "activityDateTime": "2026-10-01T10:00:00Z",
                    "activityDisplayName": "Admin registered security info",
                    "targetResources": [{"id": "u3"}],
                },
            ]
        },
    )
    write_json(
        root / "v1.0/users/u1/authentication/temporaryAccessPassMethods.json",
        {"value": [{"id": "tap-1", "isUsableOnce": True, "lifetimeInMinutes": 60}]},
    )
    write_json(
        root / "v1.0/roleManagement/directory/roleAssignments.json",
        {
            "value": [
                {
                    "id": "ra1",
                    "principalId": "u1",
                    "roleDefinitionId": "62e90394-69f5-4237-9190-012177145e10",
                },
                {
                    "id": "ra2",
                    "principalId": "gone",
                    "roleDefinitionId": "62e90394-69f5-4237-9190-012177145e10",
                },
                {
                    "id": "ra3",
                    "principalId": "u2",
                    "roleDefinitionId": "fe930be7-5e62-47db-91af-98c3a49a38b1",
                },
            ]
        },
    )
    write_json(
        root / "beta/deviceManagement/deviceConfigurations.json",
        {
            "value": [
                {
                    "@odata.type": "#microsoft.graph.windowsIdentityProtectionConfiguration",
                    "id": "dc1",
                    "pinRecoveryEnabled": True,
                    "assignments": [{"id": "as1", "target": {"groupId": "g1"}}],
                }
            ]
        },
    )
    write_json(
        root / "beta/deviceManagement/configurationPolicies.json",
        {
            "value": [
                {
                    "id": "cp1",
                    "name": "Account protection",
                    "settings": [{"id": "0", "settingInstance": {"settingDefinitionId": "x"}}],
                    "assignments": [{"id": "cpa1"}],
                }
            ]
        },
    )
    write_json(
        root / "beta/deviceManagement/managedDevices.json",
        {
            "value": [
                {
                    "id": "d1",
                    "deviceName": "PC1",
                    "operatingSystem": "Windows",
                    "osVersion": "10.0.19045.3693",
                },
                {"id": "d2", "deviceName": "IPHONE", "operatingSystem": "iOS", "osVersion": "17.1"},
            ]
        },
    )
    return root


def ids(body: dict[str, Any]) -> list[str]:
    return [item["id"] for item in body["value"]]
