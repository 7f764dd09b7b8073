"""Azure Functions app (Python v2 programming model): wiring only.

Each trigger builds one `Runtime` (monitor/service/runtime.py: the settings read once, the stores it
uses, one close) and calls the same entry point as `python -m monitor` (monitor/service/). Settings come
from app settings; see README.md for the list. Every route answers through `monitor.service.answer`,
which turns errors into 400, 404 or 503, never 500. The monitor is imported inside each function, not
here: the host imports this module to index the triggers, and that should cost little more than
azure.functions (bench/import_cost.py).
"""

from __future__ import annotations

import logging
import os
from typing import TYPE_CHECKING, List  # noqa: UP035 - the worker refuses list[...] (below)

import azure.functions as func

if TYPE_CHECKING:
    from monitor.service.answer import Answer
    from monitor.service.runtime import Runtime

app = func.FunctionApp()
log = logging.getLogger("monitor.functions")


def _http(answer: Answer) -> func.HttpResponse:
    return func.HttpResponse(
        answer.to_bytes(),
        status_code=answer.status,
        headers=dict(answer.headers),
        mimetype=answer.media_type,
        charset="utf-8",
    )


@app.timer_trigger(
    schedule="%MONITOR_POLL_SCHEDULE%", arg_name="timer", run_on_startup=False, use_monitor=True
)
async def poll(timer: func.TimerRequest) -> None:
    """The monitoring pass: read Graph, evaluate the rules, record findings, then alert on the findings
    ledger (what `monitor run` does)."""
    from monitor.service.passes import run_configured_pass
    from monitor.service.runtime import Runtime

    if timer.past_due:
        log.warning("poll timer is past due; running the pass now")
    with Runtime.from_env() as runtime:
        if runtime.settings.msp.enabled:  # many tenants: one message per due tenant (docs/msp.md)
            from monitor.service.fanout import enqueue_due

            fanned = enqueue_due(runtime)
            log.info(
                "poll done: tenants=%d sent=%d waiting=%d", fanned.tenants, len(fanned.sent), fanned.waiting
            )
            return
        result = await run_configured_pass(runtime)
    log.info("poll done: tenant=%s findings=%d", result.tenant.id, len(result.findings))


@app.route(route="health", methods=["GET"], auth_level=func.AuthLevel.FUNCTION)
def health(req: func.HttpRequest) -> func.HttpResponse:
    """Configuration, store reachability and the last passes (what `monitor status` prints)."""
    from monitor.service.health import health as check

    return _http(check().answer())


@app.route(route="alerts/{alert_id}/{action}", methods=["POST"], auth_level=func.AuthLevel.FUNCTION)
def alert_action(req: func.HttpRequest) -> func.HttpResponse:
    """Acknowledge (`ack`, body `{"by"?}`) or snooze (`snooze`, body `{"for": "2h"}` or `{"until": T}`)
    one alert, as `monitor alerts ack|snooze` does. Bad body 400, unknown alert or action 404."""
    from monitor.service.alerts import alert_request
    from monitor.service.answer import respond

    alert_id, action = req.route_params.get("alert_id", ""), req.route_params.get("action", "")
    return _http(respond("alert action", lambda rt: alert_request(rt, alert_id, action, req.get_body())))


# Anonymous: the signed token in the link is the authorization (a function key cannot go in an email).
# Not under alerts/: the host orders routes by function name, so alerts/{alert_id}/{action} would take
# its POSTs.
@app.route(route="confirm/{alert_id}", methods=["GET", "POST"], auth_level=func.AuthLevel.ANONYMOUS)
def alert_confirm(req: func.HttpRequest) -> func.HttpResponse:
    """The page behind the link in an alert message: GET shows the alert, only POST acknowledges or
    snoozes it (link scanners open every link). docs/alerts.md."""
    from monitor.service.alerts import alert_confirm_page, confirm_error_page
    from monitor.service.answer import respond

    alert_id = req.route_params.get("alert_id", "")
    return _http(
        respond(
            "alert confirmation",
            lambda rt: alert_confirm_page(
                rt, req.method, alert_id, dict(req.params), dict(req.headers), req.get_body()
            ),
            error_page=confirm_error_page,
        )
    )


@app.timer_trigger(
    schedule="%MONITOR_WEEKLY_SCHEDULE%", arg_name="timer", run_on_startup=False, use_monitor=True
)
async def weekly(timer: func.TimerRequest) -> None:
    """The weekly compliance snapshot, kept in Table Storage (what `monitor weekly` does)."""
    from monitor.service.runtime import Runtime
    from monitor.service.weekly import weekly_timer

    if timer.past_due:
        log.warning("weekly timer is past due; building the snapshot now")
    with Runtime.from_env() as runtime:
        runs, sent = await weekly_timer(runtime)
    log.info("weekly done: tenants=%d deliveries=%d", len(runs), len(sent))


@app.route(route="tap-signins", methods=["GET"], auth_level=func.AuthLevel.FUNCTION)
def tap_signins(req: func.HttpRequest) -> func.HttpResponse:
    """TAP sign-ins for SOC review, filtered and paged (what `monitor tap-signins` prints)."""
    from monitor.service.answer import respond
    from monitor.service.soc import tap_signins_answer

    return _http(respond("tap-signins", lambda rt: tap_signins_answer(rt, dict(req.params))))


@app.route(route="tap-signins/{signin_id}/review", methods=["POST"], auth_level=func.AuthLevel.FUNCTION)
def tap_signin_review(req: func.HttpRequest) -> func.HttpResponse:
    """A SOC verdict on one TAP sign-in, body {"verdict", "note"?, "by"} (`monitor tap-signins review`)."""
    from monitor.service.answer import respond
    from monitor.soc.service import review_request

    signin_id = req.route_params.get("signin_id", "")
    return _http(respond("review", lambda rt: review_request(rt, signin_id, req.get_body())))


