"""The weekly report (and the roll-up across tenants) as the alert channels send it: an email body and
a Teams card.

Delivery itself belongs to the alert channels; these only build what they post. The email body is plain
HTML tables (mail clients drop inline SVG and most CSS), with report.html meant as its attachment; the
Teams card is an Adaptive Card 1.4 message of the headline figures, in the envelope Teams Workflows
webhooks take (`{"type": "message", "attachments": [...]}`).
"""

from __future__ import annotations

from html import escape
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from monitor.weekly.report import WeeklyReport
    from monitor.weekly.rollup import RollupRow, WeeklyRollup

CARD_VERSION = "1.4"
# The card's label column is about 100 px on a phone: the report's labels, shortened.
CARD_LABELS = {
    "PIN reset apps consented and enabled": "Apps consented",
    "PIN recovery policy": "PIN recovery",
    "Devices ready for a non-destructive reset": "Devices ready",
    "PIN reset attempts": "Reset attempts",
    "PIN reset failure rate": "Failure rate",
    "Temporary Access Passes issued / used": "TAPs issued, used",
}


def email_subject(report: WeeklyReport) -> str:
    s = report.snapshot
    return f"Weekly PIN reset and TAP compliance: {s.tenant.display_name}, week to {s.period_end:%Y-%m-%d}"


ATTACHED = "The full report with its charts is attached to the weekly email (report.html)."


def report_location(emailed: bool, saved_to: str = "") -> str:
    """Where a reader of the Teams card finds the full report: attached to the weekly email, saved to
    the report folder, or both; the card cannot carry the page itself."""
    parts = []
    if emailed:
        parts.append("attached to the weekly email (report.html)")
    if saved_to:
        parts.append(f"saved as {saved_to}")
    if not parts:
        return (
            "The full report is kept with the monitor's weekly snapshots; ask its operator for report.html."
        )
    return "The full report with its charts is " + " and ".join(parts) + "."


def _alarm_text(report: WeeklyReport) -> str:
    return "; ".join(f"{label}: {value}" for label, value in report.alarms())


def email_body(report: WeeklyReport) -> str:
    s, c = report.snapshot, report.changes
    red = "color:#c53030;font-weight:700"
    rows = "".join(
        f'<tr><td style="padding:4px 12px 4px 0;vertical-align:top">{escape(k)}</td>'
        f'<td style="padding:4px 0;vertical-align:top;{red if tone == "bad" else "font-weight:700"}">'
        f"{escape(v)}</td></tr>"
        for k, v, tone in report.figures()
    )
    alarm = f'<p style="{red}">Needs attention: {escape(_alarm_text(report))}.</p>' if report.alarms() else ""
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
        '<!DOCTYPE html><html><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1"></head>'
        '<body style="font-family:Segoe UI,Arial,sans-serif;font-size:14px;color:#1a202c;'
        'overflow-wrap:anywhere;margin:0;padding:12px">'
        f'<h2 style="margin:0 0 4px;font-size:18px">{escape(email_subject(report))}</h2>'
        f"<p>{escape(c.summary)}</p>{alarm}"
        f'<table style="border-collapse:collapse;max-width:640px">{rows}</table>'
        + (f"<h3>Open findings</h3><ul>{findings}</ul>{more}" if findings else "<p>No open findings.</p>")
        + f"<p>{escape(ATTACHED)}</p></body></html>"
    )


def teams_card(report: WeeklyReport, where: str = ATTACHED) -> dict[str, Any]:
    """The headline figures, what needs attention first (red), and where the full report is."""
    s, c = report.snapshot, report.changes
    body: list[dict[str, Any]] = [
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
    ]
    if report.alarms():
        body.append(
            {
                "type": "TextBlock",
                "wrap": True,
                "weight": "Bolder",
                "color": "Attention",
                "text": f"Needs attention: {_alarm_text(report)}",
            }
        )
    body += [
        {"type": "TextBlock", "wrap": True, "text": c.summary},
        {
            "type": "FactSet",
            "facts": [{"title": CARD_LABELS.get(k, k), "value": v} for k, v in report.headline()],
        },
        {"type": "TextBlock", "wrap": True, "isSubtle": True, "separator": True, "text": where},
    ]
    return _teams_message(body)


