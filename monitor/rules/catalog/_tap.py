"""What the TAP rules share: references and the policy as evidence."""

from __future__ import annotations

from typing import Any

from monitor.inventory import tap_policy_state
from monitor.records import TapPolicy

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
