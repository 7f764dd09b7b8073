"""Onboarding a customer tenant: the admin-consent URL, and the permission check through the real
msgraph-sdk against the many-tenant simulator (per permission granted, refused with Graph's code, or
unknown; the rules and features skipped; Entra's token refusals classified for quarantine)."""

from __future__ import annotations

import asyncio
import socket
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import orjson
import pytest

from graphsim import Fault, GraphSimulator
from monitor.settings import Settings
from monitor.tenants.onboarding import (
    TenantCheck,
    check,
    classify_refusal,
    consent_url,
    customer_permissions,
    entra_reason,
)
from monitor.tenants.settings import MspSettings
from tests.support import simulator_settings

REPO = Path(__file__).resolve().parents[2]
CONTOSO = "11111111-1111-4111-8111-111111111111"
FABRIKAM = "22222222-2222-4222-8222-222222222222"
FOURTH = "33333333-3333-4333-8333-333333333333"  # no Entra ID P1 and no Intune licence
NOT_SERVED = "44444444-4444-4444-8444-444444444444"
APP = "6f1d3a52-0c3e-4c8e-9d7e-2b9a4f3c1e01"
NOW = datetime(2026, 12, 5, 9, 30, tzinfo=UTC)
CUSTOMER_PERMISSIONS = [
    "Application.Read.All",
    "AuditLog.Read.All",
    "DeviceManagementConfiguration.Read.All",
    "DeviceManagementManagedDevices.Read.All",
    "Directory.Read.All",
    "Domain.Read.All",
    "Policy.Read.AuthenticationMethod",
    "RoleManagement.Read.Directory",
    "UserAuthenticationMethod.Read.All",
    "UserAuthMethod-TAP.Read.All",
]


@pytest.fixture(scope="module")
def sim() -> Iterator[GraphSimulator]:
    tenants = {
        CONTOSO: REPO / "examples/tenants/healthy",
        FABRIKAM: REPO / "examples/tenants/healthy",
        FOURTH: REPO / "examples/tenants/no-licence",
    }
    with GraphSimulator(tenants=tenants) as simulator:
        yield simulator


@pytest.fixture
def fresh(sim: GraphSimulator) -> GraphSimulator:
    """The module's simulator with every tenant consented to everything and the logs cleared."""
    for tenant in (CONTOSO, FABRIKAM, FOURTH):
        sim.set_tenant_state(tenant, "consented")
        sim.set_tenant_permissions(tenant, None)
    sim.reset()
    return sim


def run_check(url: str, tenant: str, **kwargs: Any) -> TenantCheck:
    settings = simulator_settings(url, graph_max_retries=0)
    return asyncio.run(check(settings, tenant, msp=MspSettings(app_id=APP), now=NOW, **kwargs))


def states(result: TenantCheck) -> dict[str, str]:
    return {p.permission: p.state for p in result.permissions}


# --- the consent URL


def test_the_consent_url_is_the_tenant_wide_admin_consent_url() -> None:
    assert consent_url(APP.upper(), "{" + CONTOSO + "}") == (
        f"https://login.microsoftonline.com/{CONTOSO}/adminconsent?client_id={APP}"
    )


def test_with_a_redirect_the_consent_url_is_the_v2_endpoint_asking_for_default() -> None:
    url = consent_url(APP, CONTOSO, "https://monitor.example.com/api/consented", state="c0ffee")
    assert url == (
        f"https://login.microsoftonline.com/{CONTOSO}/v2.0/adminconsent?client_id={APP}"
        "&scope=https://graph.microsoft.com/.default"
        "&redirect_uri=https://monitor.example.com/api/consented&state=c0ffee"
    )


def test_the_consent_url_refuses_ids_that_are_not_guids() -> None:
    with pytest.raises(ValueError, match="the app ID must be the app registration's client ID"):
        consent_url("monitor", CONTOSO)
    with pytest.raises(ValueError, match="a tenant ID is the directory's GUID"):
        consent_url(APP, "contoso.onmicrosoft.com")


