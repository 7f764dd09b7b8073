"""The confirmation page behind the link in an alert message: GET /api/confirm/{alert_id}?token=...
shows the alert and its buttons; only POST acknowledges or snoozes it.

Nothing changes on GET because link scanners open every link in mail and Teams before a person does
(Microsoft Defender for Office 365 Safe Links, for one, checks a link when it is clicked). A POST must
carry the link's token (a hidden field) and come from this page: its Origin (or Referer) must be the
app's public URL, so another site cannot make a browser send it.

The token is the authorization (the route is anonymous: a function key cannot go in an email), and
no one signs in, so the alert records who acted as "link in Teams" or "link in email"; the page says so.
Every answer is a page: 403 for a bad, expired or other-alert link, 404 for an unknown alert, never 500.
"""

from __future__ import annotations

import html
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Protocol
from urllib.parse import parse_qs

from monitor.alerts import actions, links, wording
from monitor.alerts.model import Alert
from monitor.alerts.settings import AlertSettings
from monitor.records import iso

MAX_FORM_BYTES = 4_096
SNOOZES = {"snooze-1d": ("1d", "Snooze for 1 day"), "snooze-7d": ("7d", "Snooze for 1 week")}
HEADERS = {
    "Content-Type": "text/html; charset=utf-8",
    # The page holds a token: never cached, never framed (its buttons act), never indexed, and its URL
    # is not sent as the Referer to the Microsoft pages it links to (same-origin keeps the Origin and
    # Referer of its own form POST, which the cross-site check reads).
    "Cache-Control": "no-store",
    "Referrer-Policy": "same-origin",
    "X-Frame-Options": "DENY",
    "X-Content-Type-Options": "nosniff",
    "X-Robots-Tag": "noindex, nofollow",
    "Content-Security-Policy": (
        "default-src 'none'; style-src 'unsafe-inline'; form-action 'self'; frame-ancestors 'none'; "
        "base-uri 'none'"
    ),
}


@dataclass(frozen=True)
class Request:
    method: str
    alert_id: str
    params: Mapping[str, str]
    headers: Mapping[str, str]
    body: bytes = b""


@dataclass(frozen=True)
class Page:
    status: int
    markup: str
    headers: Mapping[str, str] = field(default_factory=lambda: dict(HEADERS))

    def body(self) -> bytes:
        return self.markup.encode()


class AlertAccess(Protocol):
    """Where the page reads an alert and applies a change to it (the alert store, with its ETag retry)."""

    def read(self, alert_id: str) -> Alert | None: ...

    def change(self, alert_id: str, change: Callable[[Alert, datetime], Alert], now: datetime) -> Alert: ...


class _Refused(Exception):
    def __init__(self, status: int, title: str, reason: str) -> None:
        super().__init__(reason)
        self.page = message_page(status, title, reason)


def respond(request: Request, settings: AlertSettings, access: AlertAccess, now: datetime) -> Page:
    """The page for one request; store errors are the caller's to turn into a 503 page."""
    try:
        return _respond(request, settings, access, now)
    except _Refused as refused:
        return refused.page


def _respond(request: Request, settings: AlertSettings, access: AlertAccess, now: datetime) -> Page:
    method = request.method.upper()
    if method not in ("GET", "POST"):
        return message_page(405, "Not allowed", "This page is opened with a link and sent with its buttons.")
    if not (settings.link_key and links.public_base(settings.public_url)):
        raise _Refused(404, "Not available", "Confirmation links are not turned on for this monitor.")
    alert_id = request.alert_id.strip().lower()
    if not links.valid_alert_id(alert_id):
        raise _Refused(404, "No such alert", "There is no alert with this ID.")
    headers = {k.lower(): v for k, v in request.headers.items()}
    form = _form(request.body) if method == "POST" else {}
    token = form.get("token", "") if method == "POST" else request.params.get("token", "")
    try:
        grant = links.verify(settings.link_key, token, alert_id, now)
    except links.LinkError as exc:
        raise _Refused(403, "This link does not work", f"{str(exc)[0].upper()}{str(exc)[1:]}.") from None
    if method == "POST" and not same_site(headers, links.public_base(settings.public_url)):
        raise _Refused(
            403,
            "Not sent from this page",
            "This form was sent from another site, so it was refused. Open the link in the alert "
            "message and use the buttons on the page.",
        )
    alert = access.read(alert_id)
    if alert is None:
        raise _Refused(404, "No such alert", "There is no alert with this ID; it may have been removed.")
    if alert.cycle != grant.cycle:
        raise _Refused(
            403,
            "This link is for an earlier occurrence",
            "This alert resolved and opened again since this link was sent. Use the link in the latest "
            "message about it.",
        )
    if method == "GET":
        return alert_page(200, alert, grant, token, "", now)
    action = form.get("action", "")
    until = now + actions.parse_duration(SNOOZES[action][0]) if action in SNOOZES else now

    def change(alert: Alert, at: datetime) -> Alert:
        # The alert as re-read for the change: a pass may have resolved and reopened it meanwhile.
        if alert.cycle != grant.cycle:
            raise actions.ActionError(
                "the alert opened again since this link was sent; use the latest message"
            )
        if action == "ack":
            return actions.acknowledge(alert, grant.acknowledger, at)
        return actions.snooze(alert, until, at)

    if action == "ack" and "ack" in grant.actions:
        done = "Acknowledged: no more reminders about this alert until it resolves and opens again."
    elif action in SNOOZES and "snooze" in grant.actions:
        done = f"Snoozed until {_when(until)}: no notices about this alert until then."
    else:
        raise _Refused(400, "Unknown action", "Use one of the buttons on the page.")
    try:
        changed = access.change(alert_id, change, now)
    except actions.ActionError as exc:
        return alert_page(409, alert, grant, token, f"Nothing changed: {exc}.", now)
    return alert_page(200, changed, grant, token, done, now)


