"""One simulator, many tenants: the token's tenant chooses the snapshot, Entra's refusals at the token
step and at Graph, both report throttles (per app per tenant and per app), and the monitor's own
credential and GraphSession reaching each tenant through the real msgraph-sdk."""

from __future__ import annotations

import asyncio
import ssl
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from azure.core.exceptions import ClientAuthenticationError

from graphsim import SIMULATOR_APP_ID, Fault, GraphSimulator, SnapshotError, ThrottleModel, make_token
from graphsim.tokens import read_token
from monitor.graph.credentials import GRAPH_SCOPE, SimulatorCredential, graph_credential
from monitor.graph.session import GraphSession
from monitor.settings import Settings
from tests.graphsim.tenant import write_json
from tests.support import simulator_settings

CONTOSO = "11111111-1111-4111-8111-111111111111"
FABRIKAM = "22222222-2222-4222-8222-222222222222"
NOT_SERVED = "33333333-3333-4333-8333-333333333333"
OTHER_APP = "44444444-4444-4444-8444-444444444444"
REPO = Path(__file__).resolve().parents[2]
SIGNINS = "/beta/auditLogs/signIns"


class FakeClock:
    def __init__(self) -> None:
        self.now = 1000.0

    def clock(self) -> float:
        return self.now


def tenant_snapshot(root: Path, name: str, user: str) -> Path:
    write_json(root / "v1.0/organization.json", {"value": [{"id": root.name, "displayName": name}]})
    write_json(root / "v1.0/users.json", {"value": [{"id": user, "userPrincipalName": f"{user}@{name}.com"}]})
    write_json(root / "beta/auditLogs/signIns.json", {"value": []})
    return root


@pytest.fixture
def tenants_dir(tmp_path: Path) -> Path:
    parent = tmp_path / "tenants"
    tenant_snapshot(parent / CONTOSO, "Contoso", "adele")
    tenant_snapshot(parent / FABRIKAM, "Fabrikam", "bianca")
    return parent


@pytest.fixture
def sim(tenants_dir: Path) -> Iterator[GraphSimulator]:
    with GraphSimulator(tenants=tenants_dir) as simulator:
        yield simulator


_http: list[httpx.Client] = []


@pytest.fixture(scope="module", autouse=True)
def http_client(tls_context: ssl.SSLContext) -> Iterator[None]:
    """One client for the module's Graph requests: building one per request costs 50 ms."""
    with httpx.Client(timeout=10, verify=tls_context) as client:
        _http.append(client)
        yield
        _http.clear()


def get(sim: GraphSimulator, path: str, tenant: str, app: str = SIMULATOR_APP_ID) -> httpx.Response:
    headers = {"Authorization": f"Bearer {make_token(tenant, app)}"}
    return _http[0].get(f"{sim.url}{path}", headers=headers)


def token_request(sim: GraphSimulator, tenant: str, **form: str) -> httpx.Response:
    data = {"grant_type": "client_credentials", "client_id": SIMULATOR_APP_ID, **form}
    data["scope"] = "https://graph.microsoft.com/.default"
    return httpx.post(f"{sim.url}/{tenant}/oauth2/v2.0/token", data=data)


def organization(response: httpx.Response) -> str:
    assert response.status_code == 200, response.text
    return str(response.json()["value"][0]["displayName"])


# --- isolation


def test_each_token_sees_only_its_own_tenant(sim: GraphSimulator) -> None:
    assert organization(get(sim, "/v1.0/organization", CONTOSO)) == "Contoso"
    assert organization(get(sim, "/v1.0/organization", FABRIKAM.upper())) == "Fabrikam"
    assert get(sim, "/v1.0/users/adele", CONTOSO).status_code == 200
    assert get(sim, "/v1.0/users/adele", FABRIKAM).status_code == 404  # Contoso's user, not Fabrikam's
    assert (sim.count(tenant=CONTOSO), sim.count(tenant=FABRIKAM)) == (2, 2)


def test_the_token_endpoint_issues_a_jwt_for_the_tenant_and_app_that_asked(sim: GraphSimulator) -> None:
    answer = token_request(sim, FABRIKAM, client_id=OTHER_APP)
    assert answer.status_code == 200
    body = answer.json()
    assert (body["token_type"], body["expires_in"]) == ("Bearer", 3599)
    claims = read_token(body["access_token"])
    assert claims is not None
    assert (claims.tenant, claims.app) == (FABRIKAM, OTHER_APP)
    response = httpx.get(
        f"{sim.url}/v1.0/organization", headers={"Authorization": f"Bearer {body['access_token']}"}
    )
    assert organization(response) == "Fabrikam"
    assert [(r.tenant, r.app, r.status, r.error_code) for r in sim.token_requests] == [
        (FABRIKAM, OTHER_APP, 200, None)
    ]
    assert sim.count() == 1  # the token endpoint is Entra, not Graph


