"""Small tenant snapshots written by tests (the bundled ones live in examples/tenants/)."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta
from functools import cache
from pathlib import Path
from typing import Any

import orjson

from monitor.entra import PIN_RESET_CLIENT_APP_ID, PIN_RESET_SERVICE_APP_ID
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
    write(snapshot, f"v1.0/{TAP_POLICY}", tap_policy())
    write(
        snapshot,
        "beta/deviceManagement/managedDevices",
        {
            "value": [
                {
                    "id": "0d5e0000-0000-4000-8000-000000000001",
                    "deviceName": "CONTOSO-PC001",
                    "operatingSystem": "Windows",
                    "osVersion": "10.0.22631.4460",
                    "skuFamily": "Enterprise",
                    "skuNumber": 4,
                    "joinType": "azureADJoined",
                    "azureADDeviceId": "ad000000-0000-4000-8000-000000000001",
                    "userPrincipalName": "adelev@contoso.com",
                    "userId": "u0000000-0000-4000-8000-000000000001",
                    "lastSyncDateTime": stamp(NOW - timedelta(hours=2)),
                }
            ]
        },
    )
    write(
        snapshot,
        "beta/deviceManagement/deviceConfigurations",
        {
            "value": [
                {
                    "@odata.type": "#microsoft.graph.windowsIdentityProtectionConfiguration",
                    "id": "1d000000-0000-4000-8000-000000000001",
                    "displayName": "Windows Hello for Business",
                    "pinRecoveryEnabled": True,
                    "pinMinimumLength": 6,
                    "assignments": [
                        {
                            "id": "1d000000-0000-4000-8000-000000000001_adadadad-808e-44e2-905a-0b7873a8a531",
                            "target": {"@odata.type": "#microsoft.graph.allDevicesAssignmentTarget"},
                        }
                    ],
                }
            ]
        },
    )
    return snapshot


TAP_POLICY = "policies/authenticationMethodsPolicy/authenticationMethodConfigurations/TemporaryAccessPass"


def tap_policy(**changes: Any) -> dict[str, Any]:
    policy: dict[str, Any] = {
        "@odata.type": "#microsoft.graph.temporaryAccessPassAuthenticationMethodConfiguration",
        "id": "TemporaryAccessPass",
        "state": "enabled",
        "defaultLifetimeInMinutes": 60,
        "defaultLength": 8,
        "minimumLifetimeInMinutes": 60,
        "maximumLifetimeInMinutes": 480,
        "isUsableOnce": True,
        "includeTargets": [{"targetType": "group", "id": "all_users", "isRegistrationRequired": False}],
        "excludeTargets": [],
    }
    policy.update(changes)
    return policy


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
        Settings(
            graph_endpoint=url,
            graph_credential="simulator",
            graph_retry_delay_seconds=0.0,
            graph_pacing=False,
        ),
        **changes,
    )


def user_id_of(user: str) -> str:
    """The userId graph_signin gives `user`."""
    return str(graph_signin(0, NOW, user=user)["userId"])


def tap_audit(n: int, user: str, issued: datetime, admin: str = "helpdesk") -> dict[str, Any]:
    """An "Admin registered security info" audit for a Temporary Access Pass, as Graph returns it."""
    return {
        "id": f"Directory_TAP_{n:05d}",
        "category": "UserManagement",
        "correlationId": f"a0d17000-0000-4000-8000-{n:012d}",
        "result": "success",
        "resultReason": "Admin registered temporary access pass method for user",
        "activityDisplayName": "Admin registered security info",
        "activityDateTime": stamp(issued),
        "loggedByService": "Authentication Methods",
        "operationType": "Add",
        "initiatedBy": {
            "app": None,
            "user": {
                "id": user_id_of(admin),
                "displayName": admin.title(),
                "userPrincipalName": f"{admin}@contoso.com",
                "ipAddress": "198.51.100.20",
            },
        },
        "targetResources": [
            {
                "id": user_id_of(user),
                "displayName": user.title(),
                "type": "User",
                "userPrincipalName": f"{user}@contoso.com",
            }
        ],
        "additionalDetails": [],
    }


def tap_method(issued: datetime, lifetime: int = 60, once: bool = True) -> dict[str, Any]:
    return {
        "id": "6f1a2a5c-0000-4000-8000-000000000001",
        "temporaryAccessPass": None,
        "createdDateTime": stamp(issued),
        "startDateTime": stamp(issued),
        "lifetimeInMinutes": lifetime,
        "isUsableOnce": once,
        "isUsable": False,
        "methodUsabilityReason": "OneTimeUsed" if once else "EnabledByPolicy",
    }


def configure_monitor(monkeypatch: Any, graph_url: str, storage: str, prefix: str) -> None:
    """App settings for a pass against the simulator at `graph_url` with state in Azurite. Pacing is
    off, as `simulator_settings` has it: the simulator throttles only when a test asks it to, and the
    pacer's own tests (tests/graph) and the shared budget's run it on."""
    for name, value in {
        "MONITOR_GRAPH_ENDPOINT": graph_url,
        "MONITOR_GRAPH_CREDENTIAL": "simulator",
        "MONITOR_GRAPH_PACING": "off",
        "MONITOR_STORAGE_CONNECTION_STRING": storage,
        "MONITOR_TABLE_PREFIX": prefix,
        "MONITOR_POLL_SCHEDULE": "0 */15 * * * *",
    }.items():
        monkeypatch.setenv(name, value)


def method_audit(
    n: int, user: str, at: datetime, activity: str = "User registered security info", reason: str = ""
) -> dict[str, Any]:
    """A security-info audit of the Authentication Methods service, in Graph's shape (the one
    Microsoft's audit activity reference and public samples show)."""
    by_admin = activity.startswith("Admin")
    actor = "helpdesk" if by_admin else user
    verb = "registered" if "registered" in activity else "deleted"
    return {
        "id": f"AuthMethods_{n:05d}",
        "category": "UserManagement",
        "correlationId": f"a0d18000-0000-4000-8000-{n:012d}",
        "result": "success",
        "resultReason": reason or f"{'Admin' if by_admin else 'User'} {verb} Fido2 Security Key",
        "activityDisplayName": activity,
        "activityDateTime": stamp(at),
        "loggedByService": "Authentication Methods",
        "operationType": "Add" if verb == "registered" else "Delete",
        "initiatedBy": {
            "app": None,
            "user": {
                "id": user_id_of(actor),
                "displayName": actor.title(),
                "userPrincipalName": f"{actor}@contoso.com",
                "ipAddress": "198.51.100.21",
            },
        },
        "targetResources": [
            {
                "id": user_id_of(user),
                "displayName": user.title(),
                "type": "User",
                "userPrincipalName": f"{user}@contoso.com",
            }
        ],
        "additionalDetails": [],
    }


