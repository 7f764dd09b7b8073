"""What a notice says, in one JSON form (the webhook schema's `notifications[]` item), built when the
notice is queued; the Teams card, the email and the webhook body are all rendered from it."""

from __future__ import annotations

from collections.abc import Mapping
from functools import cache
from typing import Any

import orjson

from monitor.alerts.lifecycle import Transition
from monitor.entra import CONSENT_URLS, PIN_RESET_APPS
from monitor.rules import load_catalog
from monitor.rules.base import Rule
from monitor.rules.evidence import iso

# A notice is stored in one Table Storage property (32K characters at most) with its text; evidence
# larger than this is cut to its first items so the notice still fits.
EVIDENCE_BYTES = 8_000
KEPT_ITEMS = 10


@cache
def _rules() -> dict[str, Rule]:
    return {entry.rule.id: entry.rule for entry in load_catalog()}


def consent_links(rule: str, subject: str, evidence: Mapping[str, Any]) -> list[dict[str, str]]:
    """The admin-consent links a finding calls for: the missing app's for a missing-app rule, and
    for failing sign-ins every app the evidence says is missing, else the apps the failures name
    (both, when it does not say). A disabled app needs re-enabling, not consent, so it gets no link."""
    if rule.endswith(".missing") and rule.startswith("consent."):
        apps = [subject] if subject in CONSENT_URLS else []
    elif rule == "signin.pin-reset.consent-errors":
        consent = evidence.get("consent")
        window = evidence.get("window")
        by_app = window.get("byApp") if isinstance(window, Mapping) else None
        failing = [app for app in CONSENT_URLS if isinstance(by_app, Mapping) and app in by_app]
        if isinstance(consent, Mapping):
            apps = [app for app in CONSENT_URLS if consent.get(app) == "missing"]
            # Consent as last polled can be older than the failures (the log stream judges them at
            # once): the failing app's own link is then the fix, unless the app is only disabled.
            apps = apps or [app for app in failing if consent.get(app) != "disabled"]
        else:
            apps = failing or list(CONSENT_URLS)
    else:
        apps = []
    return [{"app": PIN_RESET_APPS[app], "appId": app, "url": CONSENT_URLS[app]} for app in apps]


def notice(transition: Transition) -> dict[str, Any]:
    alert = transition.after
    event = transition.event
    assert event is not None
    rule = _rules().get(alert.rule)
    return {
        "event": event,
        "reminder": transition.number if event == "reminder" else None,
        "alert": {
            "id": alert.id,
            "cycle": alert.cycle,
            "rule": alert.rule,
            "ruleTitle": rule.title if rule else alert.title,
            "subject": alert.subject,
            "severity": alert.severity,
            "title": alert.title,
            "detail": alert.detail,
            "evidence": compact_evidence(alert.evidence),
            "openedAt": iso(alert.opened_at),
            "failingSince": iso(alert.finding_since),
            "resolvedAt": iso(alert.resolved_at) if alert.resolved_at else None,
        },
        "tenant": {"id": alert.tenant_id, "displayName": alert.tenant_name},
        "remediation": rule.remediation if rule else "",
        "consentLinks": consent_links(alert.rule, alert.subject, alert.evidence),
        "references": list(rule.references) if rule else [],
    }


def compact_evidence(evidence: Mapping[str, Any]) -> dict[str, Any]:
    """The evidence, or, when it is large, the same with every list cut to its first KEPT_ITEMS items
    (and the count of the rest) and long strings shortened."""
    if len(orjson.dumps(evidence, default=str)) <= EVIDENCE_BYTES:
        return dict(evidence)

    def cut(value: Any) -> Any:
        if isinstance(value, list):
            kept = [cut(v) for v in value[:KEPT_ITEMS]]
            return kept + ([f"... {len(value) - KEPT_ITEMS} more"] if len(value) > KEPT_ITEMS else [])
        if isinstance(value, Mapping):
            return {str(k): cut(v) for k, v in list(value.items())[:50]}
        if isinstance(value, str) and len(value) > 500:
            return value[:497] + "..."
        return value

    compact = {str(k): cut(v) for k, v in evidence.items()}
    if len(orjson.dumps(compact, default=str)) > EVIDENCE_BYTES:
        compact = {k: v for k, v in compact.items() if not isinstance(v, list | Mapping)}
        compact["note"] = "evidence too large for a notice; python -m monitor findings --format json has it"
    return compact


EVENT_WORDS = {"opened": "New alert", "reminder": "Still failing", "resolved": "Resolved"}


def headline(item: Mapping[str, Any]) -> str:
    alert = item["alert"]
    word = EVENT_WORDS[item["event"]]
    if item["event"] == "reminder":
        word += f" (reminder {item['reminder']})"
    return f"{word}: {alert['title']}"
