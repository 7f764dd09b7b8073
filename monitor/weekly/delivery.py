"""The weekly report as the alert channels send it: an email body and a Teams card.

Delivery itself belongs to the alert channels; these only build what they post. The email body is plain
HTML tables (mail clients drop inline SVG and most CSS), with report.html meant as its attachment; the
Teams card is an Adaptive Card 1.4 message of the headline figures, in the envelope Teams Workflows
webhooks take (`{"type": "message", "attachments": [...]}`).
"""

from __future__ import annotations

from html import escape
from typing import Any

from monitor.weekly.report import WeeklyReport

CARD_VERSION = "1.4"


def email_subject(report: WeeklyReport) -> str:
    s = report.snapshot
    return f"Weekly PIN reset and TAP compliance: {s.tenant.display_name}, week to {s.period_end:%Y-%m-%d}"


def email_body(report: WeeklyReport) -> str:
    s, c = report.snapshot, report.changes
    rows = "".join(
        f'<tr><td style="padding:4px 12px 4px 0">{escape(k)}</td>'
        f'<td style="padding:4px 0"><b>{escape(v)}</b></td></tr>'
        for k, v in report.headline()
    )
    findings = "".join(
        f"<li>{escape(f.severity)}: {escape(f.title)} ({escape(f.subject)})</li>"
        for f in s.open_findings[:20]
    )
    more = (
        f"<p>and {len(s.open_findings) - 20} more in the attached report.</p>"
        if len(s.open_findings) > 20
        else ""
    )
    return (
        "<!DOCTYPE html><html>"
        '<body style="font-family:Segoe UI,Arial,sans-serif;font-size:14px;color:#1a202c">'
        f'<h2 style="margin:0 0 4px">{escape(email_subject(report))}</h2>'
        f"<p>{escape(c.summary)}</p>"
        f"<table>{rows}</table>"
        + (f"<h3>Open findings</h3><ul>{findings}</ul>{more}" if findings else "<p>No open findings.</p>")
        + "<p>The full report with its charts is attached (report.html).</p></body></html>"
    )


def teams_card(report: WeeklyReport) -> dict[str, Any]:
    s, c = report.snapshot, report.changes
    card = {
        "type": "AdaptiveCard",
        "$schema": "http://adaptivecards.io/schemas/adaptive-card.json",
        "version": CARD_VERSION,
        "body": [
            {
                "type": "TextBlock",
                "size": "Large",
                "weight": "Bolder",
                "wrap": True,
                "text": "Weekly PIN reset and TAP compliance",
            },
            {
                "type": "TextBlock",
                "isSubtle": True,
                "spacing": "None",
                "wrap": True,
                "text": f"{s.tenant.display_name}, {s.period_start:%d %b} to {s.period_end:%d %b %Y}",
            },
            {"type": "TextBlock", "wrap": True, "text": c.summary},
            {"type": "FactSet", "facts": [{"title": k, "value": v} for k, v in report.headline()]},
        ],
    }
    return {
        "type": "message",
        "attachments": [
            {"contentType": "application/vnd.microsoft.card.adaptive", "contentUrl": None, "content": card}
        ],
    }