def test_a_tenant_not_served_is_refused_at_the_token_step_and_by_graph(sim: GraphSimulator) -> None:
    refused = token_request(sim, NOT_SERVED)
    assert refused.status_code == 401
    body = refused.json()
    assert (body["error"], body["error_codes"]) == ("invalid_client", [7000229])
    assert body["error_description"].startswith(
        f"AADSTS7000229: The client application {SIMULATOR_APP_ID} is missing service principal in the "
        f"tenant {NOT_SERVED}."
    )
    graph = get(sim, "/v1.0/organization", NOT_SERVED)
    assert graph.status_code == 401
    assert graph.json()["error"]["code"] == "InvalidAuthenticationToken"
    # Serving many tenants, a token that is not a JWT names no tenant.
    opaque = httpx.get(f"{sim.url}/v1.0/organization", headers={"Authorization": "Bearer test-token"})
    assert (opaque.status_code, opaque.json()["error"]["code"]) == (401, "InvalidAuthenticationToken")
    assert sim.count(status=401) == 2
    assert sim.count(status=200) == 0


def test_a_revoked_or_disabled_tenant_is_refused_and_the_other_is_not(sim: GraphSimulator) -> None:
    sim.set_tenant_state(CONTOSO, "revoked")
    assert token_request(sim, CONTOSO).json()["error_codes"] == [7000229]
    assert get(sim, "/v1.0/organization", CONTOSO).status_code == 401  # a token issued before: ended
    assert organization(get(sim, "/v1.0/organization", FABRIKAM)) == "Fabrikam"

    sim.set_tenant_state(CONTOSO, "disabled")
    disabled = token_request(sim, CONTOSO)
    assert (disabled.status_code, disabled.json()["error"], disabled.json()["error_codes"]) == (
        400,
        "unauthorized_client",
        [7000112],
    )
    assert get(sim, "/v1.0/organization", CONTOSO).status_code == 401

    sim.set_tenant_state(CONTOSO, "permissions-removed")
    assert token_request(sim, CONTOSO).status_code == 200  # the app is there, without its permissions
    forbidden = get(sim, "/v1.0/organization", CONTOSO)
    assert (forbidden.status_code, forbidden.json()["error"]["code"]) == (403, "Authorization_RequestDenied")

    sim.set_tenant_state(CONTOSO, "consented")
    assert organization(get(sim, "/v1.0/organization", CONTOSO)) == "Contoso"
    with pytest.raises(ValueError, match="tenant state must be one of"):
        sim.set_tenant_state(CONTOSO, "gone")  # type: ignore[arg-type]


def test_tenant_states_over_the_control_endpoints_and_in_simulator_json(tenants_dir: Path) -> None:
    write_json(tenants_dir / FABRIKAM / "_simulator.json", {"consent": "disabled"})
    with GraphSimulator(tenants=tenants_dir) as sim:
        assert token_request(sim, FABRIKAM).json()["error_codes"] == [7000112]
        posted = httpx.post(f"{sim.url}/_simulator/tenants/{CONTOSO.upper()}", json={"state": "revoked"})
        assert posted.json()["state"] == "revoked"
        listed = httpx.get(f"{sim.url}/_simulator/tenants").json()["tenants"]
        assert [(t["tenant"], t["state"]) for t in listed] == [(CONTOSO, "revoked"), (FABRIKAM, "disabled")]
        bad = httpx.post(f"{sim.url}/_simulator/tenants/{NOT_SERVED}", json={"state": "revoked"})
        assert bad.status_code == 400
        assert "does not serve tenant" in bad.json()["error"]
        assert httpx.post(f"{sim.url}/_simulator/tenants/{CONTOSO}", json={"state": "x"}).status_code == 400


def test_tenants_given_as_a_mapping_and_bad_arguments(tenants_dir: Path, tmp_path: Path) -> None:
    with GraphSimulator(tenants={CONTOSO.upper(): tenants_dir / CONTOSO}) as sim:
        assert list(sim.tenants) == [CONTOSO]
        assert organization(get(sim, "/v1.0/organization", CONTOSO)) == "Contoso"
        assert get(sim, "/v1.0/organization", FABRIKAM).status_code == 401
    with pytest.raises(SnapshotError, match="exactly one of the two"):
        GraphSimulator(tenants_dir / CONTOSO, tenants=tenants_dir)
    with pytest.raises(SnapshotError, match="exactly one of the two"):
        GraphSimulator()
    (tmp_path / "empty").mkdir()
    with pytest.raises(SnapshotError, match="no tenants"):
        GraphSimulator(tenants=tmp_path / "empty")
    with pytest.raises(SnapshotError, match=f"tenant {CONTOSO}: snapshot directory .* has no v1.0 or beta"):
        GraphSimulator(tenants={CONTOSO: tmp_path / "empty"})


