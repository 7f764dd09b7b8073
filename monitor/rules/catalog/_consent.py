"""What the two consent.*.missing rules share: they differ only in which PIN reset app they watch."""

from __future__ import annotations

from typing import Any

from monitor.entra import CONSENT_URLS, PIN_RESET_APPS, PIN_RESET_DOC
from monitor.records import TenantFacts
from monitor.rules.base import Outcome, Rule, failed, passed
from monitor.rules.evidence import consent_failures, iso, last_success

CONSENT_REFERENCES = (
    PIN_RESET_DOC,
    "https://learn.microsoft.com/entra/identity/enterprise-apps/grant-admin-consent",
)


def consent_remediation(app_id: str) -> str:
    return (
        f"Sign in as a Global Administrator (or another role allowed to grant tenant-wide admin consent) "
        f"and open the admin-consent link for {PIN_RESET_APPS[app_id]}: {CONSENT_URLS[app_id]} . "
        "Accept the consent prompt; the page may stay grey or show 'page not found' afterwards (the "
        "articles 'Intune – Passcode Reset and Microsoft PIN Reset Service' and 'Enable PIN reset' both "
        "report it), which is expected. Then check Entra admin center > Enterprise applications, search "
        "'Microsoft PIN', and confirm both Microsoft Pin Reset Service Production and Microsoft Pin Reset "
        "Client Production are listed and enabled."
    )


def missing_app(rule: Rule, app_id: str, facts: TenantFacts) -> Outcome:
    state = facts.consent.get()[app_id]
    name = PIN_RESET_APPS[app_id]
    if state.principal is not None:
        return passed(f"{name} has a service principal ({state.principal.object_id})")
    evidence: dict[str, Any] = {"appId": app_id, "appName": name, "adminConsentUrl": CONSENT_URLS[app_id]}
    impact = ""
    if facts.pin_reset_hours.available:
        hours = facts.pin_reset_hours.get()
        failures = consent_failures(hours)
        evidence["signInFailures"] = failures.to_json()
        success = last_success(hours)
        evidence["lastSuccessfulPinReset"] = iso(success) if success else None
        if failures.count and failures.first:
            impact = (
                f" The sign-in log shows {failures.count} PIN reset sign-in(s) failing with a consent or "
                f"app-not-found error since {iso(failures.first)}."
            )
    detail = (
        f"{name} (appId {app_id}) has no service principal in tenant {facts.tenant.display_name}: no admin "
        "has consented to it, or its enterprise application was deleted. Non-destructive PIN reset cannot "
        "work until it is consented; users see 'PIN recovery app needs access to a service' or CAA20004."
        + impact
    )
    return failed([rule.finding(app_id, detail, evidence)], f"no service principal for appId {app_id}")
