"""What the TAP rules share: references, the policy guard, and a TAP sign-in as evidence."""

from __future__ import annotations

from typing import Any

from monitor.inventory import tap_policy_state
from monitor.records import TapIssuance, TapPolicy, TapSignIn
from monitor.rules.evidence import iso

TAP_POLICY_ID = "TemporaryAccessPass"
TAP_DOC = (
    "https://learn.microsoft.com/entra/identity/authentication/howto-authentication-temporary-access-pass"
)
TAP_POLICY_API = (
    "https://learn.microsoft.com/graph/api/resources/temporaryaccesspassauthenticationmethodconfiguration"
)
POLICY_PORTAL = "Entra admin center > Protection > Authentication methods > Policies > Temporary Access Pass"


def policy_evidence(policy: TapPolicy) -> dict[str, Any]:
    return {"policyId": TAP_POLICY_ID, **tap_policy_state(policy)}


def issuance_json(issuance: TapIssuance | None) -> dict[str, Any] | None:
    if issuance is None:
        return None
    return {
        "auditId": issuance.audit_id,
        "issuedDateTime": iso(issuance.issued_at),
        "issuedBy": issuance.issued_by,
        "startDateTime": iso(issuance.start) if issuance.start else None,
        "lifetimeInMinutes": issuance.lifetime_minutes,
        "isUsableOnce": issuance.usable_once,
        "methodUsabilityReason": issuance.usability or None,
    }


def signin_json(signin: TapSignIn) -> dict[str, Any]:
    return {
        "id": signin.id,
        "createdDateTime": iso(signin.created),
        "succeeded": signin.succeeded,
        "errorCode": signin.error_code,
        "app": signin.app_display_name,
        "ipAddress": signin.ip_address,
        "location": ", ".join(p for p in (signin.city, signin.country) if p),
        "device": signin.device_name or signin.device_id,
        "riskLevelDuringSignIn": signin.risk_during_signin,
        "riskLevelAggregated": signin.risk_aggregated,
        "priorCountries": list(signin.prior_countries) if signin.prior_countries is not None else None,
        "issuance": issuance_json(signin.issuance),
    }