def _form(body: bytes) -> dict[str, str]:
    if len(body) > MAX_FORM_BYTES:
        raise _Refused(400, "Not a form from this page", "The request is too large for this form.")
    try:
        fields = parse_qs(body.decode("ascii"), strict_parsing=False, max_num_fields=10)
    except (UnicodeDecodeError, ValueError):
        raise _Refused(400, "Not a form from this page", "The request is not this page's form.") from None
    return {name: values[0] for name, values in fields.items() if values}


def same_site(headers: Mapping[str, str], public: str) -> bool:
    """Whether a POST came from a page of this app: its Origin, else its Referer, is the public URL.
    A browser sends Origin with every form POST; with neither header the request is refused."""
    origin = headers.get("origin")
    if origin is not None:
        return origin.strip().rstrip("/").lower() == public.lower()
    referer = headers.get("referer", "")
    return bool(referer) and links.public_base(referer).lower() == public.lower()


# -- pages -------------------------------------------------------------------------------------------

_STYLE = """
body{font-family:'Segoe UI',system-ui,Arial,sans-serif;margin:0;padding:16px;color:#242424;
overflow-wrap:anywhere;word-break:break-word}
main{max-width:560px;margin:0 auto}
h1{font-size:20px;margin:0 0 12px}
table{width:100%;border-collapse:collapse;table-layout:fixed;margin:0 0 16px}
th{text-align:left;vertical-align:top;width:40%;padding:4px 8px 4px 0;color:#444;font-weight:600;
overflow-wrap:normal;word-break:normal}
td{padding:4px 0}
.done{background:#dff6dd;border-left:4px solid #107c10;padding:8px 12px;margin:0 0 16px}
.problem{background:#fde7e9;border-left:4px solid #a4262c;padding:8px 12px;margin:0 0 16px}
button{font:600 15px 'Segoe UI',system-ui,Arial,sans-serif;padding:10px 16px;margin:0 8px 8px 0;
border-radius:4px;border:1px solid #616161;background:#fff;color:#242424;cursor:pointer}
button.primary{background:#0f6cbd;border-color:#0f6cbd;color:#fff}
.note{color:#616161;font-size:13px}
"""


def _page(status: int, title: str, content: str) -> Page:
    markup = (
        '<!DOCTYPE html><html lang="en"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f'<meta name="robots" content="noindex"><title>{html.escape(title)}</title>'
        f"<style>{_STYLE}</style></head><body><main>\n{content}\n</main></body></html>\n"
    )
    return Page(status, markup)


def message_page(status: int, title: str, reason: str) -> Page:
    """A page that only says why nothing can be done here."""
    e = html.escape
    return _page(
        status,
        title,
        f'<h1>{e(title)}</h1><p class="problem">{e(reason)}</p>'
        '<p class="note">Nothing was changed. Alerts can also be acknowledged and snoozed from the '
        "monitor's command line.</p>",
    )


def _when(moment: datetime) -> str:
    return wording.when(iso(moment))


def alert_page(
    status: int, alert: Alert, grant: links.Grant, token: str, outcome: str, now: datetime
) -> Page:
    """The alert, what was just done (if anything), and the buttons that still apply."""
    e = html.escape
    rows = [
        ("Tenant", alert.tenant_name or alert.tenant_id),
        ("Severity", alert.severity.capitalize()),
        ("State", f"open since {_when(alert.opened_at)}" if alert.state == "open" else "resolved"),
    ]
    if alert.acknowledged_at:
        by = f" by {alert.acknowledged_by}" if alert.acknowledged_by else ""
        rows.append(("Acknowledged", f"{_when(alert.acknowledged_at)}{by}"))
    if alert.snoozed(now) and alert.snoozed_until:
        rows.append(("Snoozed until", _when(alert.snoozed_until)))
    rows.append(("Alert ID", alert.id))
    table = "".join(f"<tr><th>{e(k)}</th><td>{e(v)}</td></tr>" for k, v in rows)
    parts = [f"<h1>{e(alert.title)}</h1>"]
    if outcome:
        parts.append(f'<p class="{"done" if status == 200 else "problem"}">{e(outcome)}</p>')
    parts.append(f"<table>{table}</table>")
    buttons = []
    if alert.state == "open" and "ack" in grant.actions and alert.acknowledged_at is None:
        buttons.append('<button class="primary" type="submit" name="action" value="ack">Acknowledge</button>')
    if "snooze" in grant.actions:
        buttons += [
            f'<button type="submit" name="action" value="{name}">{e(label)}</button>'
            for name, (_, label) in SNOOZES.items()
        ]
    if alert.state == "resolved":
        parts.append("<p>This alert is resolved: there is nothing to acknowledge.</p>")
    if buttons:
        parts.append(
            f'<form method="post" action="/{links.ROUTE}/{e(alert.id)}">'
            f'<input type="hidden" name="token" value="{e(token)}">' + "".join(buttons) + "</form>"
        )
    parts.append(
        '<p class="note">Opening this page changed nothing: mail and Teams security scanners open '
        "every link in a message, so only these buttons act. No one signs in here: the alert records "
        f"who acted as \u201c{e(grant.acknowledger)}\u201d. This link works for this alert only, until "
        f"{e(_when(grant.expires))}.</p>"
    )
    return _page(status, alert.title, "\n".join(parts))