def test_a_customer_grants_the_manifest_without_mail_send() -> None:
    assert [need.name for need in customer_permissions()] == CUSTOMER_PERMISSIONS


# --- the check


def test_a_consented_tenant_is_ready_with_every_permission_granted(fresh: GraphSimulator) -> None:
    result = run_check(fresh.url, CONTOSO)
    assert (result.access, result.problem, result.display_name) == ("ready", None, "Contoso Ltd")
    assert result.consent_url == ""  # nothing for the customer's admin to do
    assert states(result) == dict.fromkeys(CUSTOMER_PERMISSIONS, "granted")
    assert result.skipped == ()
    # One read per permission, and one to find a user for the methods probes; nothing in another tenant.
    assert fresh.count(tenant=CONTOSO) == len(CUSTOMER_PERMISSIONS) + 1
    assert fresh.count(tenant=FABRIKAM) == 0
    assert [(r.tenant, r.app) for r in fresh.token_requests] == [(CONTOSO, APP)]


def test_a_partial_grant_names_the_refused_permission_and_the_rules_it_skips(fresh: GraphSimulator) -> None:
    fresh.set_tenant_permissions(CONTOSO, [p for p in CUSTOMER_PERMISSIONS if p != "AuditLog.Read.All"])
    result = run_check(fresh.url, CONTOSO)
    assert result.access == "partial"
    audit = next(p for p in result.permissions if p.permission == "AuditLog.Read.All")
    assert (audit.state, audit.status, audit.code, audit.probe) == (
        "refused",
        403,
        "Authorization_RequestDenied",
        "GET v1.0/auditLogs/directoryAudits",
    )
    assert audit.reason == "Insufficient privileges to complete the operation."
    assert [p for p, state in states(result).items() if state != "granted"] == ["AuditLog.Read.All"]
    rules = [s for s in result.skipped if s.kind == "rule"]
    assert [s.name for s in rules] == [
        "signin.pin-reset.consent-errors",
        "signin.pin-reset.failure-spike",
        "tap.issued.privileged-user",
        "tap.recovery.old-methods-kept",
        "tap.signin.failure-burst",
        "tap.signin.risky",
    ]
    assert all(s.certain and s.permissions == ("AuditLog.Read.All",) for s in rules)
    assert rules[0].reason == "needs AuditLog.Read.All refused (Authorization_RequestDenied)"
    features = [s.name for s in result.skipped if s.kind == "feature"]
    assert "weekly report: passes issued, used and expired" in features
    # The other tenant, which granted everything, is untouched by this one's grant.
    assert run_check(fresh.url, FABRIKAM).access == "ready"


def test_a_higher_privileged_grant_lets_the_reads_through(fresh: GraphSimulator) -> None:
    granted = [p for p in CUSTOMER_PERMISSIONS if p not in ("Domain.Read.All", "Application.Read.All")]
    fresh.set_tenant_permissions(CONTOSO, granted)  # Directory.Read.All covers both reads
    assert run_check(fresh.url, CONTOSO).access == "ready"


def test_a_tenant_without_licences_cannot_say_for_its_intune_permissions(fresh: GraphSimulator) -> None:
    result = run_check(fresh.url, FOURTH)
    assert result.access == "partial"
    unknown = {p.permission: p for p in result.permissions if p.state != "granted"}
    assert sorted(unknown) == [
        "DeviceManagementConfiguration.Read.All",
        "DeviceManagementManagedDevices.Read.All",
    ]
    intune = unknown["DeviceManagementManagedDevices.Read.All"]
    assert (intune.state, intune.status, intune.code) == ("unknown", 400, "BadRequest")
    assert intune.reason.startswith("the tenant lacks the licence this read needs: Request not applicable")
    skipped = {s.name: s for s in result.skipped if s.kind == "rule"}
    assert sorted(skipped) == [
        "device.pin-reset.destructive-only",
        "device.pin-reset.unsupported-os",
        "policy.pin-recovery.not-configured",
        "policy.pin-recovery.oma-uri-invalid",
        "policy.web-signin-urls.missing",
    ]
    assert not any(s.certain for s in skipped.values())  # only unknown permissions stand in the way


