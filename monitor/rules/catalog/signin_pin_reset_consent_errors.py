"""signin.pin-reset.consent-errors: PIN reset sign-ins fail because an app is missing or disabled."""

from __future__ import annotations

from datetime import timedelta

from monitor.entra import CONSENT_ERROR_CODES, PIN_RESET_APPS, PIN_RESET_DOC
from monitor.records import TenantFacts
from monitor.rules.base import Case, Finding, Outcome, Rule, failed, passed
from monitor.rules.cases import CLIENT, SERVICE, activity, consent, healthy, hour, unavailable
from monitor.rules.evidence import consent_failures, iso, last_success
from monitor.thresholds import Thresholds

RULE = Rule(
    id="signin.pin-reset.consent-errors",
    title="PIN reset sign-ins fail for want of consent",
    severity="high",
    subject="tenant",
    rationale=(
        "Seed 000: the device only says 'PIN recovery app needs access to a service'; the Entra sign-in "
        "log names the failing PIN reset app and carries the AADSTS code. Codes 65001 and 650052 (consent "
        "missing), 500011 (resource principal not found), 700016 and 700011 (application not found) and "
        "7000112 / 70001 (application disabled) mean users are trying to reset their PIN right now and "
        "the tenant is refusing the PIN reset apps (DOMAIN.md, error codes)."
    ),
    remediation=(
        "Open the consent findings for the app named in the evidence and grant admin consent to both "
        "Microsoft Pin Reset Service Production and Microsoft Pin Reset Client Production (or re-enable "
        "the disabled one). Then have an affected user retry 'I forgot my PIN'; new sign-ins should show "
        "error code 0. Entra admin center > Sign-in logs, filtered on application 'Microsoft Pin Reset', "
        "shows each failure."
    ),
    references=(
        PIN_RESET_DOC,
        "https://learn.microsoft.com/entra/identity-platform/reference-error-codes",
        "seeds/000_f789c0fd1928ecd4.txt (sign-in logs name the failing PIN recovery app)",
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


def _window_only(findings: tuple[Finding, ...]) -> None:
    evidence = findings[0].evidence
    assert evidence["window"]["failures"] == 3, evidence
    assert evidence["window"]["byErrorCode"] == {"500011": 3}, evidence
    assert evidence["sinceFirstFailure"]["failures"] == 9, evidence
    assert evidence["consent"] == {SERVICE: "missing", CLIENT: "enabled"}, evidence


CASES = (
    Case("passes with only successes and user-side failures", healthy(), "pass"),
    Case(
        "passes when consent failures are older than the window",
        healthy(pin_reset_hours=activity(hour(30, 65001, 5), hour(2))),
        "pass",
    ),
    Case(
        "fails on a consent failure inside the window",
        healthy(pin_reset_hours=activity(hour(2, 65001))),
        "fail",
        (healthy().tenant.id,),
    ),
    Case(
        "fails on a disabled-app failure (7000112)",
        healthy(pin_reset_hours=activity(hour(1, 7000112, app_id=SERVICE))),
        "fail",
        (healthy().tenant.id,),
    ),
    Case(
        "counts the window and the whole history apart, and names the consent state",
        healthy(
            consent=consent(service="missing"),
            pin_reset_hours=activity(hour(2, 500011, 3), hour(50, 500011, 6), hour(60)),
        ),
        "fail",
        (healthy().tenant.id,),
        check=_window_only,
    ),
    Case(
        "honours a wider window from configuration",
        healthy(pin_reset_hours=activity(hour(30, 65001, 5))),
        "fail",
        (healthy().tenant.id,),
        thresholds=Thresholds(consent_error_window_hours=48),
    ),
    Case(
        "is skipped without a P1 licence",
        healthy(pin_reset_hours=unavailable("skipped", "licence missing: Entra ID P1 or P2")),
        "skipped",
    ),
)
