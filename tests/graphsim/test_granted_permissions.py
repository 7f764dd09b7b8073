"""A tenant whose admin granted the app only some of its permissions: Graph answers 403
Authorization_RequestDenied to what none of them allows and serves the rest, and its tokens carry the
granted permissions in `roles`."""

from __future__ import annotations

import base64
import json
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from graphsim import SIMULATOR_APP_ID, GraphSimulator, SnapshotError, make_token
from graphsim.permissions import allowed, needs
from graphsim.tokens import read_token
from tests.graphsim.tenant import write_json

CONTOSO = "11111111-1111-4111-8111-111111111111"
FABRIKAM = "22222222-2222-4222-8222-222222222222"
USER = "aaaaaaaa-0000-4000-8000-000000000001"


def tenant_snapshot(root: Path, name: str) -> Path:
    write_json(root / "v1.0/organization.json", {"value": [{"id": root.name, "displayName": name}]})
    write_json(root / "v1.0/users.json", {"value": [{"id": USER, "userPrincipalName": f"adele@{name}.com"}]})
    write_json(root / "v1.0/domains.json", {"value": [{"id": f"{name}.com", "isVerified": True}]})
    write_json(root / "v1.0/auditLogs/directoryAudits.json", {"value": []})
    return root


@pytest.fixture
def tenants_dir(tmp_path: Path) -> Path:
    parent = tmp_path / "tenants"
    tenant_snapshot(parent / CONTOSO, "contoso")
    tenant_snapshot(parent / FABRIKAM, "fabrikam")
    return parent


@pytest.fixture
def sim(tenants_dir: Path) -> Iterator[GraphSimulator]:
    with GraphSimulator(tenants=tenants_dir) as simulator:
        yield simulator


def get(sim: GraphSimulator, path: str, tenant: str) -> httpx.Response:
    return httpx.get(f"{sim.url}{path}", headers={"Authorization": f"Bearer {make_token(tenant)}"})


def status_and_code(response: httpx.Response) -> tuple[int, str | None]:
    body = response.json()
    return response.status_code, body["error"]["code"] if "error" in body else None


def test_a_partial_grant_refuses_only_what_no_granted_permission_allows(sim: GraphSimulator) -> None:
    sim.set_tenant_permissions(CONTOSO, ["Domain.Read.All", "UserAuthMethod-TAP.Read.All"])
    assert status_and_code(get(sim, "/v1.0/domains", CONTOSO)) == (200, None)
    tap_methods = f"/v1.0/users/{USER}/authentication/temporaryAccessPassMethods"
    assert status_and_code(get(sim, tap_methods, CONTOSO)) == (200, None)
    refused = get(sim, "/v1.0/auditLogs/directoryAudits?$top=1", CONTOSO)
    assert status_and_code(refused) == (403, "Authorization_RequestDenied")
    assert refused.json()["error"]["message"] == "Insufficient privileges to complete the operation."
    assert status_and_code(get(sim, "/v1.0/organization", CONTOSO)) == (403, "Authorization_RequestDenied")
    assert status_and_code(get(sim, f"/v1.0/users/{USER}/authentication/methods", CONTOSO)) == (
        403,
        "Authorization_RequestDenied",
    )
    # The other tenant granted everything the app asks for.
    assert status_and_code(get(sim, "/v1.0/auditLogs/directoryAudits", FABRIKAM)) == (200, None)
    assert sim.count(tenant=CONTOSO, status=403) == 3


def test_a_higher_privileged_permission_allows_what_the_least_privileged_does(sim: GraphSimulator) -> None:
    sim.set_tenant_permissions(CONTOSO, ["Directory.Read.All"])
    assert get(sim, "/v1.0/domains", CONTOSO).status_code == 200
    assert get(sim, "/v1.0/organization", CONTOSO).status_code == 200
    assert get(sim, "/v1.0/roleManagement/directory/roleAssignments", CONTOSO).status_code == 200
    assert get(sim, "/v1.0/auditLogs/directoryAudits", CONTOSO).status_code == 403


def test_granting_everything_again_serves_every_path(sim: GraphSimulator) -> None:
    sim.set_tenant_permissions(CONTOSO, [])
    assert get(sim, "/v1.0/domains", CONTOSO).status_code == 403
    sim.set_tenant_permissions(CONTOSO, None)
    assert get(sim, "/v1.0/domains", CONTOSO).status_code == 200


