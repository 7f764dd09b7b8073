"""How alert messages say things: the labels of facts, one time form, counts as counts, app names, and
the links that open the exact place to fix something (Entra, Intune). monitor.alerts.facts builds each
rule's message from these."""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any
from urllib.parse import quote

from monitor.entra import CONSENT_URLS, PIN_RESET_APPS

# Short names for the two PIN reset apps where a fact names them in a narrow column.
APP_SHORT_NAMES = {app_id: name.removeprefix("Microsoft ") for app_id, name in PIN_RESET_APPS.items()}

ENTRA = "https://entra.microsoft.com/#view"
INTUNE = "https://intune.microsoft.com/#view"
SIGN_IN_LOG = f"{ENTRA}/Microsoft_AAD_IAM/SignInEventsV3Blade"
AUTH_METHODS_POLICIES = f"{ENTRA}/Microsoft_AAD_IAM/AuthenticationMethodsMenuBlade/~/AdminAuthMethods"
INTUNE_PROFILES = f"{INTUNE}/Microsoft_Intune_DeviceSettings/DevicesMenu/~/configuration"

# Button titles short enough for three side by side on a phone-width Teams card.
GRANT_CONSENT = "Grant consent"
OPEN_IN_ENTRA = "Open in Entra"
OPEN_IN_INTUNE = "Open in Intune"
OPEN_SIGN_INS = "Open sign-ins"
WHY = "Why"

_ISO = re.compile(r"\b(\d{4}-\d{2}-\d{2})T(\d{2}):(\d{2})(?::\d{2}(?:\.\d+)?)?(?:Z|[+-]00:00)")
METHOD_NAMES = {
    "microsoftAuthenticatorAuthenticationMethod": "Microsoft Authenticator",
    "phoneAuthenticationMethod": "Phone",
    "fido2AuthenticationMethod": "Security key",
    "windowsHelloForBusinessAuthenticationMethod": "Windows Hello",
    "emailAuthenticationMethod": "Email",
    "passwordAuthenticationMethod": "Password",
    "softwareOathAuthenticationMethod": "Software token",
    "temporaryAccessPassAuthenticationMethod": "Temporary Access Pass",
    "platformCredentialAuthenticationMethod": "Platform credential",
}
OMA_MISTAKES = {
    "tenant-id-missing": "the tenant ID is missing from the OMA-URI",
    "tenant-id-placeholder": "the OMA-URI still says TenantId instead of the tenant's ID",
    "other-tenant": "the OMA-URI names another tenant",
    "not-boolean": "the value is not Boolean",
    "not-true": "the value is not true",
}


@dataclass(frozen=True)
class Fact:
    label: str
    value: str


@dataclass(frozen=True)
class Link:
    title: str
    url: str


@dataclass(frozen=True)
class Message:
    """One alert as a person reads it."""

    subject_label: str  # "App", "User", "Device", "Policy", "Tenant"
    subject_name: str  # the name a person knows it by
    facts: tuple[Fact, ...]
    ids: tuple[Fact, ...]  # IDs for the small print: ("App ID", "b8456c59-…")
    action: Link | None
    why: Link | None
    notes: tuple[str, ...] = field(default=())


# -- value formatting ------------------------------------------------------------------------------


def when(value: Any) -> str:
    """One readable time form everywhere: "20 Nov 2026, 10:00 UTC"; "" for no time."""
    if not isinstance(value, str) or not value:
        return ""
    try:
        moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return value
    moment = moment.astimezone(UTC) if moment.tzinfo else moment.replace(tzinfo=UTC)
    return f"{moment.day} {moment:%b %Y, %H:%M} UTC"


def span(start: Any, end: Any) -> str:
    """ "20 Nov 2026, 11:32–11:39 UTC" within one day, else both times in full."""
    first, last = when(start), when(end)
    if not (first and last) or first == last:
        return first or last
    day, _, clock = first.rpartition(", ")
    last_day, _, last_clock = last.rpartition(", ")
    if day == last_day:
        return f"{day}, {clock.removesuffix(' UTC')}–{last_clock}"
    return f"{first} to {last}"


def readable_times(text: str) -> str:
    """ISO 8601 UTC times inside a sentence, in the same readable form."""
    return _ISO.sub(lambda m: when(f"{m.group(1)}T{m.group(2)}:{m.group(3)}:00Z"), text)


def count(n: Any, one: str, many: str | None = None) -> str:
    """ "1 failure", "69 failures"."""
    number = int(n) if isinstance(n, int | float) and not isinstance(n, bool) else 0
    return f"{number:,} {one if number == 1 else (many or one + 's')}"


def app_name(app_id: str) -> str:
    return APP_SHORT_NAMES.get(app_id, app_id)


def by_name(counts: Any, name: Callable[[str], str] = str) -> str:
    if not isinstance(counts, Mapping) or not counts:
        return ""
    ordered = sorted(counts.items(), key=lambda kv: -int(kv[1] or 0))
    return ", ".join(f"{name(str(k))} ({int(v or 0):,})" for k, v in ordered[:5])


def listed(values: Any, limit: int = 3) -> str:
    items = [str(v) for v in values if v not in (None, "")] if isinstance(values, list | tuple) else []
    shown = ", ".join(items[:limit])
    return shown + (f" and {len(items) - limit} more" if len(items) > limit else "")


def text_of(value: Any) -> str:
    if value is None or isinstance(value, Mapping | list):
        return ""
    if isinstance(value, bool):
        return "yes" if value else "no"
    return str(value)


def mapping(value: Any) -> Mapping[str, Any]:
    return value if isinstance(value, Mapping) else {}


def facts_of(*pairs: tuple[str, str]) -> tuple[Fact, ...]:
    """Facts with a value only: nothing empty, nothing `None`."""
    return tuple(Fact(label, value) for label, value in pairs if value and value != "None")


def minutes(value: Any) -> str:
    if not isinstance(value, int | float) or isinstance(value, bool):
        return ""
    minutes = int(value)
    if minutes >= 60 and minutes % 60 == 0:
        return count(minutes // 60, "hour")
    return count(minutes, "minute")


# -- links -----------------------------------------------------------------------------------------


def user_methods_url(user_id: str) -> str:
    blade = "Microsoft_AAD_UsersAndTenants/UserProfileMenuBlade/~/UserAuthMethods"
    return f"{ENTRA}/{blade}/userId/{quote(user_id)}"


def user_signins_url(user_id: str) -> str:
    return f"{ENTRA}/Microsoft_AAD_UsersAndTenants/UserProfileMenuBlade/~/SignIns/userId/{quote(user_id)}"


def intune_device_url(device_id: str) -> str:
    return (
        f"{INTUNE}/Microsoft_Intune_Devices/DeviceSettingsMenuBlade/~/overview/mdmDeviceId/{quote(device_id)}"
    )


def enterprise_app_url(object_id: str, app_id: str) -> str:
    if not object_id:
        return f"{ENTRA}/Microsoft_AAD_IAM/StartboardApplicationsMenuBlade/~/AppAppsPreview"
    return (
        f"{ENTRA}/Microsoft_AAD_IAM/ManagedAppMenuBlade/~/Properties/objectId/{quote(object_id)}"
        f"/appId/{quote(app_id)}"
    )


def consent_link(app_id: str) -> Link | None:
    url = CONSENT_URLS.get(app_id)
    return Link(GRANT_CONSENT, url) if url else None
