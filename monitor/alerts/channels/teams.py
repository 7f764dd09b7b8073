"""The Teams channel: a Workflows webhook ("When a Teams webhook request is received"): a message whose one
attachment is an Adaptive Card 1.4. Workflows accept Adaptive Cards only; the classic Office 365
connector MessageCard is retired.
https://learn.microsoft.com/microsoftteams/platform/webhooks-and-connectors/how-to/connectors-using
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import orjson

from monitor.alerts import facts, wording
from monitor.alerts.channels.base import Notices, Post, Rollup, Via, Weekly, post, read_url, what
from monitor.alerts.content import headline
from monitor.alerts.delivery import Outcome
from monitor.alerts.settings import AlertDestination
from monitor.weekly.delivery import rollup_card, teams_card

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


def _facts(pairs: Sequence[tuple[str, str]]) -> dict[str, Any]:
    return {"type": "FactSet", "facts": [{"title": title, "value": value} for title, value in pairs if value]}


# A FactSet's value column is about 180 px on a phone; a word longer than this (an OMA-URI, a long
# user principal name) would widen the card instead of wrapping, so such a fact gets its own lines.
LONG_WORD = 24


def _fact_blocks(pairs: Sequence[tuple[str, str]]) -> list[dict[str, Any]]:
    """Facts as FactSets, except a fact with a long unbroken word: its label and value as text blocks,
    which wrap anywhere."""
    blocks: list[dict[str, Any]] = []
    run: list[tuple[str, str]] = []
    for title, value in pairs:
        if not value:
            continue
        if max((len(w) for w in value.split()), default=0) <= LONG_WORD:
            run.append((title, value))
            continue
        if run:
            blocks.append(_facts(run))
            run = []
        blocks += [_text(title, weight="Bolder", spacing="Small"), _text(value, spacing="None")]
    if run:
        blocks.append(_facts(run))
    return blocks


def _severity_line(item: Mapping[str, Any]) -> str:
    severity = f"{str(item['alert']['severity']).capitalize()} severity"
    name = facts.tenant_name(item)
    return f"{severity} · {name}" if name else severity


# The button to the confirmation page (monitor.alerts.confirm), where the alert is acknowledged or
# snoozed. It gets a row of its own: a third button beside the fix and "Why" is cut on a phone.
ACKNOWLEDGE = "Acknowledge or snooze"


def alert_card(item: Mapping[str, Any], link: str | None = None) -> dict[str, Any]:
    """One notice, designed per rule (monitor.alerts.facts): what is wrong, with whom or what, the
    facts a person needs, what to do, one button that opens the place to fix it and one "Why" link.
    IDs go in the small print at the end, labelled. `link`: the signed confirmation link of an opened
    or reminder notice, made when the card is sent (never stored); a resolved notice gets none."""
    alert = item["alert"]
    resolved = item["event"] == "resolved"
    colour = "Good" if resolved else _COLOURS.get(alert["severity"], "Default")
    designed = facts.message(item)
    shown: list[tuple[str, str]] = []
    if designed.subject_name:
        shown.append((designed.subject_label, designed.subject_name))
    if not resolved:
        shown += [(f.label, f.value) for f in designed.facts]
    shown.append(("First seen", wording.when(alert["failingSince"])))
    if resolved and alert.get("resolvedAt"):
        shown.append(("Resolved", wording.when(alert["resolvedAt"])))
    detail = facts.detail(item)
    body: list[dict[str, Any]] = [
        _text(headline(item), size="Medium", weight="Bolder", color=colour),
        _text(_severity_line(item), isSubtle=True, spacing="None"),
        *_fact_blocks(shown),
        _text(_clip(f"What was wrong: {detail}" if resolved else detail)),
    ]
    actions: list[dict[str, Any]] = []
    if not resolved:
        if item["remediation"]:
            body += [
                _text("What to do", weight="Bolder", separator=True),
                _text(_clip(facts.remediation(item))),
            ]
        if designed.action:
            actions.append(
                {"type": "Action.OpenUrl", "title": designed.action.title, "url": designed.action.url}
            )
    if designed.why:
        actions.append({"type": "Action.OpenUrl", "title": designed.why.title, "url": designed.why.url})
    if link and not resolved:
        # The fix and "Why" first, then the acknowledge button below them, before the small print.
        if actions:
            body.append({"type": "ActionSet", "actions": actions})
        acknowledge = {"type": "Action.OpenUrl", "title": ACKNOWLEDGE, "url": link}
        body.append({"type": "ActionSet", "actions": [acknowledge]})
        actions = []
    body.append(
        _text(facts.small_print(designed.ids, alert["id"]), size="Small", isSubtle=True, separator=True)
    )
    return _card(body, actions)


def digest_card(items: Sequence[Mapping[str, Any]]) -> dict[str, Any]:
    """Many notices due at once to one channel: one card listing them, most severe first."""
    tenants = sorted({facts.tenant_name(i) or i["tenant"]["id"] for i in items})
    counts = {e: sum(1 for i in items if i["event"] == e) for e in ("opened", "reminder", "resolved")}
    words = {"opened": "new", "reminder": "still failing", "resolved": "resolved"}
    summary = ", ".join(f"{n} {words[e]}" for e, n in counts.items() if n)
    body: list[dict[str, Any]] = [
        _text(
            f"{len(items)} alert notices for {', '.join(tenants)}",
            size="Medium",
            weight="Bolder",
            color="Attention",
        ),
        _text(f"Sent as one message so the channel is not flooded: {summary}."),
    ]
    lines = [
        (
            f"{str(i['alert']['severity']).capitalize()}, {words[i['event']]}",
            f"{i['alert']['title']}: {facts.subject_text(i)}",
        )
        for i in items[:DIGEST_LINES]
    ]
    body.append(_facts(lines))
    if len(items) > DIGEST_LINES:
        body.append(_text(f"and {len(items) - DIGEST_LINES} more not listed here", isSubtle=True))
    # Every notice's alert, listed or not: what a reader acknowledges or snoozes, and what tells that a
    # digest sent again carries the same notices.
    ids = ", ".join(str(i["alert"]["id"]) for i in items)
    body.append(_text(f"Alerts {ids}", size="Small", isSubtle=True, separator=True))
    return _card(body, [])


def with_delivery_id(card: Mapping[str, Any], delivery_id: str) -> dict[str, Any]:
    """The card with a small last line naming its delivery: a post sent again after a crash shows the
    same ID as the first, so a reader sees the repeat is the same alert."""
    line = _text(f"Delivery ID {delivery_id}", size="Small", isSubtle=True)
    return {**card, "body": [*card["body"], line]}


# The channel (monitor.alerts.channels.base.Channel): one post per notice, a digest card above the
# digest threshold, the weekly report's card (monitor.weekly.delivery.teams_card).
BUNDLES = False


def configure(name: str, prefix: str, env: Mapping[str, str], problems: list[str]) -> dict[str, Any]:
    return {"url": read_url(name, "teams", prefix, env, problems)}


def targets(destination: AlertDestination) -> tuple[str, ...]:
    return (destination.name,)


def render_notices(notices: Notices, via: Via) -> Post:
    if notices.digest:
        card = digest_card(notices.items)
    else:
        card = alert_card(notices.items[0], via.links(notices.items, "teams").get(notices.alert_ids[0]))
    return Post(orjson.dumps(message(with_delivery_id(card, notices.delivery_id))), {})


def render_weekly(weekly: Weekly, via: Via) -> Post:
    # teams_card is already the Workflows message around the card.
    return Post(orjson.dumps(teams_card(weekly.report, weekly.where)), {})


async def send_notices(notices: Notices, via: Via) -> Outcome:
    try:
        sent = render_notices(notices, via)
    except (KeyError, TypeError, IndexError) as exc:
        # A stored notice that lost its shape (edited, truncated) will never render: say so.
        reason = f"{what(notices.destination)}: the stored notice is not in the expected shape ({exc!r})"
        return Outcome("dead", reason)
    return await post(notices.destination, sent, via)


async def send_weekly(weekly: Weekly, via: Via) -> list[tuple[str, Outcome]]:
    return [(what(weekly.destination), await post(weekly.destination, render_weekly(weekly, via), via))]


def render_rollup(rollup: Rollup, via: Via) -> Post:
    return Post(orjson.dumps(rollup_card(rollup.rollup, rollup.where)), {})


async def send_rollup(rollup: Rollup, via: Via) -> list[tuple[str, Outcome]]:
    return [(what(rollup.destination), await post(rollup.destination, render_rollup(rollup, via), via))]