def _teams_message(body: list[dict[str, Any]]) -> dict[str, Any]:
    """An Adaptive Card 1.4 of `body` as the body a Teams Workflows webhook takes."""
    card = {
        "type": "AdaptiveCard",
        "$schema": "http://adaptivecards.io/schemas/adaptive-card.json",
        "version": CARD_VERSION,
        "body": body,
    }
    return {
        "type": "message",
        "attachments": [
            {"contentType": "application/vnd.microsoft.card.adaptive", "contentUrl": None, "content": card}
        ],
    }


# -- the roll-up across tenants ------------------------------------------------------------------------

# Tenants named one by one on the card and in the email body; the rest are in rollup.html.
ROLLUP_LISTED = 15


def rollup_subject(rollup: WeeklyRollup) -> str:
    return f"Weekly roll-up across {len(rollup.rows)} tenant(s), week to {rollup.period_end:%Y-%m-%d}"


def rollup_location(emailed: bool, saved_to: str = "") -> str:
    """Where a reader of the roll-up's card finds rollup.html."""
    parts = (["attached to the roll-up email"] if emailed else []) + (
        [f"saved as {saved_to}"] if saved_to else []
    )
    if not parts:
        return (
            "The full roll-up is written with the weekly reports; ask the monitor's operator for rollup.html."
        )
    return "The full roll-up (rollup.html) is " + " and ".join(parts) + "."


def rollup_line(row: RollupRow) -> str:
    """One tenant in a few words: what is open, what changed, quarantine, TAP sign-ins unreviewed."""
    from monitor.rules.base import SEVERITIES

    open_parts = [f"{row.open_findings[s]} {s}" for s in SEVERITIES if row.open_findings[s]]
    parts = [("open: " + ", ".join(open_parts)) if open_parts else "no open findings", row.change_text()]
    if row.state == "quarantined":
        parts.insert(0, f"QUARANTINED ({row.quarantine_text()})")
    if row.unreviewed_tap_signins:
        parts.append(f"{row.unreviewed_tap_signins} TAP sign-in(s) unreviewed")
    return "; ".join(parts)


def _rollup_rest(rollup: WeeklyRollup) -> str:
    rest = len(rollup.rows) - ROLLUP_LISTED
    return f"and {rest} more tenant(s) in rollup.html." if rest > 0 else ""


def rollup_email_body(rollup: WeeklyRollup) -> str:
    red = "color:#c53030;font-weight:700"
    items = "".join(
        f"<li><b>{escape(r.display_name or '(no name)')}</b>: "
        + (
            f'<span style="{red}">{escape(rollup_line(r))}</span>'
            if r.state == "quarantined"
            else escape(rollup_line(r))
        )
        + "</li>"
        for r in rollup.rows[:ROLLUP_LISTED]
    )
    rest = _rollup_rest(rollup)
    return (
        '<!DOCTYPE html><html><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1"></head>'
        '<body style="font-family:Segoe UI,Arial,sans-serif;font-size:14px;color:#1a202c;'
        'overflow-wrap:anywhere;margin:0;padding:12px">'
        f'<h2 style="margin:0 0 4px;font-size:18px">{escape(rollup_subject(rollup))}</h2>'
        f"<p>{escape(rollup.summary())}</p><p>Tenants, most in need first:</p><ul>{items}</ul>"
        + (f"<p>{escape(rest)}</p>" if rest else "")
        + "<p>The full roll-up is attached (rollup.html).</p></body></html>"
    )


def rollup_card(rollup: WeeklyRollup, where: str) -> dict[str, Any]:
    """The roll-up's totals and its first tenants, most in need first, one fact each."""
    body: list[dict[str, Any]] = [
        {"type": "TextBlock", "size": "Large", "weight": "Bolder", "wrap": True, "text": "Weekly roll-up"},
        {
            "type": "TextBlock",
            "isSubtle": True,
            "spacing": "None",
            "wrap": True,
            "text": f"{len(rollup.rows)} tenant(s), week to {rollup.period_end:%d %b %Y}",
        },
        {"type": "TextBlock", "wrap": True, "text": rollup.summary()},
        {
            "type": "FactSet",
            "facts": [
                {"title": r.display_name or "(no name)", "value": rollup_line(r)}
                for r in rollup.rows[:ROLLUP_LISTED]
            ],
        },
    ]
    rest = _rollup_rest(rollup)
    if rest:
        body.append({"type": "TextBlock", "wrap": True, "text": rest})
    body.append({"type": "TextBlock", "wrap": True, "isSubtle": True, "separator": True, "text": where})
    return _teams_message(body)
