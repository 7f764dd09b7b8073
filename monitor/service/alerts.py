"""What a person does with alerts: list them and their notifications, acknowledge or snooze one (the CLI,
`POST /api/alerts/{id}/{action}` and the confirmation page behind a message's link)."""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from datetime import datetime
from typing import TYPE_CHECKING, Literal

from monitor.errors import NotFound
from monitor.records import utcnow
from monitor.service.answer import Answer

if TYPE_CHECKING:
    from monitor.alerts.model import Alert, Notification
    from monitor.service.runtime import Runtime

log = logging.getLogger(__name__)


class UnknownAlert(NotFound):
    """No alert has this ID."""


def list_alerts(
    runtime: Runtime, tenant_id: str | None = None, state: Literal["open", "resolved", "all"] = "open"
) -> list[Alert]:
    store = runtime.alerts
    found = store.alerts(tenant_id) if tenant_id else store.all_alerts()
    return [a for a in found if state == "all" or a.state == state]


def outbox(
    runtime: Runtime, tenant_id: str | None, status: Literal["pending", "delivered", "dead"] | None
) -> list[Notification]:
    store = runtime.alerts
    tenants = [tenant_id] if tenant_id else sorted({a.tenant_id for a in store.all_alerts()})
    return [n for t in tenants for n in store.notifications(t, status)]


def change_alert(
    runtime: Runtime,
    alert_id: str,
    change: Callable[[Alert, datetime], Alert],
    now: datetime | None = None,
) -> Alert:
    """Apply a person's action to one alert, re-reading it if a pass wrote it meanwhile (ETag).
    Raises UnknownAlert, or actions.ActionError for an action that does not apply."""
    from monitor.store.alerts import AlertConflict

    moment = now or utcnow()
    store = runtime.alerts
    for _ in range(3):
        alert = store.alert_by_id(alert_id.strip().lower())
        if alert is None:
            raise UnknownAlert(f"no alert {alert_id!r} (python -m monitor alerts --state all lists them)")
        try:
            return store.save_alert(change(alert, moment))
        except AlertConflict:
            log.warning("alert changed while being updated, re-reading: alert=%s", alert_id)
    raise AlertConflict(f"alert {alert_id} kept changing; try again")


def acknowledge_alert(runtime: Runtime, alert_id: str, by: str = "", now: datetime | None = None) -> Alert:
    from monitor.alerts import actions

    return change_alert(runtime, alert_id, lambda alert, at: actions.acknowledge(alert, by, at), now)


def snooze_alert(
    runtime: Runtime,
    alert_id: str,
    duration: str | None = None,
    until: str | None = None,
    now: datetime | None = None,
) -> Alert:
    from monitor.alerts import actions

    moment = now or utcnow()
    ends = actions.snooze_until(moment, duration, until)
    return change_alert(runtime, alert_id, lambda alert, at: actions.snooze(alert, ends, at), moment)


def alert_request(runtime: Runtime, alert_id: str, action: str, body: bytes) -> Answer:
    """POST /api/alerts/{id}/{action}: acknowledge (`ack`, body `{"by"?}`) or snooze (`snooze`, body
    `{"for": "2h"}` or `{"until": T}`). A bad body raises ActionError (400), an unknown alert 404."""
    import orjson

    from monitor.alerts import actions

    if action not in ("ack", "snooze"):
        raise NotFound(f"no action {action!r}: use ack or snooze")
    try:
        document = orjson.loads(body) if body.strip() else {}
    except orjson.JSONDecodeError as exc:
        raise actions.ActionError(f"the body is not JSON: {exc}") from exc
    fields = actions.request_action(document, action)
    if action == "ack":
        alert = acknowledge_alert(runtime, alert_id, by=fields["by"] or "")
    else:
        alert = snooze_alert(runtime, alert_id, duration=fields["for"], until=fields["until"])
    return Answer(200, alert.to_json())


def alert_confirm_page(
    runtime: Runtime,
    method: str,
    alert_id: str,
    params: Mapping[str, str],
    headers: Mapping[str, str],
    body: bytes,
    now: datetime | None = None,
) -> Answer:
    """GET/POST /api/confirm/{alert_id}: the page behind the signed link in an alert message
    (monitor.alerts.confirm); GET changes nothing. An unknown alert is a 404 page."""
    from monitor.alerts import confirm

    moment = now or utcnow()

    class Access:
        def read(self, alert_id: str) -> Alert | None:
            return runtime.alerts.alert_by_id(alert_id)

        def change(self, alert_id: str, change: Callable[[Alert, datetime], Alert], now: datetime) -> Alert:
            return change_alert(runtime, alert_id, change, now)

    request = confirm.Request(method, alert_id, params, headers, body)
    try:
        page = confirm.respond(request, runtime.settings.alerts, Access(), moment)
    except UnknownAlert:
        page = confirm.message_page(404, "No such alert", "There is no alert with this ID.")
    return Answer(page.status, page.body(), "text/html", dict(page.headers))


def confirm_error_page(answer: Answer) -> Answer:
    """An error answer (monitor.service.answer.failure) as the confirmation page shows it."""
    from monitor.alerts import confirm

    if answer.cause == "configuration":
        page = confirm.message_page(503, "Not available", "The monitor is not configured; try again later.")
    elif answer.status == 503:
        page = confirm.message_page(503, "Try again", "The alert store did not answer; nothing was changed.")
    else:
        page = confirm.message_page(answer.status, "Not available", str(answer.json().get("error", "")))
    return Answer(page.status, page.body(), "text/html", dict(page.headers))
