"""Facts about Entra ID, Intune and PIN reset that the monitor relies on.

docs/facts.md gives each one's public source.

Nothing here talks to anything: these are constants and the small pure functions that interpret them.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Final

PIN_RESET_SERVICE_APP_ID: Final = "b8456c59-1230-44c7-a4a2-99b085333e84"
PIN_RESET_CLIENT_APP_ID: Final = "9115dd05-fad5-4f9c-acc7-305d08b1b04e"

# The longest lifetime a Temporary Access Pass can have: 30 days, the ceiling of the policy's
# maximumLifetimeInMinutes (docs/facts.md). A pass whose own lifetime is not known may have been valid
# this long.
LONGEST_TAP_MINUTES: Final = 43_200

PIN_RESET_APPS: Final[dict[str, str]] = {
    PIN_RESET_SERVICE_APP_ID: "Microsoft Pin Reset Service Production",
    PIN_RESET_CLIENT_APP_ID: "Microsoft Pin Reset Client Production",
}

# The admin-consent links exactly as Microsoft's PIN reset page gives them (its "Enable the Microsoft PIN
# Reset Service in your Microsoft Entra tenant" steps), `resource`, `redirect_uri` and `state` included:
# the service consents for graph.windows.net, the client for the service (cred.microsoft.com) with the
# Web Account Manager broker as redirect. tests/test_entra.py pins them to the page's text.
CONSENT_URLS: Final[dict[str, str]] = {
    PIN_RESET_SERVICE_APP_ID: (
        "https://login.windows.net/common/oauth2/authorize?response_type=code"
        "&client_id=b8456c59-1230-44c7-a4a2-99b085333e84"
        "&resource=https%3A%2F%2Fgraph.windows.net"
        "&redirect_uri=https%3A%2F%2Fcred.microsoft.com"
        "&state=e9191523-6c2f-4f1d-a4f9-c36f26f89df0&prompt=admin_consent"
    ),
    PIN_RESET_CLIENT_APP_ID: (
        "https://login.windows.net/common/oauth2/authorize?response_type=code"
        "&client_id=9115dd05-fad5-4f9c-acc7-305d08b1b04e"
        "&resource=https%3A%2F%2Fcred.microsoft.com%2F"
        "&redirect_uri=ms-appx-web%3A%2F%2FMicrosoft.AAD.BrokerPlugin%2F9115dd05-fad5-4f9c-acc7-305d08b1b04e"
        "&state=6765f8c5-f4a7-4029-b667-46a6776ad611&prompt=admin_consent"
    ),
}

PIN_RESET_DOC: Final = (
    "https://learn.microsoft.com/windows/security/identity-protection/hello-for-business/pin-reset"
)


class ErrorClass(StrEnum):
    """What a sign-in's AADSTS error code says about PIN reset.

    From Microsoft Entra's "authentication and authorization error codes" reference.
    """

    SUCCESS = "success"
    CONSENT_MISSING = "consent-missing"
    APP_DISABLED = "app-disabled"
    POLICY = "policy"
    USER_ACTION = "user-action"
    OTHER = "other"


ERROR_CLASSES: Final[dict[int, ErrorClass]] = {
    0: ErrorClass.SUCCESS,
    65001: ErrorClass.CONSENT_MISSING,
    650052: ErrorClass.CONSENT_MISSING,
    500011: ErrorClass.CONSENT_MISSING,
    700016: ErrorClass.CONSENT_MISSING,
    700011: ErrorClass.CONSENT_MISSING,
    7000112: ErrorClass.APP_DISABLED,
    70001: ErrorClass.APP_DISABLED,
    53003: ErrorClass.POLICY,
    53000: ErrorClass.POLICY,
    50076: ErrorClass.USER_ACTION,
    50079: ErrorClass.USER_ACTION,
    50126: ErrorClass.USER_ACTION,
}

# The codes that mean a PIN reset app is missing or unusable in the tenant: the catalog's
# signin.pin-reset.consent-errors rule counts exactly these.
CONSENT_ERROR_CODES: Final = frozenset(
    code
    for code, cls in ERROR_CLASSES.items()
    if cls in (ErrorClass.CONSENT_MISSING, ErrorClass.APP_DISABLED)
)


def error_class(code: int) -> ErrorClass:
    return ERROR_CLASSES.get(code, ErrorClass.OTHER)


# Directory roles whose holders must not get a Temporary Access Pass unnoticed: role template IDs
# (Microsoft Entra built-in roles; docs/facts.md).
PRIVILEGED_ROLES: Final[dict[str, str]] = {
    "62e90394-69f5-4237-9190-012177145e10": "Global Administrator",
    "e8611ab8-c189-46e8-94e1-60213ab1f814": "Privileged Role Administrator",
    "7be44c8a-adaf-4e2a-84d6-ab2649e08a13": "Privileged Authentication Administrator",
    "c4e39bd9-1100-46d3-8c65-fb160da0071f": "Authentication Administrator",
    "194ae4cb-b126-40b2-bd5b-6091b380977d": "Security Administrator",
    "9b895d92-2cd3-44c7-9d02-a6ac2d5ea5c3": "Application Administrator",
    "158c047a-c907-4556-b7ef-446551a6b5f7": "Cloud Application Administrator",
    "3a2c62db-5318-420d-8d74-23affee5d9d5": "Intune Administrator",
    "29232cdf-9323-42fd-ade2-1d097af3e4de": "Exchange Administrator",
    "fe930be7-5e62-47db-91af-98c3a49a38b1": "User Administrator",
}

TAP_METHOD_NAME: Final = "Temporary Access Pass"