def test_the_token_endpoint_puts_the_granted_permissions_in_roles(sim: GraphSimulator) -> None:
    sim.set_tenant_permissions(CONTOSO, ["Domain.Read.All", "AuditLog.Read.All"])
    form = {"grant_type": "client_credentials", "client_id": SIMULATOR_APP_ID, "scope": ".default"}
    answer = httpx.post(f"{sim.url}/{CONTOSO}/oauth2/v2.0/token", data=form)
    assert answer.status_code == 200
    token = answer.json()["access_token"]
    assert read_token(token) is not None
    payload = token.split(".")[1]
    claims = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    assert claims["roles"] == ["AuditLog.Read.All", "Domain.Read.All"]


def test_grants_over_the_control_endpoint_and_in_simulator_json(tenants_dir: Path) -> None:
    write_json(tenants_dir / FABRIKAM / "_simulator.json", {"grantedPermissions": ["AuditLog.Read.All"]})
    with GraphSimulator(tenants=tenants_dir) as sim:
        assert get(sim, "/v1.0/auditLogs/directoryAudits", FABRIKAM).status_code == 200
        assert get(sim, "/v1.0/domains", FABRIKAM).status_code == 403
        posted = httpx.post(
            f"{sim.url}/_simulator/tenants/{CONTOSO}", json={"permissions": ["Domain.Read.All"]}
        ).json()
        assert (posted["state"], posted["granted"]) == ("consented", ["Domain.Read.All"])
        assert get(sim, "/v1.0/organization", CONTOSO).status_code == 403
        listed = httpx.get(f"{sim.url}/_simulator/tenants").json()["tenants"]
        assert [(t["tenant"], t["granted"]) for t in listed] == [
            (CONTOSO, ["Domain.Read.All"]),
            (FABRIKAM, ["AuditLog.Read.All"]),
        ]
        # The setting made here wins over _simulator.json, and null grants everything again.
        httpx.post(f"{sim.url}/_simulator/tenants/{FABRIKAM}", json={"permissions": None})
        assert get(sim, "/v1.0/domains", FABRIKAM).status_code == 200
        bad = httpx.post(f"{sim.url}/_simulator/tenants/{CONTOSO}", json={"permissions": "Domain.Read.All"})
        assert bad.status_code == 400
        assert "permissions" in bad.json()["error"]
        assert httpx.post(f"{sim.url}/_simulator/tenants/{CONTOSO}", json={}).status_code == 400


def test_a_bad_grant_in_simulator_json_is_refused(tenants_dir: Path) -> None:
    write_json(tenants_dir / FABRIKAM / "_simulator.json", {"grantedPermissions": "AuditLog.Read.All"})
    with pytest.raises(SnapshotError, match='"grantedPermissions" must be a list of permission names'):
        GraphSimulator(tenants=tenants_dir)


@pytest.mark.parametrize(
    ("path", "granted", "expected"),
    [
        ("/v1.0/servicePrincipals?$filter=appId eq 'x'", ["Application.Read.All"], True),
        ("/v1.0/servicePrincipals(appId='x')", ["Directory.Read.All"], True),
        ("/beta/auditLogs/signIns", ["AuditLog.Read.All"], False),  # and Directory.Read.All
        ("/beta/auditLogs/signIns", ["AuditLog.Read.All", "Directory.Read.All"], True),
        ("/v1.0/users('a')/authentication/methods", ["UserAuthenticationMethod.Read.All"], True),
        (
            "/v1.0/users/a/authentication/temporaryAccessPassMethods",
            ["UserAuthenticationMethod.Read.All"],
            True,
        ),
        ("/beta/deviceManagement/managedDevices", ["DeviceManagementConfiguration.Read.All"], False),
        ("/beta/deviceManagement/configurationPolicies", ["DeviceManagementConfiguration.Read.All"], True),
        ("/v1.0/policies/authenticationMethodsPolicy", ["Policy.Read.AuthenticationMethod"], True),
        ("/v1.0//users/a/sendMail", ["Mail.Send"], True),
        ("/v1.0/somethingElse", [], True),  # not in the table: never refused
    ],
)
def test_the_table_of_paths_and_permissions(path: str, granted: list[str], expected: bool) -> None:
    assert allowed(path, granted) is expected


def test_the_table_names_the_sign_in_logs_requirements() -> None:
    assert needs("/beta/auditLogs/signIns?$top=1") == (
        ("AuditLog.Read.All",),
        ("Directory.Read.All", "Directory.ReadWrite.All"),
    )
