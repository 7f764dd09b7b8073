"""OpenTelemetry for the monitor: one trace per pass with a span per stage, counters for what it did.

Instruments are created on the global API, which is a no-op until `configure()` installs the SDK, so
importing this module costs nothing at cold start and tests can install their own in-memory readers.
`configure()` picks the exporters from settings (`exporters_for`): Application Insights through
azure-monitor-opentelemetry, any OTLP/HTTP collector, the console, any mix of them, or none. The Azure
Monitor distro is imported only when it is configured: it pulls in instrumentations that would slow
every cold start of an app that does not use it.
"""

from __future__ import annotations

import logging
import sys
import threading
from collections import Counter
from collections.abc import Iterable
from typing import TYPE_CHECKING, Any, Literal

from opentelemetry import metrics, trace

if TYPE_CHECKING:
    from monitor.rules.base import Finding
    from monitor.settings import Settings

log = logging.getLogger(__name__)

SERVICE_NAME = "pin-reset-monitor"
# Logs exported are those of the monitor's own loggers (function_app.py's included): the Azure SDKs'
# request logs would multiply the volume without saying anything a span does not.
EXPORTED_LOGGER = "monitor"

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
FINDINGS = _meter.create_counter(
    "monitor.findings", unit="{finding}", description="Findings raised by rules, by severity"
)
ALERTS_SENT = _meter.create_counter(
    "monitor.alerts.sent", unit="{notification}", description="Alert notifications delivered"
)
ALERTS_DEAD = _meter.create_counter(
    "monitor.alerts.dead", unit="{notification}", description="Alert notifications given up on"
)

ExporterKind = Literal["azure-monitor", "otlp", "console"]

_lock = threading.Lock()
_configured: tuple[ExporterKind, ...] | None = None


def count_findings(findings: Iterable[Finding]) -> None:
    """Add a pass's findings to FINDINGS, one data point per severity (`monitor.finding.severity`)."""
    for severity, count in sorted(Counter(f.severity for f in findings).items()):
        FINDINGS.add(count, {"monitor.finding.severity": severity})


def exporters_for(settings: Settings) -> tuple[ExporterKind, ...]:
    """Which exporters these settings select, in the order `configure` installs them."""
    kinds: list[ExporterKind] = []
    if settings.applicationinsights_connection_string:
        kinds.append("azure-monitor")
    if settings.otlp_endpoint:
        kinds.append("otlp")
    if settings.telemetry_console:
        kinds.append("console")
    return tuple(kinds)


def configure(settings: Settings) -> tuple[ExporterKind, ...]:
    """Install the OpenTelemetry SDK once per process with the exporters the settings select.

    Returns what it installed. With none selected, spans and metrics stay no-ops. If another SDK
    provider is already installed (a host that configured OpenTelemetry itself), it is left alone:
    configuring a second one would export everything twice.
    """
    global _configured
    with _lock:
        if _configured is not None:
            return _configured
        kinds = exporters_for(settings)
        if kinds and _sdk_already_installed():
            log.info("telemetry: an OpenTelemetry SDK is already installed; exporters left as they are")
            kinds = ()
        if kinds:
            _install(settings, kinds)
            log.info("telemetry exported to %s", ", ".join(kinds))
        _configured = kinds
        return kinds


def flush() -> None:
    """Push out what is buffered (short-lived CLI runs end before a periodic export)."""
    from opentelemetry import _logs

    for provider in (metrics.get_meter_provider(), trace.get_tracer_provider(), _logs.get_logger_provider()):
        force = getattr(provider, "force_flush", None)
        if force is not None:
            force()


def _sdk_already_installed() -> bool:
    from opentelemetry.sdk.trace import TracerProvider

    return isinstance(trace.get_tracer_provider(), TracerProvider)