def test_a_tenant_that_never_consented_is_not_consented(fresh: GraphSimulator) -> None:
    result = run_check(fresh.url, NOT_SERVED)
    assert (result.access, result.problem, result.permissions, result.skipped) == (
        "not_consented",
        "not_consented",
        (),
        (),
    )
    assert result.problem_reason == (
        f"AADSTS7000229: The client application {APP} is missing service principal in the tenant "
        f"{NOT_SERVED}."
    )
    assert fresh.count() == 0  # no Graph request without a token
    assert (
        result.consent_url == f"https://login.microsoftonline.com/{NOT_SERVED}/adminconsent?client_id={APP}"
    )


def test_a_tenant_that_was_consented_and_deleted_the_app_revoked_consent(fresh: GraphSimulator) -> None:
    fresh.set_tenant_state(FABRIKAM, "revoked")
    assert run_check(fresh.url, FABRIKAM, was_consented=True).access == "consent_revoked"


def test_a_tenant_that_disabled_the_app_is_app_disabled(fresh: GraphSimulator) -> None:
    fresh.set_tenant_state(FABRIKAM, "disabled")
    result = run_check(fresh.url, FABRIKAM, was_consented=True)
    assert (result.access, result.problem_reason) == (
        "app_disabled",
        f"AADSTS7000112: Application '{APP}' is disabled.",
    )


def test_a_tenant_that_removed_every_permission_is_refused_everywhere(fresh: GraphSimulator) -> None:
    fresh.set_tenant_state(FABRIKAM, "permissions-removed")
    assert run_check(fresh.url, FABRIKAM).access == "not_consented"
    result = run_check(fresh.url, FABRIKAM, was_consented=True)
    assert result.access == "consent_revoked"
    assert set(states(result).values()) == {"refused"}
    assert len([s for s in result.skipped if s.kind == "rule"]) == 17


def test_a_throttled_probe_is_unknown_not_refused(fresh: GraphSimulator) -> None:
    fresh.add_fault(Fault("429", path="/v1.0/auditLogs/directoryAudits", times=None, retry_after=1))
    try:
        result = run_check(fresh.url, CONTOSO)
    finally:
        fresh.clear_faults()
    audit = next(p for p in result.permissions if p.permission == "AuditLog.Read.All")
    assert (audit.state, audit.status) == ("unknown", 429)
    assert result.access == "partial"
    assert {s.certain for s in result.skipped} == {False}


def test_an_unreachable_token_endpoint_is_transient() -> None:
    with socket.socket() as free:
        free.bind(("127.0.0.1", 0))
        port = free.getsockname()[1]
    result = run_check(f"http://127.0.0.1:{port}", CONTOSO)
    assert (result.access, result.permissions) == ("transient", ())
    assert (
        result.problem_reason
        == f"SimulatorCredential: token request for tenant {CONTOSO} failed (ConnectError)"
    )


def test_the_result_as_json_names_no_token(fresh: GraphSimulator) -> None:
    policy = "Policy.Read.AuthenticationMethod"
    fresh.set_tenant_permissions(CONTOSO, [p for p in CUSTOMER_PERMISSIONS if p != policy])
    document = run_check(fresh.url, CONTOSO).to_json()
    assert list(document) == [
        "tenant",
        "displayName",
        "access",
        "problem",
        "reason",
        "checkedAt",
        "permissions",
        "skippedRules",
        "skippedFeatures",
        "consentUrl",
    ]
    assert (document["tenant"], document["access"], document["checkedAt"]) == (
        CONTOSO,
        "partial",
        "2026-12-05T09:30:00Z",
    )
    assert document["skippedRules"] == [
        {
            "name": rule,
            "kind": "rule",
            "permissions": [policy],
            "certain": True,
            "reason": f"needs {policy} refused (Authorization_RequestDenied)",
        }
        for rule in ("tap.policy.disabled", "tap.policy.lifetime-too-long", "tap.policy.multi-use")
    ]
    assert document["skippedFeatures"] == []
    assert (
        document["consentUrl"] == f"https://login.microsoftonline.com/{CONTOSO}/adminconsent?client_id={APP}"
    )
    assert document["permissions"][6] == {
        "permission": policy,
        "state": "refused",
        "probe": "GET v1.0/policies/authenticationMethodsPolicy/authenticationMethodConfigurations/"
        "TemporaryAccessPass",
        "status": 403,
        "code": "Authorization_RequestDenied",
        "reason": "Insufficient privileges to complete the operation.",
    }
    text = orjson.dumps(document).decode()
    assert "eyJ" not in text  # no JWT
    assert "access_token" not in text


