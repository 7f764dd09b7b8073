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

from monitor.alerts.content import evidence_facts, headline


def subject_line(items: Sequence[Mapping[str, Any]]) -> str:
    tenants = sorted({i["tenant"]["displayName"] or i["tenant"]["id"] for i in items})
    if len(items) == 1:
        item = items[0]
        return f"[{item['alert']['severity'].upper()}] {headline(item)} ({tenants[0]})"
    opened = sum(1 for i in items if i["event"] != "resolved")
    resolved = len(items) - opened
    parts = [f"{opened} need attention"] * bool(opened) + [f"{resolved} resolved"] * bool(resolved)
    return f"PIN reset monitor: {len(items)} alerts for {', '.join(tenants)} ({', '.join(parts)})"


def plain_text(items: Sequence[Mapping[str, Any]]) -> str:
    lines: list[str] = []
    for item in items:
        alert = item["alert"]
        tenant = item["tenant"]
        lines += [
            headline(item),
            "=" * min(len(headline(item)), 78),
            f"Severity: {alert['severity']}",
            f"Tenant: {tenant['displayName'] or tenant['id']} ({tenant['id']})",
            f"Rule: {alert['rule']}   Subject: {alert['subject']}",
            f"First seen: {alert['failingSince']}",
        ]
        if item["event"] == "resolved":
            lines.append(f"Resolved at: {alert['resolvedAt']}")
        was = "What was wrong: " if item["event"] == "resolved" else ""
        lines += ["", was + alert["detail"], ""]
        if item["event"] != "resolved":
            facts = evidence_facts(alert["evidence"])
            if facts:
                lines += ["Evidence:"] + [f"  {label}: {value}" for label, value in facts] + [""]
            if item["remediation"]:
                lines += ["What to do:", item["remediation"], ""]
            lines += [f"Grant admin consent ({link['app']}): {link['url']}" for link in item["consentLinks"]]
        lines += [f"Reference: {url}" for url in item["references"][:3]]
        lines += [f"Alert {alert['id']}; acknowledge: python -m monitor alerts ack {alert['id']}", "", ""]
    return "\n".join(lines).rstrip() + "\n"


def _html_block(item: Mapping[str, Any]) -> str:
    alert = item["alert"]
    tenant = item["tenant"]
    e = html.escape
    colour = "#107c10" if item["event"] == "resolved" else "#a4262c"
    rows = [
        ("Severity", alert["severity"]),
        ("Tenant", f"{tenant['displayName'] or tenant['id']} ({tenant['id']})"),
        ("Rule", alert["rule"]),
        ("Subject", alert["subject"]),
        ("First seen", alert["failingSince"]),
    ]
    if item["event"] == "resolved":
        rows.append(("Resolved at", alert["resolvedAt"] or "-"))
    parts = [
        f'<h2 style="color:{colour};font-size:18px">{e(headline(item))}</h2>',
        "<table>"
        + "".join(f"<tr><th align=left>{e(k)}</th><td>{e(v)}</td></tr>" for k, v in rows)
        + "</table>",
        f"<p>{'What was wrong: ' if item['event'] == 'resolved' else ''}{e(alert['detail'])}</p>",
    ]
    if item["event"] != "resolved":
        facts = evidence_facts(alert["evidence"])
        if facts:
            parts.append(
                "<h3>Evidence</h3><table>"
                + "".join(f"<tr><th align=left>{e(k)}</th><td>{e(v)}</td></tr>" for k, v in facts)
                + "</table>"
            )
        if item["remediation"]:
            parts.append(f"<h3>What to do</h3><p>{e(item['remediation'])}</p>")
        parts += [
            f'<p><a href="{e(link["url"])}">Grant admin consent: {e(link["app"])}</a></p>'
            for link in item["consentLinks"]
        ]
    parts += [f'<p><a href="{e(url)}">{e(url)}</a></p>' for url in item["references"][:3]]
    parts.append(
        f'<p style="color:#666;font-size:12px">Alert {e(alert["id"])}; acknowledge with '
        f"<code>python -m monitor alerts ack {e(alert['id'])}</code></p>"
    )
    return "\n".join(parts)


def html_text(items: Sequence[Mapping[str, Any]]) -> str:
    blocks = "\n<hr>\n".join(_html_block(item) for item in items)
    return (
        '<!DOCTYPE html><html><head><meta charset="utf-8"></head>'
        f'<body style="font-family:Segoe UI,Arial,sans-serif">\n{blocks}\n</body></html>\n'
    )


def build_message(
    items: Sequence[Mapping[str, Any]], sender: str, recipient: str, sent_at: datetime, delivery_id: str
) -> EmailMessage:
    message = EmailMessage()
    message["Subject"] = subject_line(items)
    message["From"] = sender
    message["To"] = recipient
    message["Date"] = format_datetime(sent_at)
    # The delivery's ID, fixed when the message was first composed and kept for every retry, so a mail
    # system can drop a copy sent again after a crash between sending and recording it.
    message["Message-ID"] = f"<{delivery_id}@pin-reset-monitor.invalid>"
    text, markup = with_delivery_id(plain_text(items), html_text(items), delivery_id)
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
