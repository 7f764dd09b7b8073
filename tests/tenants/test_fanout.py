"""Many tenants from one deployment, through the real msgraph-sdk against the many-tenant simulator and
Table Storage and Storage Queues in Azurite: the timer fans out one message per due tenant, each runs in
its own Runtime, a refusing tenant is quarantined (alerting the provider) without delaying the others,
and a probe restores it. Routing sends a customer's alerts to its own channel and criticals to the
provider's."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from dataclasses import replace
from datetime import timedelta
from itertools import count
from pathlib import Path
from typing import Any

import orjson
import pytest

from graphsim import GraphSimulator
from graphsim.receiver import CaptureReceiver
from monitor.service import fanout, health
from monitor.service.runtime import Runtime
from monitor.settings import Settings
from monitor.store.tenants import TenantRecord
from monitor.tenants.settings import MspSettings
from tests.alerts.support import alert_settings
from tests.support import NOW, simulator_settings, write, write_tenant

APP = "6f1d3a52-0c3e-4c8e-9d7e-2b9a4f3c1e01"
CONTOSO = "11111111-1111-4111-8111-111111111111"
FABRIKAM = "22222222-2222-4222-8222-222222222222"
NORTHWIND = "33333333-3333-4333-8333-333333333333"
_prefix = count()


def customer(root: Path, tenant_id: str, name: str, **kwargs: Any) -> Path:
    """A tenant snapshot whose organization is `tenant_id` (Graph's organization ID is the tenant's)."""
    snapshot = write_tenant(root / tenant_id, **kwargs)
    write(snapshot, "v1.0/organization", {"value": [{"id": tenant_id, "displayName": name}]})
    return snapshot


@pytest.fixture
def world(
    tmp_path: Path, azurite_with_queues: str
) -> Iterator[tuple[Settings, GraphSimulator, CaptureReceiver]]:
    tenants = {
        CONTOSO: customer(tmp_path, CONTOSO, "Contoso", service="missing"),
        FABRIKAM: customer(tmp_path, FABRIKAM, "Fabrikam"),
        NORTHWIND: customer(tmp_path, NORTHWIND, "Northwind", client="missing"),
    }
    with GraphSimulator(tenants=tenants) as simulator, CaptureReceiver() as receiver:
        prefix = f"fan{next(_prefix)}x"
        base = simulator_settings(simulator.url, alerts=alert_settings(receiver.url))
        settings = replace(
            base,
            storage_connection_string=azurite_with_queues,
            queue_connection_string=azurite_with_queues,
            table_prefix=prefix,
            msp=MspSettings(app_id=APP),
        )
        with Runtime(settings) as runtime:
            runtime.tenant_queue.receive_all()  # what an earlier test left on the shared queue
        yield settings, simulator, receiver


def drain(settings: Settings, now: Any) -> dict[str, str]:
    """What the queue trigger does for every message waiting (one Runtime per message, as the host)."""
    outcomes = {}
    with Runtime(settings) as runtime:
        messages = runtime.tenant_queue.receive_all()
    for message in messages:
        tenant = orjson.loads(message)["tenantId"]
        with Runtime(settings) as runtime:
            outcomes[tenant] = asyncio.run(fanout.run_tenant_pass(runtime, message, now))
    return outcomes


def test_a_refusing_tenant_is_quarantined_and_alerted_while_the_others_pass(
    world: tuple[Settings, GraphSimulator, CaptureReceiver],
) -> None:
    settings, simulator, receiver = world
    simulator.set_tenant_state(FABRIKAM, "revoked")
    with Runtime(settings) as runtime:
        for tenant in (CONTOSO, FABRIKAM, NORTHWIND):
            runtime.tenants.save(TenantRecord(tenant, added=NOW))
        sent = fanout.enqueue_due(runtime, NOW)
    assert sorted(sent.sent) == sorted([CONTOSO, FABRIKAM, NORTHWIND])

    outcomes = drain(settings, NOW)

    assert outcomes == {CONTOSO: "ran", FABRIKAM: "quarantined", NORTHWIND: "ran"}
    with Runtime(settings) as runtime:
        contoso, fabrikam = runtime.tenants.tenant(CONTOSO), runtime.tenants.tenant(FABRIKAM)
        assert contoso is not None
        assert fabrikam is not None
        assert (contoso.state, contoso.last_outcome, contoso.display_name) == ("active", "ok", "Contoso")
        assert (fabrikam.state, fabrikam.problem) == ("quarantined", "not_consented")
        assert fabrikam.next_probe == NOW + timedelta(hours=1)
        assert [f.rule for f in runtime.state.findings(CONTOSO) if f.status == "open"] == [
            "consent.pin-reset-service.missing"
        ]
        assert [f.rule for f in runtime.state.findings(NORTHWIND) if f.status == "open"] == [
            "consent.pin-reset-client.missing"
        ]
        report = health.check(runtime, NOW)
    assert any("quarantined" in p and FABRIKAM in p for p in report.problems)
    alerted = [n for d in receiver.accepted("/webhook/soc") for n in orjson.loads(d.body)["notifications"]]
    quarantine = [n for n in alerted if fanout.QUARANTINE_RULE in orjson.dumps(n).decode()]
    assert len(quarantine) == 1
    assert FABRIKAM in orjson.dumps(quarantine[0]).decode()

    # Not due for its probe yet: the next tick sends the others and leaves Fabrikam alone (no Graph).
    with Runtime(settings) as runtime:
        later = fanout.enqueue_due(runtime, NOW + timedelta(minutes=15))
    assert (sorted(later.sent), later.probes) == (sorted([CONTOSO, NORTHWIND]), ())


def test_a_probe_after_the_backoff_restores_a_tenant_that_consented_again(
    world: tuple[Settings, GraphSimulator, CaptureReceiver],
) -> None:
    settings, simulator, _ = world
    simulator.set_tenant_state(FABRIKAM, "disabled")
    with Runtime(settings) as runtime:
        runtime.tenants.save(TenantRecord(FABRIKAM, "Fabrikam", added=NOW))
        fanout.enqueue_due(runtime, NOW)
    assert drain(settings, NOW) == {FABRIKAM: "quarantined"}
    simulator.set_tenant_state(FABRIKAM, "consented")

    probe_time = NOW + timedelta(hours=1)
    with Runtime(settings) as runtime:
        tick = fanout.enqueue_due(runtime, probe_time)
    assert (tick.sent, tick.probes) == ((), (FABRIKAM,))
    reports_before = len(simulator.requests)
    assert drain(settings, probe_time) == {FABRIKAM: "restored"}
    assert len(simulator.requests) > reports_before  # the restored tenant's pass read Graph

    with Runtime(settings) as runtime:
        record = runtime.tenants.tenant(FABRIKAM)
        assert record is not None
        assert (record.state, record.last_outcome, record.restored_at) == ("active", "ok", probe_time)
        states = {a.rule: a.state for a in runtime.alerts.alerts(FABRIKAM)}
    assert states[fanout.QUARANTINE_RULE] == "open"  # resolved once it settles, as a rule's finding

    settled = probe_time + timedelta(minutes=30)
    with Runtime(settings) as runtime:
        assert fanout.enqueue_due(runtime, settled).sent == (FABRIKAM,)
    assert drain(settings, settled) == {FABRIKAM: "ran"}
    with Runtime(settings) as runtime:
        states = {a.rule: a.state for a in runtime.alerts.alerts(FABRIKAM)}
    assert states[fanout.QUARANTINE_RULE] == "resolved"


def test_a_customers_alerts_go_to_its_own_channel_and_criticals_also_to_the_provider(
    world: tuple[Settings, GraphSimulator, CaptureReceiver],
) -> None:
    from monitor.alerts.settings import AlertDestination

    settings, _, receiver = world
    own = AlertDestination("contoso", "teams", url=f"{receiver.url}/teams/contoso")
    alerts = replace(settings.alerts, destinations=(*settings.alerts.destinations, own))
    settings = replace(settings, alerts=alerts)
    with Runtime(settings) as runtime:
        runtime.tenants.save(TenantRecord(CONTOSO, destinations=("contoso",), added=NOW))
        runtime.tenants.save(TenantRecord(NORTHWIND, added=NOW))
        fanout.enqueue_due(runtime, NOW)
    drain(settings, NOW)

    def tenants_in(path: str) -> list[str]:
        cards = [d.body.decode() for d in receiver.accepted(path)]
        return sorted(t for card in cards for t in (CONTOSO, NORTHWIND) if f"Tenant ID {t}" in card)

    # Contoso's (high) finding reaches its own channel only; Northwind has no channel of its own and
    # follows the deployment's routes.
    assert tenants_in("/teams/contoso") == [CONTOSO]
    assert tenants_in("/teams/ops") == [NORTHWIND]


def test_a_customers_criticals_and_quarantine_also_go_to_the_providers_destinations() -> None:
    from monitor.alerts.settings import AlertDestination, AlertSettings
    from monitor.tenants.routing import tenant_settings

    alerts = AlertSettings(
        destinations=(AlertDestination("ops", "teams"), AlertDestination("contoso", "teams")),
        default_route=("ops",),
    )
    settings = tenant_settings(
        replace(Settings(), alerts=alerts),
        TenantRecord(
            CONTOSO, destinations=("contoso",), thresholds={"spike_ratio": 3, "spike_window_hours": 4.0}
        ),
    )
    route = settings.alerts.route
    assert route("consent.pin-reset-service.missing", "high") == ("contoso",)
    assert route("tap.policy.lifetime-too-long", "critical") == ("contoso", "ops")
    assert route(fanout.QUARANTINE_RULE, "high") == ("contoso", "ops")
    assert (settings.thresholds.spike_ratio, settings.thresholds.spike_window_hours) == (3.0, 4)
    assert type(settings.thresholds.spike_window_hours) is int


def test_when_demand_exceeds_the_budget_the_oldest_go_first_and_every_tenant_gets_its_turn() -> None:
    settings = replace(Settings(), poll_schedule="0 */15 * * * *", msp=MspSettings(app_id=APP))
    runtime = Runtime.in_memory(settings)
    ids = [f"{n:08x}-0000-4000-8000-000000000000" for n in range(3000)]
    for n, tenant in enumerate(ids):
        runtime.tenants.save(TenantRecord(tenant, last_pass=NOW - timedelta(hours=1, seconds=n)))

    class Sink:
        def __init__(self) -> None:
            self.sent: list[str] = []

        def send_json(self, document: dict[str, Any], delay: Any = None) -> None:
            self.sent.append(document["tenantId"])

        def close(self) -> None:
            pass

    runtime._opened["tenant_queue"] = Sink()  # what the queue receives, without a queue

    def run(sent: tuple[str, ...], moment: Any) -> None:  # each pass ran: its time is now the newest
        for tenant in sent:
            runtime.tenants.save(replace(runtime.tenants.tenant(tenant), last_pass=moment))  # type: ignore[arg-type]

    first = fanout.enqueue_due(runtime, NOW)
    # 122 report requests per 10 s, 92% of it planned, 5 per pass: 2,020 passes per 15 minutes.
    assert (first.capacity, first.waiting) == (2020, 980)
    assert first.sent == tuple(reversed(ids))[:2020]  # the longest waiting first
    [said] = fanout.tenant_problems(runtime, NOW)
    assert said.startswith("980 tenant(s) wait past their poll interval")
    run(first.sent, NOW)

    later = NOW + timedelta(minutes=15)
    second = fanout.enqueue_due(runtime, later)
    left = set(ids) - set(first.sent)
    assert set(second.sent[: len(left)]) == left  # the ones that waited go first
    assert set(second.sent[len(left) :]) <= set(first.sent)  # then the first tick's, oldest first
    assert len(second.sent) == 2020


def test_a_poisoned_tenant_pass_is_recorded_and_shown_by_health() -> None:
    settings = replace(Settings(), msp=MspSettings(app_id=APP))
    with Runtime.in_memory(settings) as runtime:
        runtime.tenants.save(TenantRecord(CONTOSO, "Contoso"))
        message = orjson.dumps(fanout.TenantPassRequest(CONTOSO, NOW).to_json())
        assert fanout.record_poison(runtime, message, 5, NOW) == "recorded"
        assert fanout.record_poison(runtime, b"not json", 5, NOW) == "rejected"
        problems = fanout.tenant_problems(runtime, NOW)
    assert problems == [
        "tenant Contoso: last pass failed 5 time(s); moved to the poison queue at 2026-11-20T12:00:00Z"
    ]


def test_the_commands_run_what_the_timer_and_the_queue_trigger_run(
    tmp_path: Path,
    azurite_with_queues: str,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    """`tenants poll` then `tenants run-queued`, as a provider tries it locally (docs/msp.md)."""
    from monitor.cli import main
    from tests.support import configure_monitor

    shared = customer(tmp_path, CONTOSO, "Contoso", service="missing")
    with GraphSimulator(tenants={CONTOSO: shared, FABRIKAM: shared}) as simulator:
        configure_monitor(monkeypatch, simulator.url, azurite_with_queues, f"cli{next(_prefix)}x")
        monkeypatch.setenv("MONITOR_MSP_APP_ID", APP)
        simulator.set_tenant_state(FABRIKAM, "disabled")
        with Runtime.from_env() as runtime:
            runtime.tenant_queue.receive_all()  # what an earlier test left on the shared queue
        for tenant in (CONTOSO, FABRIKAM):
            assert main(["tenants", "add", tenant, "--name", tenant[:8]]) == 0
        capsys.readouterr()

        assert main(["tenants", "poll", "--now", "2026-11-20T12:00:00Z"]) == 0
        polled = orjson.loads(capsys.readouterr().out)
        assert main(["tenants", "run-queued", "--now", "2026-11-20T12:00:00Z"]) == 0
        ran = orjson.loads(capsys.readouterr().out)["passes"]
        assert main(["tenants", "status", "--format", "json"]) == 0
        status = {t["tenantId"]: t for t in orjson.loads(capsys.readouterr().out)["tenants"]}

    assert (polled["tenants"], polled["sent"], polled["waiting"]) == (2, 2, 0)
    assert sorted((p["tenantId"], p["outcome"]) for p in ran) == [(CONTOSO, "ran"), (FABRIKAM, "quarantined")]
    assert (status[CONTOSO]["state"], status[CONTOSO]["lastOutcome"]) == ("active", "ok")
    assert (status[FABRIKAM]["state"], status[FABRIKAM]["problem"]) == ("quarantined", "app_disabled")


def test_a_pass_skipped_because_another_holds_the_tenant_leaves_it_due(
    world: tuple[Settings, GraphSimulator, CaptureReceiver],
) -> None:
    from monitor.records import utcnow

    settings, _, _ = world
    earlier = NOW - timedelta(hours=1)
    with Runtime(settings) as runtime:
        runtime.tenants.save(TenantRecord(CONTOSO, "Contoso", added=earlier, last_pass=earlier))
        now = utcnow()
        runtime.state.acquire_lease(CONTOSO, "another-pass", now + timedelta(minutes=11), now)
        fanout.enqueue_due(runtime, NOW)
    assert drain(settings, NOW) == {CONTOSO: "skipped"}
    with Runtime(settings) as runtime:
        record = runtime.tenants.tenant(CONTOSO)
    assert record is not None
    assert (record.last_pass, record.last_outcome) == (earlier, "skipped")
