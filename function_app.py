"""Azure Functions app (Python v2 programming model): wiring only.

Each trigger calls the same entry point as `python -m monitor` (monitor/service.py). Settings come from
app settings; see README.md for the list. The monitor is imported inside each function, not here: the
host imports this module to index the triggers, and that should cost little more than azure.functions
(bench/import_cost.py).
"""

from __future__ import annotations

import logging
import os
from pathlib import Path
from typing import TYPE_CHECKING, List  # noqa: UP035 - the worker refuses list[...] (below)

import azure.functions as func

if TYPE_CHECKING:
    from monitor.ingest.routes import Answer

app = func.FunctionApp()
log = logging.getLogger("monitor.functions")


@app.timer_trigger(
    schedule="%MONITOR_POLL_SCHEDULE%", arg_name="timer", run_on_startup=False, use_monitor=True
)
async def poll(timer: func.TimerRequest) -> None:
    """The monitoring pass: read Graph, evaluate the rules, record findings, then alert on the findings
    ledger (what `monitor run` does)."""
    from monitor import service

    if timer.past_due:
        log.warning("poll timer is past due; running the pass now")
    result = await service.run_configured_pass()
    log.info("poll done: tenant=%s findings=%d", result.tenant.id, len(result.findings))


@app.route(route="health", methods=["GET"], auth_level=func.AuthLevel.FUNCTION)
def health(req: func.HttpRequest) -> func.HttpResponse:
    """Configuration, store reachability and the last passes (what `monitor status` prints)."""
    import orjson

    from monitor import service

    report = service.health()
    return func.HttpResponse(
        orjson.dumps(report.to_json()),
        status_code=503 if report.status == "unhealthy" else 200,
        mimetype="application/json",
    )


@app.route(route="alerts/{alert_id}/{action}", methods=["POST"], auth_level=func.AuthLevel.FUNCTION)
def alert_action(req: func.HttpRequest) -> func.HttpResponse:
    """Acknowledge (`ack`, body `{"by"?}`) or snooze (`snooze`, body `{"for": "2h"}` or `{"until": T}`)
    one alert, as `monitor alerts ack|snooze` does. Bad body 400, unknown alert or action 404."""
    import orjson

    from monitor import service

    status, body = service.alert_request(
        req.route_params.get("alert_id", ""), req.route_params.get("action", ""), req.get_body()
    )
    return func.HttpResponse(orjson.dumps(body), status_code=status, mimetype="application/json")


# Anonymous: the signed token in the link is the authorization (a function key cannot go in an email).
# Not under alerts/: the host orders routes by function name, so alerts/{alert_id}/{action} would take
# its POSTs.
@app.route(route="confirm/{alert_id}", methods=["GET", "POST"], auth_level=func.AuthLevel.ANONYMOUS)
def alert_confirm(req: func.HttpRequest) -> func.HttpResponse:
    """The page behind the link in an alert message: GET shows the alert, only POST acknowledges or
    snoozes it (link scanners open every link). docs/alerts.md."""
    from monitor import service

    status, body, headers = service.alert_confirm_page(
        req.method, req.route_params.get("alert_id", ""), dict(req.params), dict(req.headers), req.get_body()
    )
    return func.HttpResponse(body, status_code=status, headers=headers, mimetype="text/html", charset="utf-8")


@app.timer_trigger(
    schedule="%MONITOR_WEEKLY_SCHEDULE%", arg_name="timer", run_on_startup=False, use_monitor=True
)
async def weekly(timer: func.TimerRequest) -> None:
    """The weekly compliance snapshot, kept in Table Storage (what `monitor weekly` does)."""
    from monitor import service
    from monitor.settings import Settings

    if timer.past_due:
        log.warning("weekly timer is past due; building the snapshot now")
    output = Settings.from_env(require_storage=True).weekly_output
    runs = service.weekly_from_store(None, Path(output) if output else None)
    sent = await service.send_weekly_reports(runs)
    log.info("weekly done: tenants=%d deliveries=%d", len(runs), len(sent))


@app.route(route="tap-signins", methods=["GET"], auth_level=func.AuthLevel.FUNCTION)
def tap_signins(req: func.HttpRequest) -> func.HttpResponse:
    """TAP sign-ins for SOC review, filtered and paged (what `monitor tap-signins` prints)."""
    from monitor import service

    status, body, mimetype = service.tap_signins_response(dict(req.params))
    return func.HttpResponse(body, status_code=status, mimetype=mimetype)


