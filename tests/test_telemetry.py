"""One span per pipeline stage and the counters of a pass, read through OpenTelemetry's SDK; which
exporters each setting selects, seen by loopback receivers standing in for the collectors."""

from __future__ import annotations

import asyncio
import gzip
import json
import os
import subprocess
import sys
import threading
from collections.abc import Iterator
from datetime import timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
from opentelemetry import metrics, trace
from opentelemetry.sdk.metrics import MeterProvider
from opentelemetry.sdk.metrics.export import InMemoryMetricReader
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

from graphsim import GraphSimulator
from monitor import telemetry
from monitor.graph.session import GraphSession
from monitor.pipeline import PassResult, run_pass
from monitor.settings import Settings
from monitor.store.memory import MemoryStore
from tests.support import NOW, signin_series, simulator_settings, write_tenant


def test_a_pass_emits_a_span_per_stage_and_counts_requests_signins_and_findings(tmp_path: Path) -> None:
    spans = InMemorySpanExporter()
    provider = TracerProvider()
    provider.add_span_processor(SimpleSpanProcessor(spans))
    trace.set_tracer_provider(provider)
    reader = InMemoryMetricReader()
    metrics.set_meter_provider(MeterProvider(metric_readers=[reader]))
    snapshot = write_tenant(
        tmp_path,
        service="missing",
        signins=signin_series(
            30, start=NOW - timedelta(hours=5), step=timedelta(minutes=5), error_code=65001
        ),
    )

    async def go(sim: GraphSimulator) -> PassResult:
        settings = simulator_settings(sim.url)
        async with GraphSession(settings) as graph:
            return await run_pass(graph, MemoryStore(), settings, NOW)

    with GraphSimulator(snapshot) as sim:
        result = asyncio.run(go(sim))

    names = [s.name for s in spans.get_finished_spans()]
    for stage in (
        "collect.tenant",
        "collect.domains",
        "collect.consent",
        "collect.signins",
        "evaluate",
        "store.findings",
        "monitor.pass",
    ):
        assert names.count(stage) == 1, names
    (pass_span,) = [s for s in spans.get_finished_spans() if s.name == "monitor.pass"]
    assert pass_span.attributes is not None
    # consent missing, consent errors, and a spike (30 failures after none)
    assert pass_span.attributes["findings"] == 3
    data = reader.get_metrics_data()
    assert data is not None
    sums = {
        m.name: sum(p.value for p in m.data.data_points)  # type: ignore[union-attr]
        for rm in data.resource_metrics
        for sm in rm.scope_metrics
        for m in sm.metrics
    }
    # organization, domains, 2 service principals, 4 sign-in queries (no $select for Graph to refuse),
    # managed devices, device configurations, configuration policies, account
    # protection intents, TAP policy, roles (active, PIM-eligible, PIM-activated), and the Authentication
    # Methods audits (TAP issuances and method changes, one query); no user recovered with a pass, so no
    # user's methods. Report requests: the 4 sign-in queries and the audits.
    assert sums["monitor.graph.requests"] == result.stats["graph_requests"] == 17
    assert result.stats["report_requests"] == 5
    assert sums["monitor.signins.read"] == result.stats["signins_read"] == 60
    assert sums["monitor.findings"] == 3
    by_severity = {
        p.attributes["monitor.finding.severity"]: p.value  # type: ignore[union-attr,index]
        for rm in data.resource_metrics
        for sm in rm.scope_metrics
        for m in sm.metrics
        if m.name == "monitor.findings"
        for p in m.data.data_points  # type: ignore[union-attr]
    }
    assert by_severity == {"high": 3}


REPO = Path(__file__).resolve().parents[1]
SCAN_CONSENT_MISSING = ("--snapshot", "examples/tenants/consent-missing", "--now", "2026-11-20T12:00:00Z")
TELEMETRY_ENV = (
    "APPLICATIONINSIGHTS_CONNECTION_STRING",
    "APPLICATIONINSIGHTS_AUTHENTICATION_STRING",
    "OTEL_EXPORTER_OTLP_ENDPOINT",
    "MONITOR_TELEMETRY_CONSOLE",
)


@pytest.mark.parametrize(
    ("environ", "expected"),
    [
        ({}, ()),
        ({"APPLICATIONINSIGHTS_CONNECTION_STRING": "InstrumentationKey=k"}, ("azure-monitor",)),
        ({"OTEL_EXPORTER_OTLP_ENDPOINT": "http://127.0.0.1:4318"}, ("otlp",)),
        ({"MONITOR_TELEMETRY_CONSOLE": "true"}, ("console",)),
        (
            {
                "APPLICATIONINSIGHTS_CONNECTION_STRING": "InstrumentationKey=k",
                "OTEL_EXPORTER_OTLP_ENDPOINT": "http://127.0.0.1:4318",
                "MONITOR_TELEMETRY_CONSOLE": "1",
            },
            ("azure-monitor", "otlp", "console"),
        ),
    ],
    ids=["none", "application-insights", "otlp", "console", "all-three"],
)
def test_each_setting_selects_its_exporter(environ: dict[str, str], expected: tuple[str, ...]) -> None:
    assert telemetry.exporters_for(Settings.from_env(environ)) == expected


def test_configure_leaves_an_sdk_the_host_installed_alone(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(telemetry, "_configured", None)
    trace.set_tracer_provider(TracerProvider())
    assert telemetry.configure(Settings.from_env({"MONITOR_TELEMETRY_CONSOLE": "1"})) == ()


class _Receiver(BaseHTTPRequestHandler):
    """Answers 200 to every POST and keeps (path, body); stands in for a collector on loopback."""

    received: list[tuple[str, bytes]]

    def do_POST(self) -> None:
        body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
        if self.headers.get("Content-Encoding") == "gzip":
            body = gzip.decompress(body)
        self.received.append((self.path, body))
        reply = b'{"itemsReceived": 0, "itemsAccepted": 0, "errors": []}'
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(reply)))
        self.end_headers()
        self.wfile.write(reply)

    def log_message(self, format: str, *args: Any) -> None:
        pass


