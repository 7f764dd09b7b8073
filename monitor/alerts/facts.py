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
from typing import Any

from monitor.alerts.wording import (
    AUTH_METHODS_POLICIES,
    INTUNE_PROFILES,
    METHOD_NAMES,
    OMA_MISTAKES,
    OPEN_IN_ENTRA,
    OPEN_IN_INTUNE,
    OPEN_SIGN_INS,
    SIGN_IN_LOG,
    WHY,
    Fact,
    Link,
    Message,
    app_name,
    by_name,
    consent_link,
    count,
    enterprise_app_url,
    facts_of,
    intune_device_url,
    listed,
    mapping,
    minutes,
    readable_times,
    span,
    text_of,
    user_methods_url,
    user_signins_url,
    when,
)
from monitor.entra import CONSENT_URLS, PIN_RESET_APPS

# -- per rule --------------------------------------------------------------------------------------


def _failures(summary: Mapping[str, Any], window: str = "") -> tuple[Fact, ...]:
    n = summary.get("failures")
    if not n:
        return ()
    since = when(summary.get("firstFailure"))
    return facts_of(
        ("Failures", count(n, "failure") + (f" in {window}" if window else "")),
        ("Since", since),
        ("Errors", by_name(summary.get("byErrorCode"))),
        ("Apps", by_name(summary.get("byApp"), app_name)),
        ("Users", listed(summary.get("sampleUsers"))),
    )


def _app_missing(subject: str, ev: Mapping[str, Any]) -> Message:
    app_id = text_of(ev.get("appId")) or subject
    last = when(ev.get("lastSuccessfulPinReset"))
    return Message(
        "App",
        PIN_RESET_APPS.get(app_id, text_of(ev.get("appName")) or app_id),
        (
            *facts_of(("Consent", "missing: no enterprise app in the tenant")),
            *_failures(mapping(ev.get("signInFailures"))),
            *facts_of(("Last reset", last or "none seen")),
        ),
        facts_of(("App ID", app_id)),
        consent_link(app_id),
        None,
    )


def _app_disabled(subject: str, ev: Mapping[str, Any]) -> Message:
    app_id = text_of(ev.get("appId")) or subject
    return Message(
        "App",
        PIN_RESET_APPS.get(app_id, text_of(ev.get("appName")) or app_id),
        (
            *facts_of(("Status", "disabled (sign-in not enabled)")),
            *_failures(mapping(ev.get("signInFailures"))),
        ),
        facts_of(("App ID", app_id), ("Object ID", text_of(ev.get("servicePrincipalId")))),
        Link(OPEN_IN_ENTRA, enterprise_app_url(text_of(ev.get("servicePrincipalId")), app_id)),
        None,
    )


def _failing_app(ev: Mapping[str, Any]) -> str:
    """The PIN reset app the failures are about: the one consent says is missing or disabled, else
    the one with most failures in the window, else the service app."""
    consent = mapping(ev.get("consent"))
    broken = [app for app in CONSENT_URLS if consent.get(app) in ("missing", "disabled")]
    if broken:
        return broken[0]
    by_app = mapping(mapping(ev.get("window")).get("byApp"))
    named = sorted((app for app in by_app if app in CONSENT_URLS), key=lambda a: -int(by_app[a] or 0))
    return named[0] if named else next(iter(CONSENT_URLS))


def _consent_errors(subject: str, ev: Mapping[str, Any]) -> Message:
    hours = ev.get("windowHours")
    app = _failing_app(ev)
    state = text_of(mapping(ev.get("consent")).get(app))
    action = Link(OPEN_IN_ENTRA, enterprise_app_url("", app)) if state == "disabled" else consent_link(app)
    consent = mapping(ev.get("consent"))
    return Message(
        "Tenant",
        "",
        (
            *_failures(mapping(ev.get("window")), f"{hours} h" if hours else ""),
            *facts_of(
                ("Consent", ", ".join(f"{app_name(a)}: {consent[a]}" for a in CONSENT_URLS if a in consent)),
                ("Last reset", when(ev.get("lastSuccessfulPinReset")) or "none seen"),
            ),
        ),
        (),
        action,
        None,
    )


