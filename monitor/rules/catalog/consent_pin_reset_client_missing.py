"""consent.pin-reset-client.missing: Microsoft Pin Reset Client Production is not consented."""

from __future__ import annotations

from monitor.entra import PIN_RESET_CLIENT_APP_ID as CLIENT
from monitor.records import TenantFacts
from monitor.rules.base import Outcome, Rule
from monitor.rules.catalog._consent import CONSENT_REFERENCES, consent_remediation, missing_app
from monitor.thresholds import Thresholds

RULE = Rule(
    id="consent.pin-reset-client.missing",
    title="PIN reset client app is not consented",
    severity="high",
    subject="app",
    rationale=(
        "The Windows broker signs in to Microsoft Pin Reset Client Production (appId "
        "9115dd05-fad5-4f9c-acc7-305d08b1b04e) during a reset; Microsoft's PIN reset page requires both "
        "apps to be registered, and the article 'Intune – Passcode Reset and Microsoft PIN Reset Service' "
        "warns that the two similarly named apps are easy to half-enable. The page gives both admin-consent "
        "links."
    ),
    remediation=consent_remediation(CLIENT),
    reads=("consent",),
    also_reads=("pin_reset_hours",),
    references=CONSENT_REFERENCES,
)


def evaluate(facts: TenantFacts, thresholds: Thresholds) -> Outcome:
    return missing_app(RULE, CLIENT, facts)
