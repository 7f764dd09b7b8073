"""signin.pin-reset.consent-errors: PIN reset sign-ins fail because an app is missing or disabled."""

from __future__ import annotations

from datetime import timedelta

from monitor.entra import CONSENT_ERROR_CODES, PIN_RESET_APPS, PIN_RESET_DOC
from monitor.records import TenantFacts
from monitor.rules.base import Outcome, Rule, failed, passed
from monitor.rules.evidence import consent_failures, iso, last_success
from monitor.thresholds import Thresholds

RULE = Rule(
    id="signin.pin-reset.consent-errors",
    title="PIN reset sign-ins fail for want of consent",
    severity="high",
    subject="tenant",
    rationale=(
        "The article 'PIN recovery, Temporary Access Pass, what can go wrong?': the device only says 'PIN "
        "recovery app needs access to a service'; the Entra sign-in log names the failing PIN reset app and "
        "carries the AADSTS code. Codes 65001 and 650052 (consent missing), 500011 (resource principal not "
        "found), 700016 and 700011 (application not found) and 7000112 / 70001 (application disabled) mean "
        "users are trying to reset their PIN right now and the tenant is refusing the PIN reset apps "
        "(Microsoft Entra authentication and authorization error codes)."
    ),
    remediation=(
        "Open the consent findings for the app named in the evidence and grant admin consent to both "
        "Microsoft Pin Reset Service Production and Microsoft Pin Reset Client Production (or re-enable "
        "the disabled one). Then have an affected user retry 'I forgot my PIN'; new sign-ins should show "
        "error code 0. Entra admin center > Sign-in logs, filtered on application 'Microsoft Pin Reset', "
        "shows each failure."
    ),
    reads=("pin_reset_hours",),
    also_reads=("consent",),
    references=(
        PIN_RESET_DOC,
        "https://learn.microsoft.com/entra/identity-platform/reference-error-codes",
    ),
    thresholds=("consent_error_window_hours",),
)


def evaluate(facts: TenantFacts, thresholds: Thresholds) -> Outcome:
    hours = facts.pin_reset_hours.get()
    window = timedelta(hours=thresholds.consent_error_window_hours)
    since = facts.now - window
    recent = consent_failures(hours, since=since)
    if not recent.count:
        return passed(
            f"no consent or app-not-found failures in the last {thresholds.consent_error_window_hours} h"
        )
    ever = consent_failures(hours)
    success = last_success(hours)
    apps = ", ".join(f"{PIN_RESET_APPS.get(app, app)} ({n})" for app, n in recent.by_app.items())
    codes = ", ".join(f"{code} x{n}" for code, n in recent.by_code.items())
    detail = (
        f"{recent.count} PIN reset sign-in(s) failed with a consent or app-not-found error in the last "
        f"{thresholds.consent_error_window_hours} h ({codes}; apps: {apps}). The failures began "
        f"{iso(ever.first) if ever.first else 'in this window'}"
        + (
            f"; the last successful PIN reset sign-in was {iso(success)}."
            if success
            else "; no successful PIN reset sign-in was seen."
        )
    )
    evidence = {
        "windowHours": thresholds.consent_error_window_hours,
        "window": recent.to_json(),
        "sinceFirstFailure": ever.to_json(),
        "lastSuccessfulPinReset": iso(success) if success else None,
        "errorCodesCounted": sorted(CONSENT_ERROR_CODES),
    }
    if facts.consent.available:
        states = facts.consent.get()
        evidence["consent"] = {
            app: (
                "missing" if s.principal is None else "enabled" if s.principal.account_enabled else "disabled"
            )
            for app, s in states.items()
        }
    return failed(
        [RULE.finding(facts.tenant.id, detail, evidence)], f"{recent.count} consent failure(s) in the window"
    )
