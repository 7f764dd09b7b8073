"""Method registrations and removals from the directory audit log, and users' current methods, read
through msgraph-sdk from the simulator."""

from __future__ import annotations

import asyncio
from datetime import timedelta
from pathlib import Path

import orjson
import pytest

from graphsim import GraphSimulator
from monitor.collectors.auth_audits import read_auth_method_audits
from monitor.collectors.methods import method_change, read_user_methods
from monitor.graph.errors import GraphReadError
from monitor.graph.session import GraphSession
from monitor.records import MethodChange, UserMethod
from tests.support import NOW, method_audit, simulator_settings, tap_audit, user_id_of, write_recovery_tenant

ISSUED = NOW - timedelta(days=10)


def changes(snapshot: Path) -> list[MethodChange]:
    async def read() -> list[MethodChange]:
        with GraphSimulator(snapshot) as sim:
            async with GraphSession(simulator_settings(sim.url)) as graph:
                return (await read_auth_method_audits(graph, NOW - timedelta(days=14), NOW)).changes

    return asyncio.run(read())


def methods(snapshot: Path, *users: str) -> dict[str, tuple[UserMethod, ...]]:
    async def read() -> dict[str, tuple[UserMethod, ...]]:
        with GraphSimulator(snapshot) as sim:
            async with GraphSession(simulator_settings(sim.url)) as graph:
                return await read_user_methods(graph, users)

    return asyncio.run(read())


def test_registrations_and_removals_are_read_and_tap_issuances_left_out(tmp_path: Path) -> None:
    snapshot = write_recovery_tenant(tmp_path, removed=True)

    found = changes(snapshot)

    assert [(c.audit_id, c.action, c.by_admin, c.method, c.initiated_by) for c in found] == [
        (
            "AuthMethods_00002",
            "registered",
            False,
            "User registered Fido2 Security Key",
            "adelev@contoso.com",
        ),
        (
            "AuthMethods_00003",
            "deleted",
            True,
            "Admin deleted Microsoft Authenticator App",
            "helpdesk@contoso.com",
        ),
    ]
    assert {c.user_id for c in found} == {user_id_of("adelev")}


def test_an_audit_without_a_target_user_or_a_failed_one_is_not_a_change() -> None:
    audit = method_audit(1, "adelev", ISSUED)
    assert method_change(audit | {"targetResources": []}) is None
    assert method_change(audit | {"result": "failure"}) is None
    assert method_change(tap_audit(2, "adelev", ISSUED)) is None
    assert method_change(audit | {"activityDisplayName": "Update user"}) is None


def test_a_users_methods_are_read_with_their_types_and_creation_times(tmp_path: Path) -> None:
    snapshot = write_recovery_tenant(tmp_path)

    found = methods(snapshot, user_id_of("adelev"))

    assert [(m.kind, m.display_name, m.created) for m in found[user_id_of("adelev")]] == [
        ("passwordAuthenticationMethod", "", None),
        ("fido2AuthenticationMethod", "YubiKey 5 NFC", ISSUED + timedelta(minutes=25)),
        ("microsoftAuthenticatorAuthenticationMethod", "Pixel 6", ISSUED - timedelta(days=200)),
        ("phoneAuthenticationMethod", "mobile", None),
    ]


def test_without_the_permission_reading_methods_is_skipped_and_names_it(tmp_path: Path) -> None:
    snapshot = write_recovery_tenant(tmp_path)
    (snapshot / "_simulator.json").write_bytes(
        orjson.dumps(
            {
                "responses": [
                    {
                        "path": "v1.0/users",
                        "status": 403,
                        "code": "Authorization_RequestDenied",
                        "message": "Insufficient privileges to complete the operation.",
                    }
                ]
            }
        )
    )

    with pytest.raises(GraphReadError) as raised:
        methods(snapshot, user_id_of("adelev"))

    assert raised.value.kind == "skipped"
    assert raised.value.reason.startswith(
        "permission missing: v1.0/users/{id}/authentication/methods needs UserAuthenticationMethod.Read.All"
    )
