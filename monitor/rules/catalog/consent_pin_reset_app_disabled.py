"""consent.pin-reset-app.disabled: a PIN reset app is consented but its service principal is disabled."""

from __future__ import annotations

from monitor.entra import PIN_RESET_DOC
from monitor.records import TenantFacts
from monitor.rules.base import Outcome, Rule, failed, passed
from monitor.rules.evidence import consent_failures
from monitor.thresholds import Thresholds

RULE = Rule(
    id="consent.pin-reset-app.disabled",
    title="PIN reset app is disabled",
    severity="high",
    subject="app",
    rationale=(
        "The article 'Intune – Passcode Reset and Microsoft PIN Reset Service' says to filter Enterprise "
        "applications on status Enabled and make sure both PIN reset apps show up: a consented app whose "
        "service principal is disabled (accountEnabled false) cannot sign anyone in, and resets fail with "
        "AADSTS7000112 / 70001 (application is disabled)."
    ),
    remediation=(
        "In Entra admin center > Enterprise applications, open the app named in the finding, go to "
        "Properties, set 'Enabled for users to sign-in?' to Yes and save (or with Microsoft Graph: "
        "PATCH /servicePrincipals/{id} with accountEnabled true). Check the directory audit log for who "
        "disabled it and why before re-enabling."
    ),
    reads=("consent",),
    also_reads=("pin_reset_hours",),
    references=(
        PIN_RESET_DOC,
        "https://learn.microsoft.com/entra/identity/enterprise-apps/disable-user-sign-in-portal",
    ),
)


def evaluate(facts: TenantFacts, thresholds: Thresholds) -> Outcome:
    states = facts.consent.get()
    disabled = [s for s in states.values() if s.principal is not None and not s.principal.account_enabled]
    if not disabled:
        present = sum(1 for s in states.values() if s.principal is not None)
        return passed(f"{present} of 2 PIN reset apps consented, none disabled")
    hours = facts.pin_reset_hours.value if facts.pin_reset_hours.available else None
    findings = []
    for state in disabled:
        assert state.principal is not None
        evidence = {
            "appId": state.app_id,
            "appName": state.app_name,
            "servicePrincipalId": state.principal.object_id,
            "accountEnabled": False,
        }
        if hours is not None:
            evidence["signInFailures"] = consent_failures(
                h for h in hours if h.error_code in (7000112, 70001)
            ).to_json()
        findings.append(
            RULE.finding(
                state.app_id,
                f"{state.app_name} (appId {state.app_id}) is consented but its service principal "
                f"{state.principal.object_id} is disabled (accountEnabled false), so PIN reset sign-ins "
                "to it fail.",
                evidence,
            )
        )
    return failed(findings, f"{len(findings)} PIN reset app(s) disabled")
