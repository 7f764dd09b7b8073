"""One credential and one Graph session per customer tenant: the simulator credential against the
many-tenant simulator through the real msgraph-sdk, and in Azure the multi-tenant app's
ClientAssertionCredential whose assertion is the managed identity's token for api://AzureADTokenExchange
(asked of a loopback stand-in for App Service's managed identity endpoint)."""

from __future__ import annotations

import asyncio
import json
import re
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any, ClassVar
from urllib.parse import parse_qs, urlsplit

import pytest
from azure.identity.aio import ClientAssertionCredential

from graphsim import GraphSimulator
from monitor.settings import Settings, SettingsError
from monitor.tenants.credential import (
    TOKEN_EXCHANGE_SCOPE,
    ManagedIdentityAssertion,
    managed_identity_assertion,
    tenant_credential,
    tenant_session,
)
from monitor.tenants.settings import MspSettings
from tests.support import simulator_settings

REPO = Path(__file__).resolve().parents[2]
CONTOSO = "11111111-1111-4111-8111-111111111111"
FOURTH = "22222222-2222-4222-8222-222222222222"
APP = "6f1d3a52-0c3e-4c8e-9d7e-2b9a4f3c1e01"
IDENTITY = "a9c4e7d2-5b1f-4e3a-8c6d-0f2e1b3a4c5d"


@pytest.fixture(scope="module")
def sim() -> Iterator[GraphSimulator]:
    tenants = {
        CONTOSO: REPO / "examples/tenants/healthy",
        FOURTH: REPO / "examples/tenants/no-licence",
    }
    with GraphSimulator(tenants=tenants) as simulator:
        yield simulator


def organization_name(settings: Settings, tenant: str, msp: MspSettings) -> str:
    async def go() -> str:
        async with tenant_session(settings, tenant, msp=msp) as graph:
            request = graph.client.organization.to_get_request_information()
            document = await graph.entity(
                request, source="v1.0/organization", permission="Directory.Read.All"
            )
            return str(document["value"][0]["displayName"])

    return asyncio.run(go())


def test_each_tenant_session_reads_its_own_tenant_as_the_msp_app(sim: GraphSimulator) -> None:
    sim.reset()
    settings = simulator_settings(sim.url)
    msp = MspSettings(app_id=APP)
    assert organization_name(settings, CONTOSO, msp) == "Contoso Ltd"
    assert organization_name(settings, FOURTH.upper(), msp) == "Fourth Coffee"
    assert [(r.tenant, r.app, r.status) for r in sim.token_requests] == [
        (CONTOSO, APP, 200),
        (FOURTH, APP, 200),
    ]
    assert {(r.tenant, r.app) for r in sim.requests} == {(CONTOSO, APP), (FOURTH, APP)}


def test_a_tenant_id_that_is_not_a_guid_is_refused_in_one_line(sim: GraphSimulator) -> None:
    with pytest.raises(ValueError, match=r"^a tenant ID is the directory's GUID .*got 'contoso.com'$"):
        tenant_credential(simulator_settings(sim.url), "contoso.com", MspSettings(app_id=APP))


def test_in_azure_the_credential_needs_the_app_and_the_managed_identity() -> None:
    settings = Settings(graph_credential="managed-identity")
    with pytest.raises(SettingsError, match="MONITOR_MSP_APP_ID must name the multi-tenant app"):
        tenant_credential(settings, CONTOSO, MspSettings())
    with pytest.raises(
        SettingsError, match=r"MONITOR_MSP_IDENTITY_CLIENT_ID .* must name the managed identity"
    ):
        tenant_credential(settings, CONTOSO, MspSettings(app_id=APP))


def test_in_azure_the_credential_is_a_client_assertion_of_the_managed_identity() -> None:
    settings = Settings(graph_credential="managed-identity")
    msp = MspSettings(app_id=APP, identity_client_id=IDENTITY)
    first = tenant_credential(settings, CONTOSO, msp)
    second = tenant_credential(settings, FOURTH, msp)
    assert isinstance(first, ClientAssertionCredential)
    assert isinstance(second, ClientAssertionCredential)
    assert first is not second  # one credential per tenant ...
    assert managed_identity_assertion(IDENTITY) is managed_identity_assertion(IDENTITY)  # ... one identity
    asyncio.run(first.close())
    asyncio.run(second.close())


