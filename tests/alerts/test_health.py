"""A pass's alerts through the configured entry point (what the timer runs), and what health says
about notifications that could not be delivered."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from pathlib import Path

import pytest

from graphsim import GraphSimulator
from graphsim.receiver import CaptureReceiver
from tests import entry as service
from tests.support import NOW, TENANT_ID, configure_monitor, write_tenant


@pytest.fixture
def configured(
    tmp_path: Path, azurite: str, table_prefix: str, monkeypatch: pytest.MonkeyPatch
) -> Iterator[CaptureReceiver]:
    with GraphSimulator(write_tenant(tmp_path, service="missing")) as sim, CaptureReceiver() as receiver:
        configure_monitor(monkeypatch, sim.url, azurite, table_prefix)
        monkeypatch.setenv("MONITOR_ALERT_DESTINATIONS", "ops=teams")
        monkeypatch.setenv("MONITOR_ALERT_OPS_URL", f"{receiver.url}/teams/ops")
        yield receiver


def test_a_configured_pass_opens_and_delivers_its_alerts(configured: CaptureReceiver) -> None:
    asyncio.run(service.run_configured_pass(now=NOW))

    assert [(d.channel, d.name, d.status) for d in configured.deliveries] == [("teams", "ops", 202)]
    assert [(a.rule, a.state) for a in service.open_alerts(TENANT_ID)] == [
        ("consent.pin-reset-service.missing", "open")
    ]
    assert service.health().problems == ()


def test_a_url_answering_404_is_dead_and_health_says_so(
    configured: CaptureReceiver, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("MONITOR_ALERT_OPS_URL", f"{configured.url}/nowhere")

    asyncio.run(service.run_configured_pass(now=NOW))

    [dead] = service.dead_notifications(TENANT_ID)
    assert (dead.destination, dead.event, dead.attempts) == ("ops", "opened", 1)
    report = service.health()
    assert report.status == "degraded"
    assert report.problems == (
        f"1 alert notification(s) for tenant {TENANT_ID} could not be delivered (destinations: ops; latest: "
        "teams destination ops answered 404: not retried, check the destination's settings)",
    )
    assert configured.url not in str(report.to_json())
