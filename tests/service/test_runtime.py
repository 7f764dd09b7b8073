"""The Runtime: settings read once, each store opened on first use and closed once, and entry points
that run end to end over memory stores (the trigger tests keep one Azurite run each)."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import pytest

from graphsim import GraphSimulator
from graphsim.receiver import CaptureReceiver
from monitor.errors import BadRequest, NotFound
from monitor.service import alerts, health, passes
from monitor.service.answer import Answer, failure, respond
from monitor.service.runtime import Runtime
from monitor.settings import Settings, SettingsError
from monitor.store.account import MemoryAccount
from monitor.store.base import StoreError
from tests.alerts.support import alert_settings
from tests.conftest import ROOT
from tests.support import NOW, TENANT_ID, simulator_settings, write_tenant


class CountingStores(MemoryAccount):
    """Memory stores that count how often each is opened and closed."""

    def __init__(self) -> None:
        super().__init__()
        self.opened: list[str] = []
        self.closed: list[str] = []

    def _counted(self, name: str, store: Any) -> Any:
        self.opened.append(name)
        close = store.close

        def closing() -> None:
            self.closed.append(name)
            close()

        store.close = closing
        return store

    def state(self) -> Any:
        return self._counted("state", super().state())

    def alerts(self) -> Any:
        return self._counted("alerts", super().alerts())

    def reviews(self) -> Any:
        return self._counted("reviews", super().reviews())


def test_each_store_is_opened_on_first_use_once_and_closed_once() -> None:
    stores = CountingStores()
    with Runtime(Settings(), stores) as runtime:
        assert stores.opened == []
        assert runtime.state is runtime.state
        assert runtime.alerts is runtime.alerts
    assert (sorted(stores.opened), sorted(stores.closed)) == (["alerts", "state"], ["alerts", "state"])

    runtime.close()  # a second close closes nothing twice
    assert sorted(stores.closed) == ["alerts", "state"]


def test_settings_are_read_once_and_a_bad_configuration_names_every_problem() -> None:
    runtime = Runtime.from_env({"MONITOR_STORAGE_CONNECTION_STRING": "UseDevelopmentStorage=true"})
    assert runtime.settings.has_storage
    with pytest.raises(SettingsError) as refused:
        Runtime.from_env({"MONITOR_GRAPH_CREDENTIAL": "certificate"})
    assert len(refused.value.problems) == 2  # the credential and the missing storage, together


def test_a_pass_its_alerts_and_health_run_end_to_end_over_memory_stores(tmp_path: Path) -> None:
    tenant = write_tenant(tmp_path / "tenant", service="missing")
    with CaptureReceiver() as receiver, GraphSimulator(tenant) as simulator:
        settings = simulator_settings(simulator.url, alerts=alert_settings(receiver.url))
        with Runtime.in_memory(settings) as runtime:
            result = asyncio.run(passes.run_configured_pass(runtime, NOW))
            opened = alerts.list_alerts(runtime, TENANT_ID)
            report = health.check(runtime, NOW)
        delivered = receiver.accepted()
    assert result.outcome == "ok"
    assert [(a.rule, a.state) for a in opened] == [("consent.pin-reset-service.missing", "open")]
    assert sorted(f"/{d.channel}/{d.name}" for d in delivered) == ["/teams/ops", "/webhook/soc"]
    assert (report.status, [r.tenant_id for r in report.last_runs]) == ("ok", [TENANT_ID])


def test_an_offline_scan_shares_the_runtimes_stores() -> None:
    from monitor.service.offline import scan_snapshot

    with Runtime.in_memory() as runtime:
        result = asyncio.run(scan_snapshot(runtime, ROOT / "examples" / "tenants" / "consent-missing", NOW))
        kept = runtime.state.findings(result.tenant.id)
    assert sorted((f.rule, f.subject) for f in kept) == sorted((f.rule, f.subject) for f in result.findings)


@pytest.mark.parametrize(
    ("error", "status", "cause"),
    [
        (BadRequest("the body is not JSON"), 400, "bad-request"),
        (NotFound("'no alert 12'"), 404, "not-found"),
        (SettingsError(["MONITOR_X is not a number"]), 503, "configuration"),
        (StoreError("alerts: upsert failed: 403 AuthorizationFailure"), 503, "storage"),
        (RuntimeError("a bug"), 503, "unexpected"),
    ],
)
def test_every_error_is_mapped_to_one_status_in_one_place(error: Exception, status: int, cause: str) -> None:
    answer = failure(error, "test route")
    assert (answer.status, answer.cause) == (status, cause)
    assert str(answer.json()["error"])


def test_a_route_answers_a_configuration_error_with_every_problem_and_never_raises() -> None:
    def work(runtime: Runtime) -> Answer:
        raise AssertionError("not reached: the settings do not parse")

    answer = respond("test route", work, {"MONITOR_GRAPH_CREDENTIAL": "certificate"})
    assert answer.status == 503
    assert answer.json()["problems"] == [
        "MONITOR_GRAPH_CREDENTIAL must be one of managed-identity, default, simulator, got 'certificate'",
        "MONITOR_STORAGE_CONNECTION_STRING or MONITOR_STORAGE_ENDPOINT is required to keep state",
    ]


def test_settings_are_parsed_in_one_place() -> None:
    """Every entry point gets its settings from its Runtime (the issue's measure: one place)."""
    readers = sorted(
        str(path.relative_to(ROOT))
        for path in (ROOT / "monitor").rglob("*.py")
        if "Settings.from_env(" in path.read_text(encoding="utf-8")
    )
    assert readers == ["monitor/service/runtime.py"]