def test_the_check_as_text_says_what_is_refused_skipped_and_where_to_grant_it(fresh: GraphSimulator) -> None:
    # Without Directory.Read.All too, which would cover role assignments.
    missing = ("RoleManagement.Read.Directory", "Directory.Read.All")
    fresh.set_tenant_permissions(CONTOSO, [p for p in CUSTOMER_PERMISSIONS if p not in missing])
    lines = run_check(fresh.url, CONTOSO).to_text().splitlines()
    assert lines[0] == f"tenant {CONTOSO}: partial"  # no name: reading it needs Directory.Read.All
    refused = "refused Authorization_RequestDenied: Insufficient privileges to complete the operation."
    assert f"  {'Directory.Read.All':<39}  {refused}" in lines
    assert f"  {'Domain.Read.All':<39}  granted" in lines
    skipped = "needs RoleManagement.Read.Directory refused (Authorization_RequestDenied)"
    assert f"  rule tap.issued.privileged-user skipped: {skipped}" in lines
    assert lines[-1] == (
        "  the customer's admin grants what is missing at: "
        f"https://login.microsoftonline.com/{CONTOSO}/adminconsent?client_id={APP}"
    )


def test_a_settings_object_without_a_simulator_or_app_cannot_check() -> None:
    from monitor.settings import SettingsError

    with pytest.raises(SettingsError, match="MONITOR_MSP_APP_ID must name"):
        asyncio.run(check(Settings(graph_credential="managed-identity"), CONTOSO, msp=MspSettings()))


# --- classifying Entra's refusals


NO_SERVICE_PRINCIPAL = "AADSTS7000229: The client application x is missing service principal in the tenant y."
NO_FEDERATED_RECORD = "No matching federated identity record found for presented assertion"


@pytest.mark.parametrize(
    ("message", "was_consented", "expected"),
    [
        (NO_SERVICE_PRINCIPAL, False, "not_consented"),
        (NO_SERVICE_PRINCIPAL, True, "consent_revoked"),
        (
            "get_token failed: AADSTS700016: Application with identifier 'x' was not found",
            False,
            "not_consented",
        ),
        ("AADSTS7000112: Application 'x' is disabled.", True, "app_disabled"),
        (
            "AADSTS90002: Tenant 'x' not found. Check to make sure you have the correct tenant ID",
            False,
            "tenant_not_found",
        ),
        (f"AADSTS70021: {NO_FEDERATED_RECORD}.", True, "provider_misconfigured"),
        (f"AADSTS700213: {NO_FEDERATED_RECORD} subject", True, "provider_misconfigured"),
        ("AADSTS90033: A transient error has occurred. Please try again.", True, "transient"),
        ("Connection reset by peer", True, "transient"),
    ],
)
def test_token_refusals_are_classified(message: str, was_consented: bool, expected: str) -> None:
    assert classify_refusal(message, was_consented=was_consented) == expected


def test_entras_reason_keeps_the_code_and_sentence_without_trace_ids() -> None:
    message = (
        "SimulatorCredential: token request refused (400): AADSTS7000112: Application 'x' is disabled. "
        "Trace ID: 8a1b Correlation ID: 77c2 Timestamp: 2026-12-05 09:30:00Z"
    )
    assert entra_reason(message) == "AADSTS7000112: Application 'x' is disabled."
