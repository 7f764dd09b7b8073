"""What a notice says, in one JSON form (the webhook schema's `notifications[]` item), built when the
notice is queued; the Teams card, the email and the webhook body are all rendered from it."""

from __future__ import annotations

import re
from collections.abc import Mapping
from functools import cache
from typing import Any

import orjson

from monitor.alerts.lifecycle import Transition
from monitor.entra import CONSENT_URLS, PIN_RESET_APPS
from monitor.rules import load_catalog
from monitor.rules.base import Rule
from monitor.rules.evidence import iso

EVIDENCE_FACTS = 8  # evidence lines a notice shows; the rest is in `python -m monitor findings`
LIST_ITEMS = 5
# A notice is stored in one Table Storage property (32K characters at most) with its text; evidence
# larger than this is cut to its first items so the notice still fits.
EVIDENCE_BYTES = 8_000
KEPT_ITEMS = 10
_GUID = re.compile(r"[0-9a-fA-F-]{36}")


@cache
def _rules() -> dict[str, Rule]:
    return {entry.rule.id: entry.rule for entry in load_catalog()}


def consent_links(rule: str, subject: str, evidence: Mapping[str, Any]) -> list[dict[str, str]]:
    """The admin-consent links a finding calls for: the missing app's for a missing-app rule, and
    for failing sign-ins every app the evidence says is missing (both, when it does not say). A
    disabled app needs re-enabling, not consent, so it gets no link."""
    if rule.endswith(".missing") and rule.startswith("consent."):
        apps = [subject] if subject in CONSENT_URLS else []
    elif rule == "signin.pin-reset.consent-errors":
        consent = evidence.get("consent")
        if isinstance(consent, Mapping):
            apps = [app for app in CONSENT_URLS if consent.get(app) == "missing"]
        else:
            apps = list(CONSENT_URLS)
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


def _label(key: str) -> str:
    words = re.sub(r"(?<=[a-z0-9])([A-Z])", r" \1", key).replace("_", " ").split()
    return " ".join(words).capitalize()


def _value(value: Any) -> str:
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, list):
        shown = ", ".join(_value(v) for v in value[:LIST_ITEMS])
        return shown + (f" (+{len(value) - LIST_ITEMS} more)" if len(value) > LIST_ITEMS else "")
    if isinstance(value, Mapping):
        return ", ".join(f"{k} {_value(v)}" for k, v in list(value.items())[:LIST_ITEMS])
    return str(value)


def evidence_facts(evidence: Mapping[str, Any]) -> list[tuple[str, str]]:
    """The evidence as (label, value) lines a person reads: counts, since when, which users or devices.

    One level of nesting is flattened ("Sign in failures · failures"); links are left out (the consent
    link is an action of its own); at most EVIDENCE_FACTS lines.
    """
    facts: list[tuple[str, str]] = []
    for key, value in evidence.items():
        if isinstance(value, str) and value.startswith("https://"):
            continue
        if isinstance(value, Mapping) and value and not all(_GUID.fullmatch(str(k)) for k in value):
            facts += [(f"{_label(key)} · {_label(str(k))}", _value(v)) for k, v in value.items()]
            continue
        facts.append((_label(key), _value(value)))
    return [
        (label, text if len(text) <= 300 else text[:297] + "...") for label, text in facts[:EVIDENCE_FACTS]
    ]


EVENT_WORDS = {"opened": "New alert", "reminder": "Still failing", "resolved": "Resolved"}


def headline(item: Mapping[str, Any]) -> str:
    alert = item["alert"]
    word = EVENT_WORDS[item["event"]]
    if item["event"] == "reminder":
        word += f" (reminder {item['reminder']})"
    return f"{word}: {alert['title']}"