def authentication_methods(*methods: tuple[str, str, datetime | None]) -> dict[str, Any]:
    """A user's GET /users/{id}/authentication/methods answer: (type, name, created) per method."""
    items = []
    for n, (kind, name, created) in enumerate(methods, 1):
        item: dict[str, Any] = {
            "@odata.type": f"#microsoft.graph.{kind}",
            "id": f"3179e48a-0000-4000-8000-{n:012d}",
        }
        if kind == "passwordAuthenticationMethod":
            item |= {"password": None, "createdDateTime": stamp(created) if created else None}
        elif kind == "phoneAuthenticationMethod":
            item |= {"phoneNumber": "+49 1701234567", "phoneType": name, "smsSignInState": "notSupported"}
        else:
            item |= {"displayName": name, "createdDateTime": stamp(created) if created else None}
        items.append(item)
    return {"value": items}


def write_recovery_tenant(snapshot: Path, *, removed: bool = False, now: datetime = NOW) -> Path:
    """A tenant in which the helpdesk gave adelev a pass 10 days before `now`; she signed in with it
    and registered a security key, and (unless `removed`) still has her old phone and authenticator app."""
    issued = now - timedelta(days=10)
    signin = graph_signin(
        901,
        issued + timedelta(minutes=20),
        user="adelev",
        methods=("Temporary Access Pass",),
        app_id="19db86c3-b2b9-44cc-b339-36da233a3be2",
    )
    signin["appDisplayName"] = "My Signins"
    write_tenant(snapshot, signins=[signin])
    audits = [tap_audit(1, "adelev", issued), method_audit(2, "adelev", issued + timedelta(minutes=25))]
    methods: list[tuple[str, str, datetime | None]] = [
        ("passwordAuthenticationMethod", "", None),
        ("fido2AuthenticationMethod", "YubiKey 5 NFC", issued + timedelta(minutes=25)),
    ]
    if removed:
        audits.append(
            method_audit(
                3,
                "adelev",
                issued + timedelta(hours=2),
                "Admin deleted security info",
                "Admin deleted Microsoft Authenticator App",
            )
        )
    else:
        methods += [
            ("microsoftAuthenticatorAuthenticationMethod", "Pixel 6", issued - timedelta(days=200)),
            ("phoneAuthenticationMethod", "mobile", None),
        ]
    write(snapshot, "v1.0/auditLogs/directoryAudits", {"value": audits})
    write(
        snapshot,
        f"v1.0/users/{user_id_of('adelev')}/authentication/methods",
        authentication_methods(*methods),
    )
    write(
        snapshot,
        f"v1.0/users/{user_id_of('adelev')}/authentication/temporaryAccessPassMethods",
        {"value": [tap_method(issued)]},
    )
    return snapshot


@cache
def indexed_functions() -> dict[str, Any]:
    """function_app's functions by name, indexed once per process as the Functions host indexes them
    (the azure-functions library refuses to index an app twice). The log-stream trigger is registered
    only where its hub is configured, as infra/ does when the stream is on."""
    import os

    os.environ.setdefault("MONITOR_ENTRA_LOG_HUB", "entra-logs")
    import function_app

    return {f.get_function_name(): f for f in function_app.app.get_functions()}


def clear_pass_queue(connection_string: str) -> None:
    """Empty the pass queue, invisible (deferred) messages too: every test that uses it starts clean."""
    from azure.core.exceptions import ResourceExistsError
    from azure.storage.queue import QueueClient

    from monitor.settings import PASS_QUEUE

    with QueueClient.from_connection_string(connection_string, PASS_QUEUE) as queue:
        try:
            queue.create_queue()
        except ResourceExistsError:
            queue.clear_messages()