@pytest.fixture
def receiver() -> Iterator[tuple[str, list[tuple[str, bytes]]]]:
    received: list[tuple[str, bytes]] = []
    handler = type("Receiver", (_Receiver,), {"received": received})
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}", received
    server.shutdown()
    server.server_close()


def _scan(tmp_path: Path, **environ: str) -> subprocess.CompletedProcess[str]:
    """`monitor scan` in its own process: an OpenTelemetry SDK can be installed once per process."""
    env = {k: v for k, v in os.environ.items() if k not in TELEMETRY_ENV}
    env.update(environ, TMPDIR=str(tmp_path))
    return subprocess.run(
        [sys.executable, "-m", "monitor", "scan", *SCAN_CONSENT_MISSING],
        cwd=REPO,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )


def test_otlp_endpoint_exports_the_pass_as_one_trace_and_its_metrics(
    tmp_path: Path, receiver: tuple[str, list[tuple[str, bytes]]]
) -> None:
    from opentelemetry.proto.collector.metrics.v1.metrics_service_pb2 import ExportMetricsServiceRequest
    from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import ExportTraceServiceRequest

    url, received = receiver
    _scan(tmp_path, OTEL_EXPORTER_OTLP_ENDPOINT=url)

    spans = []
    for path, body in received:
        if path == "/v1/traces":
            request = ExportTraceServiceRequest.FromString(body)
            spans += [s for rs in request.resource_spans for ss in rs.scope_spans for s in ss.spans]
    names = sorted(s.name for s in spans)
    assert names.count("monitor.pass") == 1
    assert {"collect.tenant", "collect.consent", "evaluate", "store.findings"} <= set(names)
    assert len({s.trace_id for s in spans}) == 1
    metric_names = set()
    for path, body in received:
        if path == "/v1/metrics":
            metrics_request = ExportMetricsServiceRequest.FromString(body)
            metric_names |= {
                m.name
                for rm in metrics_request.resource_metrics
                for sm in rm.scope_metrics
                for m in sm.metrics
            }
    assert {"monitor.graph.requests", "monitor.findings"} <= metric_names


def test_application_insights_connection_string_exports_spans_and_metrics_to_its_ingestion_endpoint(
    tmp_path: Path, receiver: tuple[str, list[tuple[str, bytes]]]
) -> None:
    url, received = receiver
    connection = f"InstrumentationKey=00000000-0000-0000-0000-000000000000;IngestionEndpoint={url}/"
    # Statsbeat (the exporter's own usage telemetry) goes to Microsoft's endpoint, not the loopback one.
    _scan(
        tmp_path,
        APPLICATIONINSIGHTS_CONNECTION_STRING=connection,
        APPLICATIONINSIGHTS_STATSBEAT_DISABLED_ALL="true",
    )

    envelopes = [e for path, body in received if path == "/v2.1/track" for e in json.loads(body)]
    span_names = {
        e["data"]["baseData"]["name"]
        for e in envelopes
        if e["data"]["baseType"] in ("RequestData", "RemoteDependencyData")
    }
    metric_names = {
        m["name"]
        for e in envelopes
        if e["data"]["baseType"] == "MetricData"
        for m in e["data"]["baseData"]["metrics"]
    }
    assert {"monitor.pass", "collect.tenant", "evaluate", "store.findings"} <= span_names
    assert {"monitor.graph.requests", "monitor.findings"} <= metric_names


def test_the_azure_monitor_distro_is_imported_only_when_application_insights_is_configured() -> None:
    program = (
        "import sys, function_app\n"
        "from monitor import telemetry\n"
        "from monitor.settings import Settings\n"
        "telemetry.configure(Settings.from_env({'OTEL_EXPORTER_OTLP_ENDPOINT': 'http://127.0.0.1:9'}))\n"
        "print('azure.monitor.opentelemetry' in sys.modules)\n"
    )
    env = {k: v for k, v in os.environ.items() if k not in TELEMETRY_ENV}
    done = subprocess.run(
        [sys.executable, "-c", program],
        cwd=REPO,
        env=env,
        capture_output=True,
        text=True,
        check=True,
        timeout=60,
    )
    assert done.stdout.strip() == "False"


def test_otlp_endpoint_exports_the_monitors_logs_and_no_one_elses(
    receiver: tuple[str, list[tuple[str, bytes]]],
) -> None:
    from opentelemetry.proto.collector.logs.v1.logs_service_pb2 import ExportLogsServiceRequest

    url, received = receiver
    program = (
        "import logging\n"
        "from monitor import telemetry\n"
        "from monitor.settings import Settings\n"
        f"telemetry.configure(Settings.from_env({{'OTEL_EXPORTER_OTLP_ENDPOINT': '{url}'}}))\n"
        "logging.getLogger('monitor.functions').warning('poll timer is past due')\n"
        "logging.getLogger('azure.core').warning('not ours')\n"
        "telemetry.flush()\n"
    )
    env = {k: v for k, v in os.environ.items() if k not in TELEMETRY_ENV}
    subprocess.run([sys.executable, "-c", program], cwd=REPO, env=env, check=True, timeout=60)

    bodies = [
        record.body.string_value
        for path, body in received
        if path == "/v1/logs"
        for resource_logs in ExportLogsServiceRequest.FromString(body).resource_logs
        for scope_logs in resource_logs.scope_logs
        for record in scope_logs.log_records
    ]
    assert bodies == ["poll timer is past due"]
