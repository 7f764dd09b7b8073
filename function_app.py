"""Azure Functions app (Python v2 programming model): wiring only.

Each trigger calls the same entry point as `python -m monitor` (monitor/service.py). Settings come from
app settings; see README.md for the list. The monitor is imported inside each function, not here: the
host imports this module to index the triggers, and that should cost little more than azure.functions
(bench/import_cost.py).
"""

from __future__ import annotations

import logging

import azure.functions as func

app = func.FunctionApp()
log = logging.getLogger("monitor.functions")


@app.timer_trigger(
    schedule="%MONITOR_POLL_SCHEDULE%", arg_name="timer", run_on_startup=False, use_monitor=True
)
async def poll(timer: func.TimerRequest) -> None:
    """The monitoring pass: read Graph, evaluate the rules, record findings (what `monitor run` does)."""
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