def test_one_snapshot_still_serves_every_token_and_issues_tokens_for_any_tenant(tenants_dir: Path) -> None:
    with GraphSimulator(tenants_dir / CONTOSO) as sim:
        assert organization(get(sim, "/v1.0/organization", NOT_SERVED)) == "Contoso"
        opaque = httpx.get(f"{sim.url}/v1.0/organization", headers={"Authorization": "Bearer test-token"})
        assert organization(opaque) == "Contoso"
        assert token_request(sim, NOT_SERVED).status_code == 200
        assert [r.tenant for r in sim.requests] == [NOT_SERVED, None]


def test_a_fault_for_one_tenant_leaves_the_other_alone(sim: GraphSimulator) -> None:
    sim.add_fault(Fault("503", tenant=CONTOSO.upper(), times=None))
    assert get(sim, "/v1.0/organization", CONTOSO).status_code == 503
    assert get(sim, "/v1.0/organization", FABRIKAM).status_code == 200
    assert Fault.parse(f"kind=429,tenant={FABRIKAM}").tenant == FABRIKAM


# --- the report throttles


def test_the_per_tenant_limit_throttles_one_tenant_without_touching_another(tenants_dir: Path) -> None:
    clock = FakeClock()
    with GraphSimulator(tenants=tenants_dir, throttle=ThrottleModel(clock=clock.clock)) as sim:
        assert [get(sim, SIGNINS, CONTOSO).status_code for _ in range(5)] == [200] * 5
        throttled = get(sim, SIGNINS, CONTOSO)
        assert throttled.status_code == 429
        assert throttled.headers["Retry-After"] == "10"
        assert throttled.json()["error"]["code"] == "TooManyRequests"
        assert get(sim, SIGNINS, FABRIKAM).status_code == 200  # another tenant's window
        assert get(sim, SIGNINS, CONTOSO, app=OTHER_APP).status_code == 200  # another app's window
        assert get(sim, "/v1.0/organization", CONTOSO).status_code == 200  # not a report
        clock.now += 10
        assert get(sim, SIGNINS, CONTOSO).status_code == 200
    assert sim.count(status=429, tenant=CONTOSO, throttle_limit="tenant") == 1
    assert sim.count(status=429, tenant=FABRIKAM) == 0
    stats = sim.throttle_stats()
    assert stats["by_limit"] == {"tenant": 1, "app": 0}
    assert stats["by_tenant"] == [{"app": SIMULATOR_APP_ID, "tenant": CONTOSO, "throttled": 1}]


def test_the_per_app_limit_throttles_across_tenants(tmp_path: Path) -> None:
    # 122 report requests per 10 s per app across all tenants: 25 tenants of 5 each reach it.
    parent = tmp_path / "many"
    ids = [f"{n:08d}-0000-4000-8000-000000000000" for n in range(26)]
    for tenant_id in ids:
        tenant_snapshot(parent / tenant_id, f"t{tenant_id[:8]}", "u")
    clock = FakeClock()
    with GraphSimulator(tenants=parent, throttle=ThrottleModel(clock=clock.clock)) as sim:
        statuses = [get(sim, SIGNINS, tenant_id).status_code for tenant_id in ids[:25] for _ in range(5)]
        assert statuses[:122] == [200] * 122
        assert statuses[122:] == [429] * 3
        # A tenant that has sent nothing is still refused: the app's budget is spent.
        fresh = get(sim, SIGNINS, ids[25])
        assert (fresh.status_code, fresh.headers["Retry-After"]) == (429, "10")
        assert get(sim, SIGNINS, ids[25], app=OTHER_APP).status_code == 200  # another app's budget
        requests = httpx.get(f"{sim.url}/_simulator/requests").json()
        assert requests["throttled"]["by_limit"] == {"tenant": 0, "app": 4}
        assert {r["throttle_limit"] for r in requests["requests"] if r["status"] == 429} == {"app"}
        clock.now += 10
        assert get(sim, SIGNINS, ids[25]).status_code == 200
    assert sim.count(status=429, throttle_limit="app") == 4


def test_the_model_counts_the_limit_hit_first_and_a_refused_request_in_neither_window() -> None:
    clock = FakeClock()
    model = ThrottleModel(clock=clock.clock, app_limit=7)
    assert [model.check(SIGNINS, "a", "x") for _ in range(5)] == [None] * 5
    refused = model.check(SIGNINS, "a", "x")
    assert refused is not None
    assert refused.limit == "tenant"
    assert [model.check(SIGNINS, "b", "x") for _ in range(2)] == [None] * 2
    refused = model.check(SIGNINS, "b", "x")
    assert refused is not None
    assert refused.limit == "app"
    assert model.admit("/v1.0/users", "b", "x") is None
    assert model.admit(SIGNINS) is None  # one app and one tenant, as one snapshot has
    assert (model.throttled, dict(model.by_limit)) == (2, {"tenant": 1, "app": 1})


