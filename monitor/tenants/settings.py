"""MONITOR_MSP_* settings: the multi-tenant app registration the monitor reads customer tenants as.

A provider runs one deployment for many customer tenants. The deployment's user-assigned managed identity
cannot be given permissions in another tenant, so the provider registers a multi-tenant app in its own
tenant, makes that app trust the managed identity (a federated identity credential: Microsoft's
"Configure an application to trust a managed identity"), and each customer's admin consents to the app.
docs/msp.md walks through it.

- MONITOR_MSP_APP_ID: the multi-tenant app registration's application (client) ID; unset, the
  deployment watches its own tenant only.
- MONITOR_MSP_IDENTITY_CLIENT_ID: the client ID of the managed identity the app registration trusts
  (default: AZURE_CLIENT_ID, the Function app's own user-assigned identity).
- MONITOR_MSP_CONSENT_REDIRECT_URI: where Entra sends a customer's admin after consent (optional; must
  be a redirect URI of the app registration).

Part of `monitor.settings.Settings` (its `msp` field), read with every other setting: every problem at
once, one line each.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from urllib.parse import urlsplit

_GUID = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$")
# A redirect URI an app registration accepts is at most 256 characters ("Redirect URI (reply URL)
# restrictions and limitations").
REDIRECT_URI_MAX = 256
# Characters the same page says redirect URIs do not support, and wildcards.
_REDIRECT_REFUSED = ("!", "$", "'", "(", ")", ",", ";", "*")


@dataclass(frozen=True)
class MspSettings:
    """How the deployment reaches customer tenants. `app_id` empty: it watches its own tenant only."""

    app_id: str = ""
    identity_client_id: str = ""
    consent_redirect_uri: str = ""

    @property
    def enabled(self) -> bool:
        return bool(self.app_id)


def guid(value: str) -> str | None:
    """`value` as a lower-case GUID, or None when it is not one (braces and case are forgiven)."""
    text = value.strip().strip("{}").lower()
    return text if _GUID.match(text) else None


def tenant_id_problem(value: str) -> str | None:
    """Why `value` is not a tenant ID the monitor keys a tenant by; None when it is one.

    Only the directory (tenant) ID is accepted, not a domain name: a tenant's domains can change and be
    shared by name lookups, its ID cannot (Microsoft's "Find your Microsoft Entra tenant ID")."""
    if guid(value) is None:
        shown = value.strip()[:60]
        return f"a tenant ID is the directory's GUID (xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx), got {shown!r}"
    return None


def msp_settings(env: Mapping[str, str], problems: list[str]) -> MspSettings:
    """The MONITOR_MSP_* settings; every problem is added to `problems`."""
    from monitor.settings import LOOPBACK_HOSTS

    def read_guid(name: str, fallback: str = "") -> str:
        source, raw = name, env.get(name, "").strip()
        if not raw and fallback:
            source, raw = fallback, env.get(fallback, "").strip()
        if not raw:
            return ""
        value = guid(raw)
        if value is None:
            problems.append(f"{source} must be a client ID (a GUID), got {raw[:60]!r}")
            return ""
        return value

    app_id = read_guid("MONITOR_MSP_APP_ID")
    identity = read_guid("MONITOR_MSP_IDENTITY_CLIENT_ID", "AZURE_CLIENT_ID")
    redirect = env.get("MONITOR_MSP_CONSENT_REDIRECT_URI", "").strip()
    if redirect:
        parts = urlsplit(redirect)
        loopback = (parts.hostname or "") in LOOPBACK_HOSTS
        if not (parts.scheme == "https" or (parts.scheme == "http" and loopback)) or not parts.hostname:
            problems.append(
                "MONITOR_MSP_CONSENT_REDIRECT_URI must be an https URL (http only on loopback), "
                f"got {redirect[:60]!r}"
            )
        elif len(redirect) > REDIRECT_URI_MAX:
            problems.append(f"MONITOR_MSP_CONSENT_REDIRECT_URI must be at most {REDIRECT_URI_MAX} characters")
        elif parts.fragment or any(mark in redirect for mark in _REDIRECT_REFUSED):
            problems.append(
                "MONITOR_MSP_CONSENT_REDIRECT_URI must not hold a fragment (#), a wildcard (*) or any of "
                "! $ ' ( ) , ;"
            )
    if redirect and not app_id:
        problems.append("MONITOR_MSP_CONSENT_REDIRECT_URI is set but MONITOR_MSP_APP_ID is not")
    return MspSettings(app_id=app_id, identity_client_id=identity, consent_redirect_uri=redirect)
