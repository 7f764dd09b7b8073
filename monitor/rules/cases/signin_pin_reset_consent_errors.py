"""The own test cases of signin.pin-reset.consent-errors."""

from __future__ import annotations

from monitor.rules.base import Case, Finding
from monitor.rules.cases._builders import CLIENT, SERVICE, activity, consent, healthy, hour, unavailable
from monitor.thresholds import Thresholds


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
