"""The own test cases of consent.pin-reset-service.missing."""

from __future__ import annotations

from monitor.rules.base import Case, Finding
from monitor.rules.cases._builders import SERVICE, activity, consent, healthy, hour, unavailable


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
