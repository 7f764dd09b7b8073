"""The weekly report through the alert channels: every configured destination gets it once a week.

- Teams: an Adaptive Card with the headline figures (monitor.weekly.delivery.teams_card);
- email: the headline figures as the body, in HTML and plain text, with report.html attached, one
  message per recipient, through Graph sendMail or Azure Communication Services as alerts are sent;
- webhook: the report's JSON, signed like every notification (X-Monitor-Signature).

The report is kept in Table Storage whatever happens here; a destination that does not take it is
reported in one line and the next week's report goes out as usual (a weekly summary is not retried:
the next one supersedes it). Secrets (URLs, keys) come from the settings and are never logged.
"""

from __future__ import annotations

import hashlib
import logging
from datetime import datetime
from email.message import EmailMessage
from email.utils import format_datetime
from typing import TYPE_CHECKING

import httpx
import orjson

from monitor.alerts import webhook
from monitor.alerts.delivery import Outcome, post_json, send_acs_mail, send_graph_mail
from monitor.records import iso
from monitor.settings import AlertDestination, AlertSettings
from monitor.weekly.delivery import email_body, email_subject, report_location, teams_card

if TYPE_CHECKING:
    from monitor.graph.session import GraphSession
    from monitor.weekly.report import WeeklyReport

log = logging.getLogger(__name__)


def plain_body(report: WeeklyReport) -> str:
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


# `kind: "weeklyReport"` is new in version 1.1 of the webhook schema (docs/webhook-schema-v1.1.json);
# alert notices keep saying "1", which every 1.x receiver takes.
WEEKLY_SCHEMA_VERSION = "1.1"


def weekly_delivery_id(report: WeeklyReport) -> str:
    """Stable for one tenant's report of one week: a resend carries the same ID, so a receiver that
    drops duplicates by X-Monitor-Delivery drops it."""
    key = f"{report.snapshot.tenant.id}|{iso(report.snapshot.period_end)}"
    return f"weekly.{hashlib.sha256(key.encode()).hexdigest()[:16]}"


def webhook_body(report: WeeklyReport, at: datetime) -> bytes:
    return orjson.dumps(
        {
            "schemaVersion": WEEKLY_SCHEMA_VERSION,
            "source": "pin-reset-monitor",
            "deliveryId": weekly_delivery_id(report),
            "kind": "weeklyReport",
            "sentAt": iso(at),
            "report": report.to_json(),
        }
    )


async def send_weekly(
    report: WeeklyReport,
    html: str,
    settings: AlertSettings,
    graph: GraphSession | None,
    at: datetime,
    saved_to: str = "",
) -> list[str]:
    """Hand one tenant's weekly report to every destination; one line per destination (or recipient)
    saying whether it took it. `saved_to`: where report.html was written, for the Teams card."""
    said: list[str] = []
    emailed = any(d.channel == "email" and d.recipients for d in settings.destinations)
    where = report_location(emailed, saved_to)
    async with httpx.AsyncClient(timeout=settings.request_timeout_seconds) as http:
        for destination in settings.destinations:
            for what, outcome in await _send(report, html, destination, settings, http, graph, at, where):
                line = f"{what}: sent" if outcome.kind == "sent" else f"{what}: not sent ({outcome.reason})"
                if outcome.kind != "sent":
                    log.warning("weekly report %s", line)
                said.append(line)
    return said


async def _send(
    report: WeeklyReport,
    html: str,
    destination: AlertDestination,
    settings: AlertSettings,
    http: httpx.AsyncClient,
    graph: GraphSession | None,
    at: datetime,
    where: str,
) -> list[tuple[str, Outcome]]:
    what = f"{destination.channel} destination {destination.name}"
    if destination.channel == "teams":
        body = orjson.dumps(teams_card(report, where))  # already the Workflows message around the card
        return [(what, await post_json(http, destination.url, body, {}, what, at))]
    if destination.channel == "webhook":
        body = webhook_body(report, at)
        headers = {
            webhook.SIGNATURE_HEADER: webhook.signature(destination.hmac_key, body),
            webhook.DELIVERY_HEADER: weekly_delivery_id(report),
        }
        return [(what, await post_json(http, destination.url, body, headers, what, at))]
    sent = []
    for recipient in destination.recipients:
        message = weekly_email(report, html, settings.email_sender, recipient, at)
        to = f"{what} ({recipient})"
        if settings.email_transport == "acs":
            outcome = await send_acs_mail(
                settings.acs_connection_string,
                settings.email_sender,
                recipient,
                message,
                to,
                settings.request_timeout_seconds,
            )
        elif graph is None:
            outcome = Outcome("dead", "email through Graph needs a Graph session")
        else:
            outcome = await send_graph_mail(graph, settings.email_sender, message, to)
        sent.append((to, outcome))
    return sent