@app.route(route="tap-signins/{signin_id}/review", methods=["POST"], auth_level=func.AuthLevel.FUNCTION)
def tap_signin_review(req: func.HttpRequest) -> func.HttpResponse:
    """A SOC verdict on one TAP sign-in, body {"verdict", "note"?, "by"} (`monitor tap-signins review`)."""
    import orjson

    from monitor.soc.service import review_request

    status, body = review_request(req.route_params.get("signin_id", ""), req.get_body())
    return func.HttpResponse(orjson.dumps(body), status_code=status, mimetype="application/json")


# A browser page: no function key (a person cannot carry one); App Service built-in authentication
# (infra/app/easyauth.bicep) signs the person in, and the page requires the app role TapSignIn.Review.
@app.route(route="soc/review", methods=["GET", "POST"], auth_level=func.AuthLevel.ANONYMOUS)
def soc_review_page(req: func.HttpRequest) -> func.HttpResponse:
    """The SOC's review page: TAP sign-ins with filters and a verdict form (docs/soc.md)."""
    from monitor.soc.page import review_page

    status, body, headers = review_page(req.method, req.url, req.headers, req.params, req.get_body())
    return func.HttpResponse(body, status_code=status, headers=headers)


# -- event-driven ingestion (docs/ingest.md) ----------------------------------------------------------


def _answer(answer: Answer) -> func.HttpResponse:
    return func.HttpResponse(answer.to_bytes(), status_code=answer.status, mimetype="application/json")


@app.route(route="device-reports", methods=["POST"], auth_level=func.AuthLevel.FUNCTION)
def device_reports(req: func.HttpRequest) -> func.HttpResponse:
    """A device's dsregcmd /status report (what `monitor ingest-device-report FILE` stores)."""
    from monitor import service

    return _answer(service.receive_device_report(req.headers, req.params, req.get_body()))


@app.route(route="azure-monitor-alerts", methods=["POST"], auth_level=func.AuthLevel.FUNCTION)
def azure_monitor_alerts(req: func.HttpRequest) -> func.HttpResponse:
    """An Azure Monitor alert (common alert schema): queue a pass for its tenant and answer 202 at once."""
    from monitor import service

    return _answer(service.receive_azure_monitor_alert(req.headers, req.params, req.get_body()))


# The queue of monitor.settings.PASS_QUEUE, on the app's own storage account (its identity settings).
@app.queue_trigger(arg_name="message", queue_name="pinmon-passes", connection="AzureWebJobsStorage")
async def requested_pass(message: func.QueueMessage) -> None:
    """A pass an alert asked for, debounced per tenant (what `monitor run` does, at most once a minute)."""
    from monitor import service

    outcome = await service.run_requested_pass(message.get_body())
    log.info("requested pass: message=%s outcome=%s", message.id, outcome)


# The Entra log stream (docs/ingest.md), registered only where infra/ turned it on: without the hub's
# settings the host would disable the trigger with an indexing error on every start. The hub and consumer
# group are the ones infra/ creates; the connection EntraLogStream is identity-based
# (EntraLogStream__fullyQualifiedNamespace, __credential, __clientId).
log_stream = func.Blueprint()  # type: ignore[no-untyped-call]


@log_stream.event_hub_message_trigger(
    arg_name="events",
    event_hub_name="%MONITOR_ENTRA_LOG_HUB%",
    consumer_group="%MONITOR_ENTRA_LOG_CONSUMER_GROUP%",
    connection="EntraLogStream",
    cardinality=func.Cardinality.MANY,
)
# The host retries a batch whose storage failed before it moves the Event Hub checkpoint on.
@log_stream.retry(
    strategy="exponential_backoff",
    max_retry_count="5",
    minimum_interval="00:00:05",
    maximum_interval="00:05:00",
)
# typing.List, not list[...]: the Python worker's indexer accepts only typing generics
# (Azure/azure-functions-python-worker#1034); with list[...] it refuses the whole app.
def entra_log_stream(events: List[func.EventHubEvent]) -> None:  # noqa: UP006
    """Entra sign-in and audit logs from a diagnostic setting (`monitor ingest-log-records FILE`)."""
    import orjson

    from monitor import service

    done = service.ingest_log_events([event.get_body() for event in events])
    log.info("log stream batch: %s", orjson.dumps(done.summary()).decode())


if os.environ.get("MONITOR_ENTRA_LOG_HUB", "").strip():
    app.register_functions(log_stream)