class _IdentityEndpoint(BaseHTTPRequestHandler):
    """App Service's managed identity endpoint as azure-identity calls it (IDENTITY_ENDPOINT with the
    X-IDENTITY-HEADER secret): answers a token for the resource asked, and keeps what was asked."""

    asked: ClassVar[list[dict[str, Any]]] = []

    def do_GET(self) -> None:
        query = {k: v[0] for k, v in parse_qs(urlsplit(self.path).query).items()}
        _IdentityEndpoint.asked.append({"query": query, "header": self.headers.get("X-IDENTITY-HEADER")})
        body = json.dumps(
            {
                "access_token": "assertion-from-the-managed-identity",
                "expires_on": "4102444800",
                "resource": query.get("resource", ""),
                "token_type": "Bearer",
                "client_id": query.get("client_id", ""),
            }
        ).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args: object) -> None:
        pass


def test_the_assertion_is_the_managed_identitys_token_for_the_token_exchange_audience(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    server = ThreadingHTTPServer(("127.0.0.1", 0), _IdentityEndpoint)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        monkeypatch.setenv("IDENTITY_ENDPOINT", f"http://127.0.0.1:{server.server_address[1]}/msi/token")
        monkeypatch.setenv("IDENTITY_HEADER", "header-secret")
        _IdentityEndpoint.asked.clear()
        assertion = ManagedIdentityAssertion(IDENTITY)
        assert assertion() == "assertion-from-the-managed-identity"
        assert assertion() == "assertion-from-the-managed-identity"  # kept, not asked again
    finally:
        server.shutdown()
        server.server_close()
    assert TOKEN_EXCHANGE_SCOPE == "api://AzureADTokenExchange/.default"
    assert len(_IdentityEndpoint.asked) == 1
    asked = _IdentityEndpoint.asked[0]
    assert asked["header"] == "header-secret"
    assert asked["query"]["resource"] == "api://AzureADTokenExchange"
    assert asked["query"]["client_id"] == IDENTITY


# --- settings


def msp_settings(env: dict[str, str]) -> MspSettings:
    """The MONITOR_MSP_* part of the settings, read with every other setting."""
    return Settings.from_env(env).msp


def test_msp_settings_read_the_app_the_identity_and_the_redirect() -> None:
    env = {
        "MONITOR_MSP_APP_ID": "{" + APP.upper() + "}",
        "AZURE_CLIENT_ID": IDENTITY,
        "MONITOR_MSP_CONSENT_REDIRECT_URI": "https://monitor.example.com/api/tenants/consented",
    }
    msp = msp_settings(env)
    assert msp == MspSettings(APP, IDENTITY, "https://monitor.example.com/api/tenants/consented")
    assert msp.enabled
    other = msp_settings({**env, "MONITOR_MSP_IDENTITY_CLIENT_ID": APP})
    assert other.identity_client_id == APP  # its own setting wins over AZURE_CLIENT_ID
    assert msp_settings({}) == MspSettings()
    assert not MspSettings().enabled


def test_msp_settings_list_every_problem_at_once() -> None:
    env = {
        "MONITOR_MSP_APP_ID": "my-app",
        "AZURE_CLIENT_ID": "not-a-guid",
        "MONITOR_MSP_CONSENT_REDIRECT_URI": "http://monitor.example.com/x",
    }
    with pytest.raises(SettingsError) as raised:
        msp_settings(env)
    assert raised.value.problems == [
        "MONITOR_MSP_APP_ID must be a client ID (a GUID), got 'my-app'",
        "AZURE_CLIENT_ID must be a client ID (a GUID), got 'not-a-guid'",
        "MONITOR_MSP_CONSENT_REDIRECT_URI must be an https URL (http only on loopback), "
        "got 'http://monitor.example.com/x'",
        "MONITOR_MSP_CONSENT_REDIRECT_URI is set but MONITOR_MSP_APP_ID is not",
    ]


@pytest.mark.parametrize(
    ("redirect", "problem"),
    [
        ("https://x.example.com/" + "a" * 240, "must be at most 256 characters"),
        ("https://x.example.com/a#b", "must not hold a fragment"),
        ("https://x.example.com/a;b", "must not hold a fragment (#), a wildcard (*) or any of"),
        ("https://*.example.com/a", "must not hold a fragment (#), a wildcard (*) or any of"),
    ],
)
def test_a_redirect_uri_entra_would_not_register_is_refused(redirect: str, problem: str) -> None:
    with pytest.raises(SettingsError, match=re.escape(problem)):
        msp_settings({"MONITOR_MSP_APP_ID": APP, "MONITOR_MSP_CONSENT_REDIRECT_URI": redirect})


def test_http_redirects_are_allowed_on_loopback_only() -> None:
    msp = msp_settings(
        {"MONITOR_MSP_APP_ID": APP, "MONITOR_MSP_CONSENT_REDIRECT_URI": "http://localhost:7071/x"}
    )
    assert msp.consent_redirect_uri == "http://localhost:7071/x"
