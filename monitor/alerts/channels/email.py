"""The email channel. Alert email: one message per recipient per pass, HTML with a plain-text
alternative (multipart/alternative), built once with Python's email package and sent either through
Graph sendMail in MIME form or through Azure Communication Services Email. The weekly report: its
headline figures as the body, in HTML and plain text, with report.html attached, one message per
recipient, sent the same way."""

from __future__ import annotations

import hashlib
import html
import re
from collections.abc import Mapping, Sequence
from datetime import datetime
from email.message import EmailMessage
from email.utils import format_datetime
from typing import TYPE_CHECKING, Any

from monitor.alerts import delivery, facts, wording
from monitor.alerts.channels.base import Notices, Rollup, Via, Weekly, what
from monitor.alerts.content import headline
from monitor.alerts.delivery import Outcome
from monitor.alerts.settings import AlertDestination
from monitor.records import iso
from monitor.weekly.delivery import email_body, email_subject, rollup_email_body, rollup_line, rollup_subject

if TYPE_CHECKING:
    from monitor.weekly.report import WeeklyReport
    from monitor.weekly.rollup import WeeklyRollup

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


def _rows(item: Mapping[str, Any]) -> tuple[wording.Message, list[tuple[str, str]]]:
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
    rows.append(("First seen", wording.when(alert["failingSince"])))
    if resolved and alert.get("resolvedAt"):
        rows.append(("Resolved", wording.when(alert["resolvedAt"])))
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


def plain_body(report: WeeklyReport) -> str:
    """The weekly report's plain-text body."""
    lines = [email_subject(report), "", report.changes.summary, ""]
    alarms = report.alarms()
    if alarms:
        lines += ["Needs attention: " + "; ".join(f"{k}: {v}" for k, v in alarms) + ".", ""]
    lines += [f"{name}: {value}" for name, value in report.headline()]
    lines += ["", "The full report with its charts is attached (report.html)."]
    return "\n".join(lines) + "\n"


def weekly_email(report: WeeklyReport, html: str, sender: str, recipient: str, at: datetime) -> EmailMessage:
    message = EmailMessage()
    message["Subject"] = email_subject(report)
    message["From"] = sender
    message["To"] = recipient
    message["Date"] = format_datetime(at)
    key = f"{report.snapshot.tenant.id}|{iso(report.snapshot.period_end)}|{recipient}"
    message["Message-ID"] = (
        f"<weekly-{hashlib.sha256(key.encode()).hexdigest()[:24]}@pin-reset-monitor.invalid>"
    )
    # Machine-made mail (RFC 3834): auto-responders and out-of-office replies stay quiet.
    message["Auto-Submitted"] = "auto-generated"
    message["X-Auto-Response-Suppress"] = "All"
    message.set_content(plain_body(report))
    message.add_alternative(email_body(report), subtype="html")
    message.add_attachment(html.encode(), maintype="text", subtype="html", filename="report.html")
    return message


# The channel (monitor.alerts.channels.base.Channel): every notice due to one recipient in one message.
BUNDLES = True
_ADDRESS = re.compile(r"[^@\s]+@[^@\s]+\.[^@\s]+")


def configure(name: str, prefix: str, env: Mapping[str, str], problems: list[str]) -> dict[str, Any]:
    recipients = tuple(r.strip() for r in env.get(f"{prefix}_RECIPIENTS", "").split(",") if r.strip())
    if not recipients:
        problems.append(f"{prefix}_RECIPIENTS must list at least one address for {name}")
    bad = [n for n, r in enumerate(recipients, 1) if not _ADDRESS.fullmatch(r)]
    if bad:
        problems.append(f"{prefix}_RECIPIENTS: entries {bad} are not email addresses")
    return {"recipients": recipients}


def targets(destination: AlertDestination) -> tuple[str, ...]:
    return tuple(recipient_target(destination.name, r) for r in destination.recipients)


def _recipient(notices: Notices) -> str | None:
    name = notices.destination.name
    return next(
        (r for r in notices.destination.recipients if recipient_target(name, r) == notices.target), None
    )


