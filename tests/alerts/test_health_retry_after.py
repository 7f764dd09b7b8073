"""A receiver asking for a Retry-After of 999999999999 seconds, through the configured entry point (what
the timer runs): every pass finishes and records the outcome, and once the notice is given up health
says so."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest

from graphsim import GraphSimulator
from graphsim.receiver import Answer, CaptureReceiver
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
        monkeypatch.setenv("MONITOR_ALERT_MAX_ATTEMPTS", "3")
        monkeypatch.setenv("MONITOR_ALERT_REMINDER_HOURS", "1000")
        yield receiver


def test_a_huge_retry_after_never_crashes_a_pass_and_the_notice_ends_dead_in_health(
    configured: CaptureReceiver,
) -> None:
    configured.script("/teams/ops", *[Answer(429, {"Retry-After": "999999999999"})] * 3)

    for hours in (0, 6, 12):
        asyncio.run(service.run_configured_pass(now=NOW + timedelta(hours=hours, minutes=1)))
        [row] = service.outbox(TENANT_ID, None)
        assert row.attempts == hours // 6 + 1

    [dead] = service.dead_notifications(TENANT_ID)
    assert dead.last_error == "gave up after 3 attempts: teams destination ops answered 429 Too Many Requests"
    assert [d.status for d in configured.deliveries] == [429, 429, 429]
    report = service.health()
    assert report.status == "degraded"
    assert [p for p in report.problems if "could not be delivered" in p] == [
        f"1 alert notification(s) for tenant {TENANT_ID} could not be delivered (destinations: ops; latest: "
        "gave up after 3 attempts: teams destination ops answered 429 Too Many Requests)"
    ]
