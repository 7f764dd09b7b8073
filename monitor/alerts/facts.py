"""What a person needs to read in one alert, rule by rule: the facts with labels people use, names
instead of IDs (the ID follows in small type), counts written as counts, one time form, one primary
action that opens the exact place to fix it, and at most one "Why" link.

Everything here is derived from the notice as it was queued (the webhook schema's `notifications[]`
item), so a notice stored before this module existed still renders. Rules keep their evidence shape;
this module reads it defensively: a field that is missing or empty is left out, never shown as `None`.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping, Sequence
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


def _by(counts: Any, name: Callable[[str], str] = str) -> str:
    if not isinstance(counts, Mapping) or not counts:
        return ""
    ordered = sorted(counts.items(), key=lambda kv: -int(kv[1] or 0))
    return ", ".join(f"{name(str(k))} ({int(v or 0):,})" for k, v in ordered[:5])


def _list(values: Any, limit: int = 3) -> str:
    items = [str(v) for v in values if v not in (None, "")] if isinstance(values, list | tuple) else []
    shown = ", ".join(items[:limit])
    return shown + (f" and {len(items) - limit} more" if len(items) > limit else "")


def _text(value: Any) -> str:
    if value is None or isinstance(value, Mapping | list):
        return ""
    if isinstance(value, bool):
        return "yes" if value else "no"
    return str(value)


def _m(value: Any) -> Mapping[str, Any]:
    return value if isinstance(value, Mapping) else {}


def _facts(*pairs: tuple[str, str]) -> tuple[Fact, ...]:
    """Facts with a value only: nothing empty, nothing `None`."""
    return tuple(Fact(label, value) for label, value in pairs if value and value != "None")


def _minutes(value: Any) -> str:
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


# -- per rule --------------------------------------------------------------------------------------


def _failures(summary: Mapping[str, Any], window: str = "") -> tuple[Fact, ...]:
    n = summary.get("failures")
    if not n:
        return ()
    since = when(summary.get("firstFailure"))
    return _facts(
        ("Failures", count(n, "failure") + (f" in {window}" if window else "")),
        ("Since", since),
        ("Errors", _by(summary.get("byErrorCode"))),
        ("Apps", _by(summary.get("byApp"), app_name)),
        ("Users", _list(summary.get("sampleUsers"))),
    )


def _app_missing(subject: str, ev: Mapping[str, Any]) -> Message:
    app_id = _text(ev.get("appId")) or subject
    last = when(ev.get("lastSuccessfulPinReset"))
    return Message(
        "App",
        PIN_RESET_APPS.get(app_id, _text(ev.get("appName")) or app_id),
        (
            *_facts(("Consent", "missing: no enterprise app in the tenant")),
            *_failures(_m(ev.get("signInFailures"))),
            *_facts(("Last reset", last or "none seen")),
        ),
        _facts(("App ID", app_id)),
        consent_link(app_id),
        None,
    )


def _app_disabled(subject: str, ev: Mapping[str, Any]) -> Message:
    app_id = _text(ev.get("appId")) or subject
    return Message(
        "App",
        PIN_RESET_APPS.get(app_id, _text(ev.get("appName")) or app_id),
        (*_facts(("Status", "disabled (sign-in not enabled)")), *_failures(_m(ev.get("signInFailures")))),
        _facts(("App ID", app_id), ("Object ID", _text(ev.get("servicePrincipalId")))),
        Link(OPEN_IN_ENTRA, enterprise_app_url(_text(ev.get("servicePrincipalId")), app_id)),
        None,
    )


def _failing_app(ev: Mapping[str, Any]) -> str:
    """The PIN reset app the failures are about: the one consent says is missing or disabled, else
    the one with most failures in the window, else the service app."""
    consent = _m(ev.get("consent"))
    broken = [app for app in CONSENT_URLS if consent.get(app) in ("missing", "disabled")]
    if broken:
        return broken[0]
    by_app = _m(_m(ev.get("window")).get("byApp"))
    named = sorted((app for app in by_app if app in CONSENT_URLS), key=lambda a: -int(by_app[a] or 0))
    return named[0] if named else next(iter(CONSENT_URLS))


def _consent_errors(subject: str, ev: Mapping[str, Any]) -> Message:
    hours = ev.get("windowHours")
    app = _failing_app(ev)
    state = _text(_m(ev.get("consent")).get(app))
    action = Link(OPEN_IN_ENTRA, enterprise_app_url("", app)) if state == "disabled" else consent_link(app)
    consent = _m(ev.get("consent"))
    return Message(
        "Tenant",
        "",
        (
            *_failures(_m(ev.get("window")), f"{hours} h" if hours else ""),
            *_facts(
                ("Consent", ", ".join(f"{app_name(a)}: {consent[a]}" for a in CONSENT_URLS if a in consent)),
                ("Last reset", when(ev.get("lastSuccessfulPinReset")) or "none seen"),
            ),
        ),
        (),
        action,
        None,
    )


def _failure_spike(subject: str, ev: Mapping[str, Any]) -> Message:
    window = _m(ev.get("window"))
    hours = ev.get("windowHours")
    days = ev.get("baselineDays")
    expected = ev.get("expected")
    return Message(
        "Tenant",
        "",
        (
            *_facts(
                ("Failures", count(ev.get("failures"), "failure") + (f" in {hours} h" if hours else "")),
                (
                    "Usual",
                    f"{expected} expected ({count(ev.get('baselineFailures'), 'failure')} in {days} days)"
                    if expected is not None and days
                    else "",
                ),
                ("Since", when(window.get("firstFailure"))),
                ("Errors", _by(window.get("byErrorCode"))),
                ("Apps", _by(window.get("byApp"), app_name)),
                ("Users", _list(window.get("sampleUsers"))),
            ),
        ),
        (),
        Link(OPEN_SIGN_INS, SIGN_IN_LOG),
        None,
    )


def _policy_lines(policies: Any) -> str:
    if not isinstance(policies, list) or not policies:
        return "none"
    lines = [
        f"{_text(p.get('name')) or 'unnamed'}: {_text(p.get('why'))}"
        for p in policies
        if isinstance(p, Mapping)
    ]
    return "; ".join(lines[:3]) + (f"; and {len(lines) - 3} more" if len(lines) > 3 else "")


def _not_configured(subject: str, ev: Mapping[str, Any]) -> Message:
    return Message(
        "Tenant",
        "",
        _facts(
            ("Devices", count(ev.get("activeWindowsDevices"), "active Windows device")),
            ("Policies", _policy_lines(ev.get("pinRecoveryPolicies"))),
        ),
        (),
        Link(OPEN_IN_INTUNE, INTUNE_PROFILES),
        None,
    )


def _oma_invalid(subject: str, ev: Mapping[str, Any]) -> Message:
    mistakes = ev.get("mistakes")
    problems = [OMA_MISTAKES.get(str(m), str(m)) for m in mistakes] if isinstance(mistakes, list) else []
    return Message(
        "Policy",
        _text(ev.get("policyName")) or "custom profile",
        _facts(
            ("Problem", "; ".join(problems)),
            ("OMA-URI", _text(ev.get("omaUri"))),
            (
                "Assigned to",
                _list(ev.get("targets")) or ("not assigned" if ev.get("assigned") is False else ""),
            ),
        ),
        _facts(
            ("Policy ID", _text(ev.get("policyId")) or subject),
            ("Tenant ID", _text(ev.get("expectedTenantId"))),
        ),
        Link(OPEN_IN_INTUNE, INTUNE_PROFILES),
        None,
    )


def _web_signin(subject: str, ev: Mapping[str, Any]) -> Message:
    return Message(
        "Tenant",
        "",
        _facts(
            ("Federated", _list(ev.get("federatedDomains"), 5)),
            ("Devices", count(ev.get("activeAzureADJoinedDevices"), "Entra joined device")),
            ("Policies", _policy_lines(ev.get("webSignInPolicies"))),
        ),
        (),
        Link(OPEN_IN_INTUNE, INTUNE_PROFILES),
        None,
    )


def _device_ids(subject: str, ev: Mapping[str, Any]) -> tuple[Fact, ...]:
    return _facts(
        ("Intune device ID", _text(ev.get("deviceId")) or subject),
        ("Entra device ID", _text(ev.get("azureADDeviceId"))),
    )


JOIN_TYPES = {
    "azureADJoined": "Entra joined",
    "hybridAzureADJoined": "Entra hybrid joined",
    "azureADRegistered": "Entra registered",
}


def _unsupported_os(subject: str, ev: Mapping[str, Any]) -> Message:
    release = _text(ev.get("release"))
    edition = _text(ev.get("edition"))
    build = _text(ev.get("osVersion"))
    windows = ", ".join(x for x in (release, edition) if x) + (f" (build {build})" if build else "")
    return Message(
        "Device",
        _text(ev.get("deviceName")) or subject,
        _facts(
            ("User", _text(ev.get("userPrincipalName"))),
            ("Windows", windows),
            ("Needs", _text(ev.get("requirement"))),
            ("Joined", JOIN_TYPES.get(_text(ev.get("joinType")), _text(ev.get("joinType")))),
            ("Last sync", when(ev.get("lastSync"))),
        ),
        _device_ids(subject, ev),
        Link(OPEN_IN_INTUNE, intune_device_url(_text(ev.get("deviceId")) or subject)),
        None,
    )


def _destructive_only(subject: str, ev: Mapping[str, Any]) -> Message:
    report = _m(ev.get("report"))
    return Message(
        "Device",
        _text(ev.get("deviceName")) or subject,
        _facts(
            ("User", _text(ev.get("userPrincipalName"))),
            ("Reported", f"CanReset: {_text(report.get('canReset')) or 'DestructiveOnly'}"),
            ("Reported at", when(report.get("receivedDateTime"))),
            ("Expected", _text(ev.get("expectedBecause"))),
            ("Joined", JOIN_TYPES.get(_text(ev.get("joinType")), _text(ev.get("joinType")))),
            ("Last sync", when(ev.get("lastSync"))),
        ),
        _device_ids(subject, ev),
        Link(OPEN_IN_INTUNE, intune_device_url(_text(ev.get("deviceId")) or subject)),
        None,
    )


def _tap_policy(subject: str, ev: Mapping[str, Any]) -> Message:
    limit = ev.get("limitInMinutes")
    longest = _minutes(ev.get("maximumLifetimeInMinutes"))
    return Message(
        "Policy",
        "Temporary Access Pass",
        _facts(
            ("State", _text(ev.get("state"))),
            ("One-time use", _text(ev.get("isUsableOnce"))),
            ("Longest pass", longest + (f" (limit {_minutes(limit)})" if longest and limit else "")),
            ("Default pass", _minutes(ev.get("defaultLifetimeInMinutes"))),
            ("Applies to", ", ".join(str(t).replace("_", " ") for t in ev.get("includeTargets") or [])),
        ),
        (),
        Link(OPEN_IN_ENTRA, AUTH_METHODS_POLICIES),
        None,
    )


def _issuance(issuance: Mapping[str, Any]) -> tuple[Fact, ...]:
    lifetime = _minutes(issuance.get("lifetimeInMinutes"))
    once = issuance.get("isUsableOnce")
    use = "one-time" if once is True else "reusable" if once is False else ""
    return _facts(
        ("Issued by", _text(issuance.get("issuedBy"))),
        ("Issued", when(issuance.get("issuedDateTime"))),
        ("Valid for", ", ".join(x for x in (lifetime, use) if x)),
    )


def _user(subject: str, ev: Mapping[str, Any]) -> tuple[str, tuple[Fact, ...]]:
    return _text(ev.get("userPrincipalName")) or subject, _facts(
        ("User ID", _text(ev.get("userId")) or subject)
    )


def _privileged(subject: str, ev: Mapping[str, Any]) -> Message:
    name, ids = _user(subject, ev)
    roles = [r for r in ev.get("roles") or [] if isinstance(r, Mapping)]
    issuances = [i for i in ev.get("issuances") or [] if isinstance(i, Mapping)]
    used = ev.get("tapSignIns")
    return Message(
        "User",
        name,
        (
            *_facts(
                (
                    "Roles",
                    _list(
                        [
                            f"{_text(r.get('role'))} ({_text(r.get('how'))})"
                            for r in roles
                            if isinstance(r, Mapping)
                        ]
                    ),
                ),
                ("Passes", count(len(issuances), "pass", "passes") if len(issuances) > 1 else ""),
            ),
            *(_issuance(issuances[-1]) if issuances else ()),
            *_facts(("Used", count(len(used), "sign-in") if isinstance(used, list) else "")),
        ),
        ids,
        Link(OPEN_IN_ENTRA, user_methods_url(_text(ev.get("userId")) or subject)),
        None,
    )


def _place(signin: Mapping[str, Any]) -> str:
    where = ", ".join(x for x in (_text(signin.get("city")), _text(signin.get("countryOrRegion"))) if x)
    ip = _text(signin.get("ipAddress"))
    return f"{ip} ({where})" if ip and where else ip or where


def _risky(subject: str, ev: Mapping[str, Any]) -> Message:
    name, ids = _user(subject, ev)
    signins = [s for s in ev.get("signIns") or [] if isinstance(s, Mapping)]
    first = signins[0] if signins else {}
    said = first.get("reasons")
    reasons = said if isinstance(said, list) else []
    return Message(
        "User",
        name,
        _facts(
            ("Sign-ins", count(len(signins), "risky sign-in")),
            ("When", when(first.get("createdDateTime"))),
            ("From", _place(first)),
            ("Why flagged", "; ".join(str(r) for r in reasons)),
            ("Device", _text(first.get("deviceName"))),
            ("App", _text(first.get("app"))),
            ("Issued by", _text(_m(first.get("issuance")).get("issuedBy"))),
        ),
        ids,
        Link(OPEN_SIGN_INS, user_signins_url(_text(ev.get("userId")) or subject)),
        None,
    )


def _burst(subject: str, ev: Mapping[str, Any]) -> Message:
    name, ids = _user(subject, ev)
    after = _m(ev.get("successAfter"))
    between = span(ev.get("first"), ev.get("last"))
    codes = ev.get("errorCodes")
    return Message(
        "User",
        name,
        _facts(
            ("Failures", count(ev.get("failures"), "failed sign-in")),
            ("Between", between),
            ("From", ", ".join(x for x in (_list(ev.get("ipAddresses")), _list(ev.get("countries"))) if x)),
            ("Errors", _list(codes, 5)),
            ("Then", f"a successful TAP sign-in at {when(after.get('createdDateTime'))}" if after else ""),
        ),
        ids,
        Link(OPEN_SIGN_INS, user_signins_url(_text(ev.get("userId")) or subject)),
        None,
    )


def _method(method: Mapping[str, Any]) -> str:
    kind = METHOD_NAMES.get(_text(method.get("type")), _text(method.get("type")))
    name = _text(method.get("displayName"))
    return f"{kind} ({name})" if name and kind else kind or name


def _old_methods(subject: str, ev: Mapping[str, Any]) -> Message:
    name, ids = _user(subject, ev)
    kept = [m for m in ev.get("oldMethodsKept") or [] if isinstance(m, Mapping)]
    return Message(
        "User",
        name,
        (
            *_facts(
                ("Recovered", when(ev.get("recoveredDateTime"))),
                ("Old methods", f"{len(kept)} kept: {_list([_method(m) for m in kept], 4)}" if kept else ""),
            ),
            *_issuance(_m(ev.get("issuance")))[:1],
        ),
        ids,
        Link(OPEN_IN_ENTRA, user_methods_url(_text(ev.get("userId")) or subject)),
        None,
    )


RULE_MESSAGES: dict[str, Callable[[str, Mapping[str, Any]], Message]] = {
    "consent.pin-reset-service.missing": _app_missing,
    "consent.pin-reset-client.missing": _app_missing,
    "consent.pin-reset-app.disabled": _app_disabled,
    "signin.pin-reset.consent-errors": _consent_errors,
    "signin.pin-reset.failure-spike": _failure_spike,
    "policy.pin-recovery.not-configured": _not_configured,
    "policy.pin-recovery.oma-uri-invalid": _oma_invalid,
    "policy.web-signin-urls.missing": _web_signin,
    "device.pin-reset.unsupported-os": _unsupported_os,
    "device.pin-reset.destructive-only": _destructive_only,
    "tap.policy.disabled": _tap_policy,
    "tap.policy.multi-use": _tap_policy,
    "tap.policy.lifetime-too-long": _tap_policy,
    "tap.issued.privileged-user": _privileged,
    "tap.signin.risky": _risky,
    "tap.signin.failure-burst": _burst,
    "tap.recovery.old-methods-kept": _old_methods,
}

_GUID = re.compile(r"^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$")


def _generic(subject: str, ev: Mapping[str, Any]) -> Message:
    """A rule this module does not know yet: its plain top-level values, labelled from their keys."""
    facts = []
    for key, value in ev.items():
        text = _text(value)
        if text and not text.startswith("https://") and not _GUID.match(text) and len(text) <= 200:
            words = re.sub(r"(?<=[a-z0-9])([A-Z])", r" \1", str(key)).replace("_", " ")
            facts.append(Fact(words.capitalize(), text))
    return Message("Subject", "", tuple(facts[:6]), _facts(("Subject ID", subject)), None, None)


def message(item: Mapping[str, Any]) -> Message:
    """The designed message of one notice."""
    alert = item["alert"]
    evidence = alert.get("evidence")
    build = RULE_MESSAGES.get(str(alert.get("rule")), _generic)
    designed = build(str(alert.get("subject", "")), evidence if isinstance(evidence, Mapping) else {})
    references = [r for r in item.get("references") or [] if isinstance(r, str) and r.startswith("https://")]
    tenant = _m(item.get("tenant"))
    ids = designed.ids + _facts(("Tenant ID", _text(tenant.get("id"))))
    seen: set[str] = set()
    unique = tuple(f for f in ids if not (f.value in seen or seen.add(f.value)))  # type: ignore[func-returns-value]
    return Message(
        designed.subject_label,
        designed.subject_name,
        designed.facts,
        unique,
        designed.action,
        Link(WHY, references[0]) if references else None,
    )


def remediation(item: Mapping[str, Any]) -> str:
    """The rule's remedy as a card or an email shows it: a link the message already has as its button
    is named by the button's title instead of spelled out (a raw admin-consent URL is 400 characters
    that widen a phone screen)."""
    text = readable_times(str(item.get("remediation") or ""))
    designed = message(item)
    if designed.action:
        text = text.replace(designed.action.url, f'the "{designed.action.title}" button')
    for url in CONSENT_URLS.values():
        text = text.replace(url, "the admin-consent link")
    return text.replace("button .", "button.").replace("link .", "link.")


_NONE = re.compile(r",?\s*\b[a-z]\w* None\b")


def detail(item: Mapping[str, Any]) -> str:
    """The finding's sentence as a person reads it: times in the one form, and a `field None` a
    rule wrote for a value Graph did not give left out."""
    return readable_times(_NONE.sub("", str(item["alert"].get("detail") or "")))


def tenant_name(item: Mapping[str, Any]) -> str:
    """The tenant's display name, or "" when the notice does not know it (the ID is in the small print)."""
    return _text(_m(item.get("tenant")).get("displayName"))


def subject_text(item: Mapping[str, Any]) -> str:
    """What the alert is about, by name: "Microsoft Pin Reset Service Production", "a11ce@contoso.com",
    or the tenant's name for tenant-wide rules."""
    designed = message(item)
    return designed.subject_name or tenant_name(item) or "the tenant"


def small_print(ids: Sequence[Fact], alert_id: str) -> str:
    return " · ".join([f"{f.label} {f.value}" for f in ids] + [f"Alert {alert_id}"])
