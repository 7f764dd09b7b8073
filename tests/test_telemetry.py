"""One span per pipeline stage and the counters of a pass, read through OpenTelemetry's SDK."""

from __future__ import annotations

import asyncio
from datetime import timedelta
from pathlib import Path

from opentelemetry import metrics, trace
from opentelemetry.sdk.metrics import MeterProvider
from opentelemetry.sdk.metrics.export import InMemoryMetricReader
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

from graphsim import GraphSimulator
from monitor.graph.session import GraphSession
from monitor.pipeline import PassResult, run_pass
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
    # organization, domains, 2 service principals, 4 sign-in queries, managed devices, device
    # configurations, configuration policies, account protection intents, TAP policy, roles (active,
    # PIM-eligible, PIM-activated), audits, and the $select on sign-ins that Graph refuses once
    assert sums["monitor.graph.requests"] == result.stats["graph_requests"] == 18
    assert sums["monitor.signins.read"] == result.stats["signins_read"] == 60
    assert sums["monitor.findings"] == 3
