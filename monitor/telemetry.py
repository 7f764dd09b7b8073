"""OpenTelemetry for the monitor: one span per pipeline stage, counters for what a pass did.

Instruments are created on the global API, which is a no-op until `configure()` installs the SDK, so
importing this module costs nothing at cold start and tests can install their own in-memory readers.
"""

from __future__ import annotations

import logging
import sys
import threading

from opentelemetry import metrics, trace

log = logging.getLogger(__name__)

tracer = trace.get_tracer("monitor")
_meter = metrics.get_meter("monitor")

GRAPH_REQUESTS = _meter.create_counter(
    "monitor.graph.requests",
    unit="{request}",
    description="HTTP requests sent to Microsoft Graph, retries included",
)
GRAPH_THROTTLED = _meter.create_counter(
    "monitor.graph.throttled", unit="{response}", description="Graph answers 429 Too Many Requests"
)
SIGNINS_READ = _meter.create_counter(
    "monitor.signins.read", unit="{sign-in}", description="Sign-ins read from Graph"
)
FINDINGS = _meter.create_counter("monitor.findings", unit="{finding}", description="Findings raised by rules")
ALERTS_SENT = _meter.create_counter(
    "monitor.alerts.sent", unit="{notification}", description="Alert notifications delivered"
)
ALERTS_DEAD = _meter.create_counter(
    "monitor.alerts.dead", unit="{notification}", description="Alert notifications given up on"
)

_configured = threading.Lock()
_done = False


def configure(console: bool) -> None:
    """Install the OpenTelemetry SDK once per process; export to stderr when `console` is set.

    Without `console`, spans and metrics still flow to whatever the host configured (or nowhere).
    """
    global _done
    with _configured:
        if _done or not console:
            return
        from opentelemetry.sdk.metrics import MeterProvider
        from opentelemetry.sdk.metrics.export import ConsoleMetricExporter, PeriodicExportingMetricReader
        from opentelemetry.sdk.resources import Resource
        from opentelemetry.sdk.trace import TracerProvider
        from opentelemetry.sdk.trace.export import ConsoleSpanExporter, SimpleSpanProcessor

        resource = Resource.create({"service.name": "pin-reset-monitor"})
        provider = TracerProvider(resource=resource)
        # stderr: stdout carries scan's JSON.
        provider.add_span_processor(SimpleSpanProcessor(ConsoleSpanExporter(out=sys.stderr)))
        trace.set_tracer_provider(provider)
        reader = PeriodicExportingMetricReader(
            ConsoleMetricExporter(out=sys.stderr), export_interval_millis=60_000
        )
        metrics.set_meter_provider(MeterProvider(resource=resource, metric_readers=[reader]))
        _done = True
        log.info("telemetry exported to the console")


def flush() -> None:
    """Push out what is buffered (short-lived CLI runs end before a periodic export)."""
    provider = metrics.get_meter_provider()
    force = getattr(provider, "force_flush", None)
    if force is not None:
        force()
    tracer_provider = trace.get_tracer_provider()
    force = getattr(tracer_provider, "force_flush", None)
    if force is not None:
        force()