# A browser page: no function key (a person cannot carry one); App Service built-in authentication
# (infra/app/easyauth.bicep) signs the person in, and the page requires the app role TapSignIn.Review.
@app.route(route="soc/review", methods=["GET", "POST"], auth_level=func.AuthLevel.ANONYMOUS)
def soc_review_page(req: func.HttpRequest) -> func.HttpResponse:
    """The SOC's review page: TAP sign-ins with filters and a verdict form (docs/soc.md)."""
    from monitor.service.answer import respond
    from monitor.soc.page import error_page, review_page

    def page(rt: Runtime) -> Answer:
        return review_page(rt, req.method, req.url, req.headers, req.params, req.get_body())

    return _http(respond("review page", page, error_page=error_page))


# -- event-driven ingestion (docs/ingest.md) ----------------------------------------------------------


@app.route(route="device-reports", methods=["POST"], auth_level=func.AuthLevel.FUNCTION)
def device_reports(req: func.HttpRequest) -> func.HttpResponse:
    """A device's dsregcmd /status report (what `monitor ingest-device-report FILE` stores)."""
    from monitor.service.answer import respond
    from monitor.service.ingest import receive_device_report

    return _http(
        respond(
            "device-reports",
            lambda rt: receive_device_report(rt, req.headers, req.params, req.get_body()),
        )
    )


@app.route(route="azure-monitor-alerts", methods=["POST"], auth_level=func.AuthLevel.FUNCTION)
def azure_monitor_alerts(req: func.HttpRequest) -> func.HttpResponse:
    """An Azure Monitor alert (common alert schema): queue a pass for its tenant and answer 202 at once."""
    from monitor.service.answer import respond
    from monitor.service.ingest import receive_azure_monitor_alert

    return _http(
        respond(
            "azure-monitor-alerts",
            lambda rt: receive_azure_monitor_alert(rt, req.headers, req.params, req.get_body()),
        )
    )


# -- the tenants a many-tenant deployment watches (docs/msp.md) ----------------------------------------


@app.route(route="tenants", methods=["GET"], auth_level=func.AuthLevel.FUNCTION)
def tenants_status(req: func.HttpRequest) -> func.HttpResponse:
    """Every tenant: last pass, open findings by severity, quarantine, budget share (`monitor tenants
    status --format json`)."""
    from monitor.service.answer import respond
    from monitor.service.tenants import tenants_answer

    return _http(respond("tenants", tenants_answer))


@app.route(route="tenants/{tenant_id}", methods=["PUT", "DELETE"], auth_level=func.AuthLevel.FUNCTION)
def tenant_change(req: func.HttpRequest) -> func.HttpResponse:
    """PUT: add or change a tenant, body {displayName?, tags?, destinations?, thresholds?} (`monitor
    tenants add`); DELETE: stop watching it (`monitor tenants remove`). Bad body 400, unknown 404."""
    from monitor.service.answer import respond
    from monitor.service.tenants import delete_tenant_request, put_tenant_request

    tenant_id = req.route_params.get("tenant_id", "")
    if req.method == "DELETE":
        return _http(respond("tenant delete", lambda rt: delete_tenant_request(rt, tenant_id)))
    return _http(respond("tenant put", lambda rt: put_tenant_request(rt, tenant_id, req.get_body())))


# The queue of monitor.settings.PASS_QUEUE, on the app's own storage account (its identity settings).
@app.queue_trigger(arg_name="message", queue_name="pinmon-passes", connection="AzureWebJobsStorage")
async def requested_pass(message: func.QueueMessage) -> None:
    """A pass an alert asked for, debounced per tenant (what `monitor run` does, at most once a minute)."""
    from monitor.service.passes import run_requested_pass
    from monitor.service.runtime import Runtime

    with Runtime.from_env() as runtime:
        outcome = await run_requested_pass(runtime, message.get_body())
    log.info("requested pass: message=%s outcome=%s", message.id, outcome)


# Many tenants (docs/msp.md): each message is one tenant's pass, sent by the poll timer. A message that
# fails five times (host.json's maxDequeueCount) moves to the poison queue, whose trigger records it.
@app.queue_trigger(arg_name="message", queue_name="pinmon-tenant-passes", connection="AzureWebJobsStorage")
async def tenant_pass(message: func.QueueMessage) -> None:
    """One customer tenant's pass, or a quarantined tenant's probe (`monitor tenants run-queued`)."""
    from monitor.service.fanout import run_tenant_pass
    from monitor.service.runtime import Runtime

    with Runtime.from_env() as runtime:
        outcome = await run_tenant_pass(runtime, message.get_body())
    log.info("tenant pass: message=%s outcome=%s", message.id, outcome)


@app.queue_trigger(
    arg_name="message", queue_name="pinmon-tenant-passes-poison", connection="AzureWebJobsStorage"
)
def tenant_pass_poison(message: func.QueueMessage) -> None:
    """A tenant's pass that failed every try: recorded on the tenant (status and health show it)."""
    from monitor.service.fanout import record_poison
    from monitor.service.runtime import Runtime

    with Runtime.from_env() as runtime:
        record_poison(runtime, message.get_body(), message.dequeue_count or 0)


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

    from monitor.service.ingest import ingest_log_events
    from monitor.service.runtime import Runtime

    with Runtime.from_env() as runtime:
        done = ingest_log_events(runtime, [event.get_body() for event in events])
    log.info("log stream batch: %s", orjson.dumps(done.summary()).decode())


if os.environ.get("MONITOR_ENTRA_LOG_HUB", "").strip():
    app.register_functions(log_stream)
