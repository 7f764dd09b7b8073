"""Teams through a Workflows webhook ("When a Teams webhook request is received"): a message whose one
attachment is an Adaptive Card 1.4. Workflows accept Adaptive Cards only; the classic Office 365
connector MessageCard is retired.
https://learn.microsoft.com/microsoftteams/platform/webhooks-and-connectors/how-to/connectors-using
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from monitor.alerts.content import evidence_facts, headline

CARD_VERSION = "1.4"
_COLOURS = {
    "critical": "Attention",
    "high": "Attention",
    "medium": "Warning",
    "low": "Default",
    "info": "Default",
}
DIGEST_LINES = 20  # alerts a digest card lists before "and N more"
# Teams takes about 28 KB per webhook message; long rule text is cut so a card stays well under it.
TEXT_CHARS = 2_000


def _clip(text: str) -> str:
    return text if len(text) <= TEXT_CHARS else text[: TEXT_CHARS - 3] + "..."


def message(card: Mapping[str, Any]) -> dict[str, Any]:
    """The body a Workflows webhook takes."""
    return {
        "type": "message",
        "attachments": [
            {
                "contentType": "application/vnd.microsoft.card.adaptive",
                "contentUrl": None,
                "content": dict(card),
            }
        ],
    }


def _card(body: list[dict[str, Any]], actions: list[dict[str, Any]]) -> dict[str, Any]:
    # No "msteams" (full width) extension: it is not part of the Adaptive Card 1.4 schema.
    card: dict[str, Any] = {
        "type": "AdaptiveCard",
        "$schema": "http://adaptivecards.io/schemas/adaptive-card.json",
        "version": CARD_VERSION,
        "body": body,
    }
    if actions:
        card["actions"] = actions
    return card


def _text(text: str, **style: Any) -> dict[str, Any]:
    return {"type": "TextBlock", "text": text, "wrap": True, **style}


def _facts(facts: Sequence[tuple[str, str]]) -> dict[str, Any]:
    return {"type": "FactSet", "facts": [{"title": title, "value": value or "-"} for title, value in facts]}


def alert_card(item: Mapping[str, Any]) -> dict[str, Any]:
    """One notice: severity, tenant, what is wrong, the evidence, what to do, links."""
    alert = item["alert"]
    tenant = item["tenant"]
    resolved = item["event"] == "resolved"
    colour = "Good" if resolved else _COLOURS.get(alert["severity"], "Default")
    facts = [
        ("Severity", alert["severity"]),
        ("Tenant", f"{tenant['displayName'] or tenant['id']} ({tenant['id']})"),
        ("Rule", alert["rule"]),
        ("Subject", alert["subject"]),
        ("First seen", alert["failingSince"]),
    ]
    if resolved:
        facts.append(("Resolved at", alert["resolvedAt"] or "-"))
    body: list[dict[str, Any]] = [
        _text(headline(item), size="Medium", weight="Bolder", color=colour),
        _facts(facts),
        _text(_clip(f"What was wrong: {alert['detail']}" if resolved else alert["detail"])),
    ]
    actions: list[dict[str, Any]] = []
    if not resolved:
        evidence = evidence_facts(alert["evidence"])
        if evidence:
            body += [_text("Evidence", weight="Bolder", separator=True), _facts(evidence)]
        if item["remediation"]:
            body += [_text("What to do", weight="Bolder", separator=True), _text(_clip(item["remediation"]))]
        actions += [
            {"type": "Action.OpenUrl", "title": f"Grant admin consent: {link['app']}", "url": link["url"]}
            for link in item["consentLinks"]
        ]
    actions += [
        {
            "type": "Action.OpenUrl",
            "title": "Rule documentation" if n == 0 else f"Reference {n + 1}",
            "url": url,
        }
        for n, url in enumerate(item["references"][:3])
    ]
    body.append(
        _text(
            f"Alert {alert['id']} · acknowledge: python -m monitor alerts ack {alert['id']}",
            size="Small",
            isSubtle=True,
            separator=True,
        )
    )
    return _card(body, actions)


def digest_card(items: Sequence[Mapping[str, Any]]) -> dict[str, Any]:
    """Many notices due at once to one channel: one card listing them, most severe first."""
    tenants = sorted({i["tenant"]["displayName"] or i["tenant"]["id"] for i in items})
    counts = {e: sum(1 for i in items if i["event"] == e) for e in ("opened", "reminder", "resolved")}
    summary = ", ".join(f"{n} {e}" for e, n in counts.items() if n)
    body: list[dict[str, Any]] = [
        _text(
            f"{len(items)} alert notices for {', '.join(tenants)}",
            size="Medium",
            weight="Bolder",
            color="Attention",
        ),
        _text(f"Sent as one digest so the channel is not flooded: {summary}."),
    ]
    lines = [
        (
            f"{i['alert']['severity']} · {i['event']}",
            f"{i['alert']['title']} ({i['alert']['subject']}, alert {i['alert']['id']})",
        )
        for i in items[:DIGEST_LINES]
    ]
    body.append(_facts(lines))
    if len(items) > DIGEST_LINES:
        body.append(_text(f"and {len(items) - DIGEST_LINES} more: python -m monitor alerts", isSubtle=True))
    return _card(body, [])


def with_delivery_id(card: Mapping[str, Any], delivery_id: str) -> dict[str, Any]:
    """The card with a small last line naming its delivery: a post sent again after a crash shows the
    same ID as the first, so a reader sees the repeat is the same alert."""
    line = _text(f"Delivery ID {delivery_id}", size="Small", isSubtle=True)
    return {**card, "body": [*card["body"], line]}
