"""consent.pin-reset-service.missing: Microsoft Pin Reset Service Production is not consented."""

from __future__ import annotations

from monitor.records import TenantFacts
from monitor.rules.base import Case, Finding, Outcome, Rule
from monitor.rules.cases import SERVICE, activity, consent, healthy, hour, unavailable
from monitor.rules.catalog._consent import CONSENT_REFERENCES, consent_remediation, missing_app
from monitor.thresholds import Thresholds

RULE = Rule(
    id="consent.pin-reset-service.missing",
    title="PIN reset service app is not consented",
    severity="high",
    subject="app",
    rationale=(
        "Non-destructive PIN reset decrypts the PIN reset protector in the Microsoft PIN Reset Service; "
        "before it can work an admin must consent to Microsoft Pin Reset Service Production "
        "(appId b8456c59-1230-44c7-a4a2-99b085333e84), which then appears as an enterprise application "
        "(seed 001, Microsoft's PIN reset page: 'Connect Azure Active Directory with the PIN Reset "
        "Service'). Without it users see 'PIN recovery app needs access to a service' (seed 000) or "
        "CAA20004 (seed 003)."
    ),
    remediation=consent_remediation(SERVICE),
    references=CONSENT_REFERENCES,
)


def evaluate(facts: TenantFacts, thresholds: Thresholds) -> Outcome:
    return missing_app(RULE, SERVICE, facts)


def _counts_failures(findings: tuple[Finding, ...]) -> None:
    failures = findings[0].evidence["signInFailures"]
    assert failures["failures"] == 7, failures
    assert failures["byErrorCode"] == {"500011": 4, "65001": 3}, failures
    assert failures["firstFailure"] == "2026-11-19T02:00:00Z", failures


CASES = (
    Case("passes when the service principal exists", healthy(), "pass"),
    Case(
        "passes when the service principal exists but is disabled (another rule's concern)",
        healthy(consent=consent(service="disabled")),
        "pass",
    ),
    Case(
        "fails when the service principal is missing",
        healthy(consent=consent(service="missing")),
        "fail",
        (SERVICE,),
    ),
    Case(
        "counts the sign-ins that failed for want of consent, and since when",
        healthy(
            consent=consent(service="missing"),
            pin_reset_hours=activity(hour(3, 500011, 4), hour(34, 65001, 3), hour(40, 0, 5)),
        ),
        "fail",
        (SERVICE,),
        check=_counts_failures,
    ),
    Case(
        "is skipped when service principals cannot be read",
        healthy(consent=unavailable("skipped", "permission missing: Application.Read.All")),
        "skipped",
    ),
)
