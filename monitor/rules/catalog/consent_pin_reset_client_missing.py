"""consent.pin-reset-client.missing: Microsoft Pin Reset Client Production is not consented."""

from __future__ import annotations

from monitor.records import TenantFacts
from monitor.rules.base import Case, Finding, Outcome, Rule
from monitor.rules.cases import CLIENT, activity, consent, healthy, hour, unavailable
from monitor.rules.catalog._consent import CONSENT_REFERENCES, consent_remediation, missing_app
from monitor.thresholds import Thresholds

RULE = Rule(
    id="consent.pin-reset-client.missing",
    title="PIN reset client app is not consented",
    severity="high",
    subject="app",
    rationale=(
        "The Windows broker signs in to Microsoft Pin Reset Client Production "
        "(appId 9115dd05-fad5-4f9c-acc7-305d08b1b04e) during a reset; Microsoft's PIN reset page (seed "
        "001) requires both apps to be registered, and seed 002 warns that the two similarly named apps "
        "are easy to half-enable. Seed 003 gives the admin-consent link."
    ),
    remediation=consent_remediation(CLIENT),
    references=CONSENT_REFERENCES,
)


def evaluate(facts: TenantFacts, thresholds: Thresholds) -> Outcome:
    return missing_app(RULE, CLIENT, facts)


def _mentions_failures(findings: tuple[Finding, ...]) -> None:
    assert findings[0].evidence["signInFailures"]["failures"] == 2
    assert "2 PIN reset sign-in(s) failing" in findings[0].detail, findings[0].detail


CASES = (
    Case("passes when the client service principal exists", healthy(), "pass"),
    Case(
        "fails when the client service principal is missing",
        healthy(consent=consent(client="missing")),
        "fail",
        (CLIENT,),
    ),
    Case(
        "says how many sign-ins failed because of it",
        healthy(consent=consent(client="missing"), pin_reset_hours=activity(hour(2, 700016, 2))),
        "fail",
        (CLIENT,),
        check=_mentions_failures,
    ),
    Case(
        "is an error when reading service principals failed",
        healthy(consent=unavailable("error", "v1.0/servicePrincipals: Graph answered 500")),
        "error",
    ),
)