# --- the monitor's credential and GraphSession


def read_organization(url: str, tenant: str | None) -> Any:
    settings = simulator_settings(url, graph_max_retries=0)

    async def go() -> Any:
        async with GraphSession(settings, credential=graph_credential(settings, tenant_id=tenant)) as graph:
            request = graph.client.organization.to_get_request_information()
            return await graph.entity(request, source="v1.0/organization", permission="p")

    return asyncio.run(go())


def test_the_monitor_reaches_each_tenant_through_msgraph_sdk(sim: GraphSimulator) -> None:
    assert read_organization(sim.url, CONTOSO)["value"][0]["displayName"] == "Contoso"
    assert read_organization(sim.url, FABRIKAM)["value"][0]["displayName"] == "Fabrikam"
    assert {(r.tenant, r.status) for r in sim.token_requests} == {(CONTOSO, 200), (FABRIKAM, 200)}
    assert (sim.count(tenant=CONTOSO, status=200), sim.count(tenant=FABRIKAM, status=200)) == (1, 1)


def test_the_monitor_credential_for_a_refused_tenant_raises_entras_error(sim: GraphSimulator) -> None:
    with pytest.raises(ClientAuthenticationError, match="AADSTS7000229"):
        read_organization(sim.url, NOT_SERVED)
    sim.set_tenant_state(FABRIKAM, "disabled")
    with pytest.raises(ClientAuthenticationError, match="AADSTS7000112"):
        read_organization(sim.url, FABRIKAM)
    assert sim.count() == 0  # refused before any Graph request


def test_the_default_simulator_credential_is_unchanged(tenants_dir: Path) -> None:
    settings = simulator_settings("http://127.0.0.1:1")
    credential = graph_credential(settings)
    assert isinstance(credential, SimulatorCredential)
    assert credential.tenant_id is None
    assert asyncio.run(credential.get_token("x")).token == SimulatorCredential.TOKEN
    assert SimulatorCredential.CLIENT_ID == SIMULATOR_APP_ID
    with GraphSimulator(tenants_dir / CONTOSO) as sim:
        assert read_organization(sim.url, None)["value"][0]["displayName"] == "Contoso"
    with pytest.raises(ValueError, match="needs the simulator credential"):
        graph_credential(Settings(), tenant_id=CONTOSO)


# --- the CLI


def test_the_cli_serves_a_tenants_directory(tenants_dir: Path) -> None:
    process = subprocess.Popen(
        [sys.executable, "-m", "graphsim", "--tenants", str(tenants_dir), "--port", "0"],
        cwd=REPO,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert process.stdout is not None
        url = process.stdout.readline().strip().removeprefix("listening on ")
        token = httpx.post(
            f"{url}/{FABRIKAM}/oauth2/v2.0/token", data={"grant_type": "client_credentials"}
        ).json()["access_token"]
        response = httpx.get(f"{url}/v1.0/organization", headers={"Authorization": f"Bearer {token}"})
        assert organization(response) == "Fabrikam"
    finally:
        process.terminate()
        assert process.wait(timeout=10) == 0
    both = subprocess.run(
        [sys.executable, "-m", "graphsim", "--tenants", str(tenants_dir), "--snapshot", str(tenants_dir)],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert both.returncode == 2
    assert "not allowed with argument" in both.stderr


def test_the_tenant_credential_keeps_its_token_for_its_lifetime(sim: GraphSimulator) -> None:
    async def go() -> list[str]:
        credential = SimulatorCredential(CONTOSO, authority=sim.url)
        try:
            return [(await credential.get_token(GRAPH_SCOPE)).token for _ in range(3)]
        finally:
            await credential.close()

    tokens = asyncio.run(go())
    assert len(set(tokens)) == 1
    assert len(sim.token_requests) == 1
    with pytest.raises(ValueError, match="needs the simulator's URL"):
        SimulatorCredential(CONTOSO)


def test_the_organization_is_the_tenant_the_token_names_even_from_a_shared_snapshot(
    tenants_dir: Path,
) -> None:
    shared = tenants_dir / CONTOSO
    with GraphSimulator(tenants={CONTOSO: shared, FABRIKAM: shared}) as sim:
        for tenant in (CONTOSO, FABRIKAM):
            [org] = get(sim, "/v1.0/organization", tenant).json()["value"]
            assert (org["id"], org["displayName"]) == (tenant, "Contoso")
