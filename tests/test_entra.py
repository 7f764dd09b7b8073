"""The PIN reset apps' admin-consent links are the ones Microsoft's PIN reset page gives."""

from __future__ import annotations

from monitor.entra import CONSENT_URLS, PIN_RESET_CLIENT_APP_ID, PIN_RESET_DOC, PIN_RESET_SERVICE_APP_ID

# Microsoft's "PIN reset" page (source: MicrosoftDocs/windows-itpro-docs, pin-reset.md, ms.date
# 04/23/2024), section "Enable the Microsoft PIN Reset Service in your Microsoft Entra tenant": its steps
# link "[Microsoft PIN Reset Service Production website][APP-1]" and "[Microsoft PIN Reset Client
# Production website][APP-2]", defined at the foot of the page as below.
PAGE = "https://learn.microsoft.com/windows/security/identity-protection/hello-for-business/pin-reset"
SERVICE_STEP = (
    "Go to the [Microsoft PIN Reset Service Production website][APP-1], and sign in as at least an "
    "[Application Administrator][ENT-2]."
)
LINK_DEFINITIONS = (
    "[APP-1]: https://login.windows.net/common/oauth2/authorize?response_type=code&client_id=b8456c59-"
    "1230-44c7-a4a2-99b085333e84&resource=https%3A%2F%2Fgraph.windows.net&redirect_uri=https%3A%2F%2Fcred."
    "microsoft.com&state=e9191523-6c2f-4f1d-a4f9-c36f26f89df0&prompt=admin_consent\n"
    "[APP-2]: https://login.windows.net/common/oauth2/authorize?response_type=code&client_id=9115dd05-"
    "fad5-4f9c-acc7-305d08b1b04e&resource=https%3A%2F%2Fcred.microsoft.com%2F&redirect_uri=ms-appx-web%3A"
    "%2F%2FMicrosoft.AAD.BrokerPlugin%2F9115dd05-fad5-4f9c-acc7-305d08b1b04e&state=6765f8c5-f4a7-4029-"
    "b667-46a6776ad611&prompt=admin_consent"
)


def links() -> dict[str, str]:
    return dict(line.split(": ", 1) for line in LINK_DEFINITIONS.splitlines())


def test_consent_links_are_the_pin_reset_pages_own() -> None:
    assert PIN_RESET_DOC == PAGE
    assert "[APP-1]" in SERVICE_STEP
    assert {
        PIN_RESET_SERVICE_APP_ID: links()["[APP-1]"],
        PIN_RESET_CLIENT_APP_ID: links()["[APP-2]"],
    } == CONSENT_URLS
