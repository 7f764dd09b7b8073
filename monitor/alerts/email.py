"""Alert email: one message per recipient per pass, HTML with a plain-text alternative
(multipart/alternative), built once with Python's email package and sent either through Graph
sendMail in MIME form or through Azure Communication Services Email."""

from __future__ import annotations

import hashlib
import html
from collections.abc import Mapping, Sequence
from datetime import datetime
from email.message import EmailMessage
from email.utils import format_datetime
from typing import Any

from monitor.alerts import facts
from monitor.alerts.content import headline

# The link to the confirmation page, where the alert is acknowledged or snoozed (monitor.alerts.confirm).
ACKNOWLEDGE = "Acknowledge or snooze"
NO_LINKS: Mapping[str, str] = {}

SUBJECT_CHARS = 160


def subject_line(items: Sequence[Mapping[str, Any]]) -> str:
    """A subject that names the problem(s): the alert title(s), the tenant, and whether it is new,
    still failing or resolved."""
    tenants = sorted({facts.tenant_name(i) or i["tenant"]["id"] for i in items})
    where = ", ".join(tenants)
    if len(items) == 1:
        item = items[0]
        severity = "" if item["event"] == "resolved" else f"[{str(item['alert']['severity']).upper()}] "
        return f"{severity}{headline(item)} ({where})"
    open_items = [i for i in items if i["event"] != "resolved"]
    resolved = len(items) - len(open_items)
    titles = list(dict.fromkeys(i["alert"]["title"] for i in (open_items or items)))
    named = "; ".join(titles[:2]) + (f" and {len(titles) - 2} more" if len(titles) > 2 else "")
    tail = f" ({resolved} resolved)" if open_items and resolved else ""
    lead = f"{len(open_items)} alerts need attention" if open_items else f"{resolved} alerts resolved"
    subject = f"{lead} at {where}: {named}{tail}"
    return subject if len(subject) <= SUBJECT_CHARS else subject[: SUBJECT_CHARS - 3] + "..."


def _rows(item: Mapping[str, Any]) -> tuple[facts.Message, list[tuple[str, str]]]:
    alert = item["alert"]
    designed = facts.message(item)
    resolved = item["event"] == "resolved"
    rows: list[tuple[str, str]] = []
    if designed.subject_name:
        rows.append((designed.subject_label, designed.subject_name))
    rows.append(("Severity", str(alert["severity"]).capitalize()))
    if facts.tenant_name(item):
        rows.append(("Tenant", facts.tenant_name(item)))
    if not resolved:
        rows += [(f.label, f.value) for f in designed.facts]
    rows.append(("First seen", facts.when(alert["failingSince"])))
    if resolved and alert.get("resolvedAt"):
        rows.append(("Resolved", facts.when(alert["resolvedAt"])))
    return designed, [(k, v) for k, v in rows if v]


def plain_text(items: Sequence[Mapping[str, Any]], links: Mapping[str, str] = NO_LINKS) -> str:
    """`links`: the signed confirmation link of each alert by ID, made when the message is sent."""
    lines: list[str] = []
    for item in items:
        alert = item["alert"]
        link = links.get(str(alert["id"]))
        designed, rows = _rows(item)
        resolved = item["event"] == "resolved"
        lines += [headline(item), "=" * min(len(headline(item)), 78)]
        lines += [f"{label}: {value}" for label, value in rows]
        was = "What was wrong: " if resolved else ""
        lines += ["", was + facts.detail(item), ""]
        if not resolved:
            if item["remediation"]:
                lines += ["What to do:", facts.remediation(item), ""]
            if designed.action:
                lines.append(f"{designed.action.title}: {designed.action.url}")
        if designed.why:
            lines.append(f"Why: {designed.why.url}")
        if link and not resolved:
            lines.append(f"{ACKNOWLEDGE}: {link}")
        lines += ["", facts.small_print(designed.ids, alert["id"]), "", ""]
    return "\n".join(lines).rstrip() + "\n"


# Inline styles only (mail clients drop <style> blocks); nothing is wider than the screen: long
# values wrap anywhere and links are buttons with short titles, never the raw URL.
_WRAP = "overflow-wrap:anywhere;word-break:break-word"
_TABLE = f"width:100%;max-width:640px;border-collapse:collapse;table-layout:fixed;{_WRAP}"
_TH = "text-align:left;vertical-align:top;width:32%;padding:2px 8px 2px 0;color:#444;font-weight:600"
_BUTTON = (
    "display:inline-block;margin:4px 8px 4px 0;padding:8px 14px;border-radius:4px;"
    "text-decoration:none;font-weight:600"
)


