"""Azure Functions app (Python v2 programming model): wiring only.

Each trigger calls the same entry point as `python -m monitor` (monitor/service.py). Settings come from
app settings; see README.md for the list. The monitor is imported inside each function, not here: the
host imports this module to index the triggers, and that should cost little more than azure.functions
(bench/import_cost.py).
"""

from __future__ import annotations

import logging
from pathlib import Path

import azure.functions as func

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


@app.timer_trigger(
    schedule="%MONITOR_WEEKLY_SCHEDULE%", arg_name="timer", run_on_startup=False, use_monitor=True
)
def weekly(timer: func.TimerRequest) -> None:
    """The weekly compliance snapshot, kept in Table Storage (what `monitor weekly` does)."""
    from monitor import service
    from monitor.settings import Settings

    if timer.past_due:
        log.warning("weekly timer is past due; building the snapshot now")
    output = Settings.from_env(require_storage=True).weekly_output
    runs = service.weekly_from_store(None, Path(output) if output else None)
    log.info("weekly done: tenants=%d", len(runs))


@app.route(route="tap-signins", methods=["GET"], auth_level=func.AuthLevel.FUNCTION)
def tap_signins(req: func.HttpRequest) -> func.HttpResponse:
    """TAP sign-ins for SOC review, filtered and paged (what `monitor tap-signins` prints)."""
    from monitor import service

    status, body, mimetype = service.tap_signins_response(dict(req.params))
    return func.HttpResponse(body, status_code=status, mimetype=mimetype)