def _failure_spike(subject: str, ev: Mapping[str, Any]) -> Message:
    window = mapping(ev.get("window"))
    hours = ev.get("windowHours")
    days = ev.get("baselineDays")
    expected = ev.get("expected")
    return Message(
        "Tenant",
        "",
        (
            *facts_of(
                ("Failures", count(ev.get("failures"), "failure") + (f" in {hours} h" if hours else "")),
                (
                    "Usual",
                    f"{expected} expected ({count(ev.get('baselineFailures'), 'failure')} in {days} days)"
                    if expected is not None and days
                    else "",
                ),
                ("Since", when(window.get("firstFailure"))),
                ("Errors", by_name(window.get("byErrorCode"))),
                ("Apps", by_name(window.get("byApp"), app_name)),
                ("Users", listed(window.get("sampleUsers"))),
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
        f"{text_of(p.get('name')) or 'unnamed'}: {text_of(p.get('why'))}"
        for p in policies
        if isinstance(p, Mapping)
    ]
    return "; ".join(lines[:3]) + (f"; and {len(lines) - 3} more" if len(lines) > 3 else "")


def _not_configured(subject: str, ev: Mapping[str, Any]) -> Message:
    return Message(
        "Tenant",
        "",
        facts_of(
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
        text_of(ev.get("policyName")) or "custom profile",
        facts_of(
            ("Problem", "; ".join(problems)),
            ("OMA-URI", text_of(ev.get("omaUri"))),
            (
                "Assigned to",
                listed(ev.get("targets")) or ("not assigned" if ev.get("assigned") is False else ""),
            ),
        ),
        facts_of(
            ("Policy ID", text_of(ev.get("policyId")) or subject),
            ("Tenant ID", text_of(ev.get("expectedTenantId"))),
        ),
        Link(OPEN_IN_INTUNE, INTUNE_PROFILES),
        None,
    )


def _web_signin(subject: str, ev: Mapping[str, Any]) -> Message:
    return Message(
        "Tenant",
        "",
        facts_of(
            ("Federated", listed(ev.get("federatedDomains"), 5)),
            ("Devices", count(ev.get("activeAzureADJoinedDevices"), "Entra joined device")),
            ("Policies", _policy_lines(ev.get("webSignInPolicies"))),
        ),
        (),
        Link(OPEN_IN_INTUNE, INTUNE_PROFILES),
        None,
    )


def _device_ids(subject: str, ev: Mapping[str, Any]) -> tuple[Fact, ...]:
    return facts_of(
        ("Intune device ID", text_of(ev.get("deviceId")) or subject),
        ("Entra device ID", text_of(ev.get("azureADDeviceId"))),
    )


JOIN_TYPES = {
    "azureADJoined": "Entra joined",
    "hybridAzureADJoined": "Entra hybrid joined",
    "azureADRegistered": "Entra registered",
}


def _unsupported_os(subject: str, ev: Mapping[str, Any]) -> Message:
    release = text_of(ev.get("release"))
    edition = text_of(ev.get("edition"))
    build = text_of(ev.get("osVersion"))
    windows = ", ".join(x for x in (release, edition) if x) + (f" (build {build})" if build else "")
    return Message(
        "Device",
        text_of(ev.get("deviceName")) or subject,
        facts_of(
            ("User", text_of(ev.get("userPrincipalName"))),
            ("Windows", windows),
            ("Needs", text_of(ev.get("requirement"))),
            ("Joined", JOIN_TYPES.get(text_of(ev.get("joinType")), text_of(ev.get("joinType")))),
            ("Last sync", when(ev.get("lastSync"))),
        ),
        _device_ids(subject, ev),
        Link(OPEN_IN_INTUNE, intune_device_url(text_of(ev.get("deviceId")) or subject)),
        None,
    )


def _destructive_only(subject: str, ev: Mapping[str, Any]) -> Message:
    report = mapping(ev.get("report"))
    return Message(
        "Device",
        text_of(ev.get("deviceName")) or subject,
        facts_of(
            ("User", text_of(ev.get("userPrincipalName"))),
            ("Reported", f"CanReset: {text_of(report.get('canReset')) or 'DestructiveOnly'}"),
            ("Reported at", when(report.get("receivedDateTime"))),
            ("Expected", text_of(ev.get("expectedBecause"))),
            ("Joined", JOIN_TYPES.get(text_of(ev.get("joinType")), text_of(ev.get("joinType")))),
            ("Last sync", when(ev.get("lastSync"))),
        ),
        _device_ids(subject, ev),
        Link(OPEN_IN_INTUNE, intune_device_url(text_of(ev.get("deviceId")) or subject)),
        None,
    )


def _tap_policy(subject: str, ev: Mapping[str, Any]) -> Message:
    limit = ev.get("limitInMinutes")
    longest = minutes(ev.get("maximumLifetimeInMinutes"))
    return Message(
        "Policy",
        "Temporary Access Pass",
        facts_of(
            ("State", text_of(ev.get("state"))),
            ("One-time use", text_of(ev.get("isUsableOnce"))),
            ("Longest pass", longest + (f" (limit {minutes(limit)})" if longest and limit else "")),
            ("Default pass", minutes(ev.get("defaultLifetimeInMinutes"))),
            ("Applies to", ", ".join(str(t).replace("_", " ") for t in ev.get("includeTargets") or [])),
        ),
        (),
        Link(OPEN_IN_ENTRA, AUTH_METHODS_POLICIES),
        None,
    )


def _issuance(issuance: Mapping[str, Any]) -> tuple[Fact, ...]:
    lifetime = minutes(issuance.get("lifetimeInMinutes"))
    once = issuance.get("isUsableOnce")
    use = "one-time" if once is True else "reusable" if once is False else ""
    return facts_of(
        ("Issued by", text_of(issuance.get("issuedBy"))),
        ("Issued", when(issuance.get("issuedDateTime"))),
        ("Valid for", ", ".join(x for x in (lifetime, use) if x)),
    )


def _user(subject: str, ev: Mapping[str, Any]) -> tuple[str, tuple[Fact, ...]]:
    return text_of(ev.get("userPrincipalName")) or subject, facts_of(
        ("User ID", text_of(ev.get("userId")) or subject)
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
            *facts_of(
                (
                    "Roles",
                    listed(
                        [
                            f"{text_of(r.get('role'))} ({text_of(r.get('how'))})"
                            for r in roles
                            if isinstance(r, Mapping)
                        ]
                    ),
                ),
                ("Passes", count(len(issuances), "pass", "passes") if len(issuances) > 1 else ""),
            ),
            *(_issuance(issuances[-1]) if issuances else ()),
            *facts_of(("Used", count(len(used), "sign-in") if isinstance(used, list) else "")),
        ),
        ids,
        Link(OPEN_IN_ENTRA, user_methods_url(text_of(ev.get("userId")) or subject)),
        None,
    )


def _place(signin: Mapping[str, Any]) -> str:
    where = ", ".join(x for x in (text_of(signin.get("city")), text_of(signin.get("countryOrRegion"))) if x)
    ip = text_of(signin.get("ipAddress"))
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
        facts_of(
            ("Sign-ins", count(len(signins), "risky sign-in")),
            ("When", when(first.get("createdDateTime"))),
            ("From", _place(first)),
            ("Why flagged", "; ".join(str(r) for r in reasons)),
            ("Device", text_of(first.get("deviceName"))),
            ("App", text_of(first.get("app"))),
            ("Issued by", text_of(mapping(first.get("issuance")).get("issuedBy"))),
        ),
        ids,
        Link(OPEN_SIGN_INS, user_signins_url(text_of(ev.get("userId")) or subject)),
        None,
    )


def _burst(subject: str, ev: Mapping[str, Any]) -> Message:
    name, ids = _user(subject, ev)
    after = mapping(ev.get("successAfter"))
    between = span(ev.get("first"), ev.get("last"))
    codes = ev.get("errorCodes")
    return Message(
        "User",
        name,
        facts_of(
            ("Failures", count(ev.get("failures"), "failed sign-in")),
            ("Between", between),
            ("From", ", ".join(x for x in (listed(ev.get("ipAddresses")), listed(ev.get("countries"))) if x)),
            ("Errors", listed(codes, 5)),
            ("Then", f"a successful TAP sign-in at {when(after.get('createdDateTime'))}" if after else ""),
        ),
        ids,
        Link(OPEN_SIGN_INS, user_signins_url(text_of(ev.get("userId")) or subject)),
        None,
    )


def _method(method: Mapping[str, Any]) -> str:
    kind = METHOD_NAMES.get(text_of(method.get("type")), text_of(method.get("type")))
    name = text_of(method.get("displayName"))
    return f"{kind} ({name})" if name and kind else kind or name


def _old_methods(subject: str, ev: Mapping[str, Any]) -> Message:
    name, ids = _user(subject, ev)
    kept = [m for m in ev.get("oldMethodsKept") or [] if isinstance(m, Mapping)]
    return Message(
        "User",
        name,
        (
            *facts_of(
                ("Recovered", when(ev.get("recoveredDateTime"))),
                ("Old methods", f"{len(kept)} kept: {listed([_method(m) for m in kept], 4)}" if kept else ""),
            ),
            *_issuance(mapping(ev.get("issuance")))[:1],
        ),
        ids,
        Link(OPEN_IN_ENTRA, user_methods_url(text_of(ev.get("userId")) or subject)),
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
        text = text_of(value)
        if text and not text.startswith("https://") and not _GUID.match(text) and len(text) <= 200:
            words = re.sub(r"(?<=[a-z0-9])([A-Z])", r" \1", str(key)).replace("_", " ")
            facts.append(Fact(words.capitalize(), text))
    return Message("Subject", "", tuple(facts[:6]), facts_of(("Subject ID", subject)), None, None)


def message(item: Mapping[str, Any]) -> Message:
    """The designed message of one notice."""
    alert = item["alert"]
    evidence = alert.get("evidence")
    build = RULE_MESSAGES.get(str(alert.get("rule")), _generic)
    designed = build(str(alert.get("subject", "")), evidence if isinstance(evidence, Mapping) else {})
    references = [r for r in item.get("references") or [] if isinstance(r, str) and r.startswith("https://")]
    tenant = mapping(item.get("tenant"))
    ids = designed.ids + facts_of(("Tenant ID", text_of(tenant.get("id"))))
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
    return text_of(mapping(item.get("tenant")).get("displayName"))


def subject_text(item: Mapping[str, Any]) -> str:
    """What the alert is about, by name: "Microsoft Pin Reset Service Production", "a11ce@contoso.com",
    or the tenant's name for tenant-wide rules."""
    designed = message(item)
    return designed.subject_name or tenant_name(item) or "the tenant"


def small_print(ids: Sequence[Fact], alert_id: str) -> str:
    return " · ".join([f"{f.label} {f.value}" for f in ids] + [f"Alert {alert_id}"])