def _install(settings: Settings, kinds: tuple[ExporterKind, ...]) -> None:
    from opentelemetry.sdk._logs import LogRecordProcessor
    from opentelemetry.sdk._logs.export import BatchLogRecordProcessor
    from opentelemetry.sdk.metrics.export import (
        ConsoleMetricExporter,
        MetricReader,
        PeriodicExportingMetricReader,
    )
    from opentelemetry.sdk.resources import Resource
    from opentelemetry.sdk.trace import SpanProcessor
    from opentelemetry.sdk.trace.export import BatchSpanProcessor, ConsoleSpanExporter, SimpleSpanProcessor

    resource = Resource.create({"service.name": SERVICE_NAME})
    span_processors: list[SpanProcessor] = []
    metric_readers: list[MetricReader] = []
    log_processors: list[LogRecordProcessor] = []
    if "otlp" in kinds:
        from opentelemetry.exporter.otlp.proto.http._log_exporter import OTLPLogExporter
        from opentelemetry.exporter.otlp.proto.http.metric_exporter import OTLPMetricExporter
        from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter

        # A base endpoint gets the per-signal paths of the OTLP/HTTP spec; headers (API keys) come from
        # OTEL_EXPORTER_OTLP_HEADERS, which the exporter reads itself so that no key passes through here.
        base = settings.otlp_endpoint
        span_processors.append(BatchSpanProcessor(OTLPSpanExporter(endpoint=f"{base}/v1/traces")))
        metric_readers.append(
            PeriodicExportingMetricReader(OTLPMetricExporter(endpoint=f"{base}/v1/metrics"))
        )
        log_processors.append(BatchLogRecordProcessor(OTLPLogExporter(endpoint=f"{base}/v1/logs")))
    if "console" in kinds:
        # stderr: stdout carries scan's JSON.
        span_processors.append(SimpleSpanProcessor(ConsoleSpanExporter(out=sys.stderr)))
        console_metrics = ConsoleMetricExporter(out=sys.stderr)
        metric_readers.append(PeriodicExportingMetricReader(console_metrics, export_interval_millis=60_000))
    if "azure-monitor" in kinds:
        _install_azure_monitor(settings, resource, span_processors, metric_readers, log_processors)
    else:
        _install_sdk(resource, span_processors, metric_readers, log_processors)


def _install_azure_monitor(
    settings: Settings,
    resource: Any,
    span_processors: list[Any],
    metric_readers: list[Any],
    log_processors: list[Any],
) -> None:
    """The Azure Monitor distro installs the providers itself; the other exporters ride along."""
    from azure.monitor.opentelemetry import configure_azure_monitor

    options: dict[str, Any] = {}
    if settings.applicationinsights_entra_auth:
        from azure.identity import ManagedIdentityCredential

        options["credential"] = ManagedIdentityCredential(
            client_id=settings.applicationinsights_client_id or None
        )
    configure_azure_monitor(
        connection_string=settings.applicationinsights_connection_string,
        resource=resource,
        logger_name=EXPORTED_LOGGER,
        # Live metrics holds a connection open for a viewer; a pass every 15 minutes gives it little
        # to show, and the connection would be opened again at every cold start.
        enable_live_metrics=False,
        # The distro's default sampler keeps a few spans per second, which drops most stages of a pass
        # (they all end within a second). A pass is a couple of dozen spans every 15 minutes: keep all.
        sampling_ratio=1.0,
        span_processors=span_processors,
        metric_readers=metric_readers,
        log_record_processors=log_processors,
        **options,
    )


def _install_sdk(
    resource: Any, span_processors: list[Any], metric_readers: list[Any], log_processors: list[Any]
) -> None:
    from opentelemetry.sdk.metrics import MeterProvider
    from opentelemetry.sdk.trace import TracerProvider

    provider = TracerProvider(resource=resource)
    for processor in span_processors:
        provider.add_span_processor(processor)
    trace.set_tracer_provider(provider)
    metrics.set_meter_provider(MeterProvider(resource=resource, metric_readers=metric_readers))
    if log_processors:
        from opentelemetry import _logs
        from opentelemetry.sdk._logs import LoggerProvider, LoggingHandler

        logger_provider = LoggerProvider(resource=resource)
        for log_processor in log_processors:
            logger_provider.add_log_record_processor(log_processor)
        _logs.set_logger_provider(logger_provider)
        logging.getLogger(EXPORTED_LOGGER).addHandler(LoggingHandler(logger_provider=logger_provider))