def render_notices(notices: Notices, via: Via) -> EmailMessage | None:
    """The message to the target's recipient; None when that recipient is no longer configured."""
    recipient = _recipient(notices)
    if recipient is None:
        return None
    return build_message(
        notices.items,
        via.settings.email_sender,
        recipient,
        via.now,
        notices.delivery_id,
        via.links(notices.items, "email"),
    )


def render_weekly(weekly: Weekly, via: Via) -> list[EmailMessage]:
    sender = via.settings.email_sender
    return [
        weekly_email(weekly.report, weekly.html, sender, r, via.now) for r in weekly.destination.recipients
    ]


async def _send(message: EmailMessage, recipient: str, said: str, via: Via, no_graph: Outcome) -> Outcome:
    settings = via.settings
    if settings.email_transport == "acs":
        return await delivery.send_acs_mail(
            settings.acs_connection_string,
            settings.email_sender,
            recipient,
            message,
            said,
            settings.request_timeout_seconds,
        )
    if via.graph is None:
        return no_graph
    return await delivery.send_graph_mail(via.graph, settings.email_sender, message, said)


async def send_notices(notices: Notices, via: Via) -> Outcome:
    said = what(notices.destination)
    recipient = _recipient(notices)
    if recipient is None:
        return Outcome("dead", f"{said}: the recipient is no longer configured")
    try:
        message = render_notices(notices, via)
    except (KeyError, TypeError, IndexError) as exc:
        return Outcome("dead", f"{said}: a stored notice is not in the expected shape ({exc!r})")
    assert message is not None
    return await _send(
        message, recipient, said, via, Outcome("retry", f"{said}: no Graph session in this run")
    )


async def send_weekly(weekly: Weekly, via: Via) -> list[tuple[str, Outcome]]:
    # A weekly summary is not retried (the next one supersedes it): without Graph it is not sent.
    no_graph = Outcome("dead", "email through Graph needs a Graph session")
    sent = []
    for recipient, message in zip(weekly.destination.recipients, render_weekly(weekly, via), strict=True):
        to = f"{what(weekly.destination)} ({recipient})"
        sent.append((to, await _send(message, recipient, to, via, no_graph)))
    return sent


def rollup_email(rollup: WeeklyRollup, html: str, sender: str, recipient: str, at: datetime) -> EmailMessage:
    """The roll-up's message: the per-tenant lines as the body, rollup.html attached."""
    message = EmailMessage()
    message["Subject"] = rollup_subject(rollup)
    message["From"] = sender
    message["To"] = recipient
    message["Date"] = format_datetime(at)
    key = f"rollup|{iso(rollup.period_end)}|{recipient}"
    message["Message-ID"] = (
        f"<rollup-{hashlib.sha256(key.encode()).hexdigest()[:24]}@pin-reset-monitor.invalid>"
    )
    message["Auto-Submitted"] = "auto-generated"
    message["X-Auto-Response-Suppress"] = "All"
    lines = [rollup_subject(rollup), "", rollup.summary(), ""]
    lines += [f"{row.display_name or row.tenant_id}: {rollup_line(row)}" for row in rollup.rows]
    lines += ["", "The full roll-up is attached (rollup.html)."]
    message.set_content("\n".join(lines) + "\n")
    message.add_alternative(rollup_email_body(rollup), subtype="html")
    message.add_attachment(html.encode(), maintype="text", subtype="html", filename="rollup.html")
    return message


def render_rollup(rollup: Rollup, via: Via) -> list[EmailMessage]:
    sender = via.settings.email_sender
    return [
        rollup_email(rollup.rollup, rollup.html, sender, r, via.now) for r in rollup.destination.recipients
    ]


async def send_rollup(rollup: Rollup, via: Via) -> list[tuple[str, Outcome]]:
    no_graph = Outcome("dead", "email through Graph needs a Graph session")
    sent = []
    for recipient, message in zip(rollup.destination.recipients, render_rollup(rollup, via), strict=True):
        to = f"{what(rollup.destination)} ({recipient})"
        sent.append((to, await _send(message, recipient, to, via, no_graph)))
    return sent
