"""consent.pin-reset-service.missing: Microsoft Pin Reset Service Production is not consented."""

from __future__ import annotations

from monitor.entra import PIN_RESET_SERVICE_APP_ID as SERVICE
from monitor.records import TenantFacts
from monitor.rules.base import Outcome, Rule
from monitor.rules.catalog._consent import CONSENT_REFERENCES, consent_remediation, missing_app
from monitor.thresholds import Thresholds

RULE = Rule(
    id="consent.pin-reset-service.missing",
    title="PIN reset service app is not consented",
    severity="high",
    subject="app",
    rationale=(
        "Non-destructive PIN reset decrypts the PIN reset protector in the Microsoft PIN Reset Service; "
        "before it can work an admin must consent to Microsoft Pin Reset Service Production (appId "
        "b8456c59-1230-44c7-a4a2-99b085333e84), which then appears as an enterprise application "
        "(Microsoft's PIN reset page: 'Connect Azure Active Directory with the PIN Reset Service'). Without "
        "it users see 'PIN recovery app needs access to a service' (the article 'PIN recovery, Temporary "
        "Access Pass, what can go wrong?') or CAA20004 (the article 'Enable PIN reset')."
    ),
    remediation=consent_remediation(SERVICE),
    reads=("consent",),
    also_reads=("pin_reset_hours",),
    references=CONSENT_REFERENCES,
)


def evaluate(facts: TenantFacts, thresholds: Thresholds) -> Outcome:
    return missing_app(RULE, SERVICE, facts)