def _html_block(item: Mapping[str, Any], link: str | None) -> str:
    alert = item["alert"]
    e = html.escape
    resolved = item["event"] == "resolved"
    colour = "#107c10" if resolved else "#a4262c"
    designed, rows = _rows(item)
    parts = [
        f'<h2 style="color:{colour};font-size:18px;margin:0 0 8px">{e(headline(item))}</h2>',
        f'<table style="{_TABLE}">'
        + "".join(f'<tr><th style="{_TH}">{e(k)}</th><td>{e(v)}</td></tr>' for k, v in rows)
        + "</table>",
        f"<p>{'What was wrong: ' if resolved else ''}{e(facts.detail(item))}</p>",
    ]
    if not resolved and item["remediation"]:
        parts.append(f'<h3 style="font-size:15px">What to do</h3><p>{e(facts.remediation(item))}</p>')
    buttons = []
    if not resolved and designed.action:
        buttons.append(
            f'<a href="{e(designed.action.url)}" style="{_BUTTON};background:#0f6cbd;color:#fff">'
            f"{e(designed.action.title)}</a>"
        )
    if designed.why:
        buttons.append(
            f'<a href="{e(designed.why.url)}" style="{_BUTTON};border:1px solid #0f6cbd;color:#0f6cbd">'
            f"{e(designed.why.title)}</a>"
        )
    if link and not resolved:
        buttons.append(
            f'<a href="{e(link)}" style="{_BUTTON};border:1px solid #616161;color:#242424">{ACKNOWLEDGE}</a>'
        )
    if buttons:
        parts.append("<p>" + "".join(buttons) + "</p>")
    parts.append(
        f'<p style="color:#666;font-size:12px;{_WRAP}">{e(facts.small_print(designed.ids, alert["id"]))}</p>'
    )
    return "\n".join(parts)


def html_text(items: Sequence[Mapping[str, Any]], links: Mapping[str, str] = NO_LINKS) -> str:
    blocks = "\n<hr>\n".join(_html_block(item, links.get(str(item["alert"]["id"]))) for item in items)
    return (
        '<!DOCTYPE html><html><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1"></head>'
        f'<body style="font-family:Segoe UI,Arial,sans-serif;margin:0;padding:12px;{_WRAP}">'
        f'<div style="max-width:640px">\n{blocks}\n</div></body></html>\n'
    )


def build_message(
    items: Sequence[Mapping[str, Any]],
    sender: str,
    recipient: str,
    sent_at: datetime,
    delivery_id: str,
    links: Mapping[str, str] = NO_LINKS,
) -> EmailMessage:
    message = EmailMessage()
    message["Subject"] = subject_line(items)
    message["From"] = sender
    message["To"] = recipient
    message["Date"] = format_datetime(sent_at)
    # The delivery's ID, fixed when the message was first composed and kept for every retry, so a mail
    # system can drop a copy sent again after a crash between sending and recording it.
    message["Message-ID"] = f"<{delivery_id}@pin-reset-monitor.invalid>"
    # Machine-made mail (RFC 3834): auto-responders and out-of-office replies stay quiet.
    message["Auto-Submitted"] = "auto-generated"
    message["X-Auto-Response-Suppress"] = "All"
    text, markup = with_delivery_id(plain_text(items, links), html_text(items, links), delivery_id)
    message.set_content(text)
    message.add_alternative(markup, subtype="html")
    return message


def with_delivery_id(text: str, markup: str, delivery_id: str) -> tuple[str, str]:
    """The plain-text and HTML bodies with a last line naming the delivery, so a reader sees that a
    message sent again is the same alert."""
    line = f"Delivery ID {delivery_id}"
    footer = f'<p style="color:#666;font-size:12px">{html.escape(line)}</p>\n'
    cut = markup.rfind("</body>")
    markup = markup[:cut] + footer + markup[cut:] if cut >= 0 else markup + footer
    return f"{text.rstrip()}\n\n{line}\n", markup


def recipient_target(destination: str, recipient: str) -> str:
    """The outbox target of one recipient: the address is configuration, so only its hash is stored."""
    return f"{destination}#{hashlib.sha256(recipient.lower().encode()).hexdigest()[:12]}"
