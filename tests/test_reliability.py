"""What the monitor does when its input or its store fails: data it could not use never passes, every
failure is one clear line, every pass is recorded, and two passes of one tenant never interleave.

Each test reproduces one way of failing, with the real parts: the CLI as a process, Azurite killed and
restarted, two real passes at once, the Graph simulator over loopback."""

from __future__ import annotations

import asyncio
import os
import shutil
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import orjson
import pytest

from graphsim import GraphSimulator
from graphsim.server import RequestRecord
from monitor.graph.session import GraphSession
from monitor.pipeline import PassResult, run_pass
from monitor.store.base import StateStore, StoreError
from monitor.store.memory import MemoryStore
from monitor.store.tables import TableStore, open_table_store
from tests.conftest import ROOT, AzuriteTables, azurite_connection_string, free_port
from tests.support import NOW, TENANT_ID, signin_series, simulator_settings, write_tenant

TENANTS = ROOT / "examples" / "tenants"
SIGNINS = "beta/auditLogs/signIns.json"
CLI_NOW = "2026-11-20T12:00:00Z"
AZURITE_AUTOSAVE_SECONDS = 6  # LokiTableMetadataStore autosaves every 5,000 ms


def cli(*args: str, env: dict[str, str] | None = None, prefix: list[str] | None = None) -> Any:
    environment = {k: v for k, v in os.environ.items() if not k.startswith("MONITOR_")} | (env or {})
    return subprocess.run(
        [*(prefix or []), sys.executable, "-m", "monitor", *args],
        cwd=ROOT,
        env=environment,
        capture_output=True,
        text=True,
        timeout=180,
    )


def scan_rules(snapshot: Path) -> dict[str, dict[str, Any]]:
    done = cli("scan", "--snapshot", str(snapshot), "--now", CLI_NOW)
    assert done.returncode == 0, done.stderr
    document = orjson.loads(done.stdout)
    return {r["rule"]: r | {"stats": document["stats"]} for r in document["rules"]}


def rewrite_signins(tenant: str, target: Path, change: Any) -> Path:
    """A copy of a bundled tenant whose sign-ins went through `change` (one Graph sign-in at a time)."""
    shutil.copytree(TENANTS / tenant, target)
    path = target / SIGNINS
    items = orjson.loads(path.read_bytes())["value"]
    path.write_bytes(orjson.dumps({"value": [change(item) for item in items]}))
    return target


# -- data that could not be used never passes ------------------------------------------------------


def with_string_error_codes(item: dict[str, Any]) -> dict[str, Any]:
    return item | {"status": item["status"] | {"errorCode": str(item["status"]["errorCode"])}}


@pytest.mark.parametrize(
    ("change", "why", "count"),
    [
        (with_string_error_codes, "status.errorCode is not an integer", 177),
        (lambda item: item | {"status": None}, "status is not an object", 177),
        # Without a time no window holds them out: every PIN reset sign-in of the log comes back.
        (lambda item: item | {"createdDateTime": "yesterday-ish"}, "createdDateTime is not a time", 288),
    ],
    ids=["errorCode as a string", "status null", "createdDateTime garbage"],
)
def test_pin_reset_rules_do_not_pass_on_sign_ins_they_could_not_use(
    tmp_path: Path, change: Any, why: str, count: int
) -> None:
    rules = scan_rules(rewrite_signins("consent-missing", tmp_path / "tenant", change))

    for rule in ("signin.pin-reset.consent-errors", "signin.pin-reset.failure-spike"):
        assert rules[rule]["status"] == "error", rules[rule]
        reason = rules[rule]["reason"]
        assert reason.startswith(
            f"cannot conclude a pass: {count} item(s) of beta/auditLogs/signIns could not be used"
        )
        assert f"({why}; first ids: " in reason
    # The PIN reset sign-ins, and the TAP sign-in of the user who reset a PIN with a pass.
    assert rules["signin.pin-reset.consent-errors"]["stats"]["records_skipped"] == count + 1


def test_tap_rules_do_not_pass_when_authentication_details_are_not_an_array(tmp_path: Path) -> None:
    def details_as_object(item: dict[str, Any]) -> dict[str, Any]:
        details = item.get("authenticationDetails")
        return item | {"authenticationDetails": details[0] if details else {}}

    rules = scan_rules(rewrite_signins("tap-suspicious", tmp_path / "tenant", details_as_object))

    for rule in ("tap.signin.risky", "tap.signin.failure-burst"):
        assert rules[rule]["status"] == "error", rules[rule]
        assert (
            "could not be used (authenticationDetails is not an array; first ids: " in rules[rule]["reason"]
        )


# -- every storage failure is one line ---------------------------------------------------------------


def run_env(graph: str, storage: str) -> dict[str, str]:
    return {
        "MONITOR_GRAPH_ENDPOINT": graph,
        "MONITOR_GRAPH_CREDENTIAL": "simulator",
        "MONITOR_STORAGE_CONNECTION_STRING": storage,
        "MONITOR_TABLE_PREFIX": "reliability",
        "MONITOR_POLL_SCHEDULE": "0 */15 * * * *",
    }


@pytest.fixture
def simulator(tmp_path: Path) -> Iterator[GraphSimulator]:
    with GraphSimulator(write_tenant(tmp_path / "tenant", service="missing")) as sim:
        yield sim


def assert_one_line(done: Any, code: int, start: str) -> None:
    assert done.returncode == code, done.stderr
    assert done.stderr.count("\n") == 1, done.stderr
    assert done.stderr.startswith(start), done.stderr
    assert "Traceback" not in done.stderr


def test_a_closed_storage_port_is_one_line_and_exit_1(simulator: GraphSimulator) -> None:
    done = cli("run", "--now", CLI_NOW, env=run_env(simulator.url, azurite_connection_string(free_port())))
    assert_one_line(
        done, 1, "error: the pass could not finish: table reliabilitycheckpoints: create failed ("
    )


def test_a_wrong_account_key_is_one_line_and_exit_1(simulator: GraphSimulator, azurite: str) -> None:
    wrong = azurite.replace("AccountKey=Eby8", "AccountKey=Xby8")
    done = cli("run", "--now", CLI_NOW, env=run_env(simulator.url, wrong))
    assert_one_line(
        done, 1, "error: the pass could not finish: table reliabilitycheckpoints: create failed (HTTP 403"
    )


def test_a_malformed_connection_string_is_configuration_exit_2_and_status_lists_it(
    simulator: GraphSimulator,
) -> None:
    env = run_env(simulator.url, "this is not a connection string")
    done = cli("run", "--now", CLI_NOW, env=env)
    assert_one_line(
        done,
        2,
        "error: configuration problems: MONITOR_STORAGE_CONNECTION_STRING must be key=value pairs separated",
    )

    status = cli("status", env=env)
    assert status.returncode == 0, status.stderr
    report = orjson.loads(status.stdout)
    assert (report["status"], report["problems"]) == (
        "unhealthy",
        ["MONITOR_STORAGE_CONNECTION_STRING must be key=value pairs separated by ';'"],
    )


class KillOnRequest(GraphSimulator):
    """The simulator, calling `hook` once when a request whose path contains `path` is served."""

    def __init__(self, snapshot: Path, path: str, hook: Any) -> None:
        super().__init__(snapshot)
        self._path, self._hook, self._fired = path.lower(), hook, False

    def record(self, record: RequestRecord) -> None:
        super().record(record)
        if not self._fired and self._path in record.path.lower():
            self._fired = True
            self._hook()


def one_pass(url: str, store: StateStore, **changes: Any) -> PassResult:
    async def go() -> PassResult:
        settings = simulator_settings(url, **changes)
        async with GraphSession(settings, transport_retry_delay=0.01) as graph:
            return await run_pass(graph, store, settings, NOW)

    return asyncio.run(go())


def test_azurite_dying_mid_pass_is_a_store_error_and_a_restart_recovers_what_one_clean_pass_stores(
    tmp_path: Path,
) -> None:
    snapshot = write_tenant(
        tmp_path / "tenant",
        service="missing",
        signins=signin_series(
            300, start=NOW - timedelta(days=2), step=timedelta(minutes=9), error_code=500011
        ),
    )
    service = AzuriteTables(location=str(tmp_path / "azurite")).start()
    try:
        store = open_table_store(service.connection_string, prefix="dying")
        # Azurite writes its database to disk every 5 s (Azure Table Storage loses nothing): let it save
        # the tables before it is killed, so the restart shows what a real restart would.
        time.sleep(AZURITE_AUTOSAVE_SECONDS)
        with KillOnRequest(snapshot, "deviceManagement/managedDevices", service.kill) as sim:
            with pytest.raises(StoreError) as raised:
                one_pass(sim.url, store)
            assert str(raised.value).startswith("table dying")
            assert "\n" not in str(raised.value)
            store.close()

            service.start()  # the same port and data directory: what was stored before the death is there
            resumed = open_table_store(service.connection_string, prefix="dying")
            second = one_pass(sim.url, resumed)
        clean = MemoryStore()
        with GraphSimulator(snapshot) as sim:
            reference = one_pass(sim.url, clean)

        assert [(f.rule, f.subject) for f in second.findings] == [
            (f.rule, f.subject) for f in reference.findings
        ]
        window = (NOW - timedelta(days=15), NOW)
        assert resumed.pin_reset_signins(TENANT_ID, *window) == clean.pin_reset_signins(TENANT_ID, *window)
        assert resumed.signin_hours(TENANT_ID, *window) == clean.signin_hours(TENANT_ID, *window)
        assert [(f.key, f.status, f.first_seen) for f in resumed.findings(TENANT_ID)] == [
            (f.key, f.status, f.first_seen) for f in clean.findings(TENANT_ID)
        ]
        resumed.close()
    finally:
        service.stop()


# -- every pass is recorded, and two never interleave ------------------------------------------------


def test_two_passes_started_together_keep_two_records_and_the_second_says_it_was_skipped(
    tmp_path: Path, azurite: str, table_prefix: str
) -> None:
    snapshot = write_tenant(tmp_path / "tenant", service="missing")
    inside = threading.Event()
    release = threading.Event()

    def hold() -> None:  # the first pass stops inside its collection until the second has run
        inside.set()
        release.wait(timeout=60)

    first_store = open_table_store(azurite, prefix=table_prefix)
    second_store = open_table_store(azurite, prefix=table_prefix)
    results: dict[str, PassResult] = {}
    with KillOnRequest(snapshot, "servicePrincipals", hold) as sim:
        first = threading.Thread(target=lambda: results.setdefault("first", one_pass(sim.url, first_store)))
        first.start()
        assert inside.wait(timeout=60)
        results["second"] = one_pass(sim.url, second_store)
        release.set()
        first.join(timeout=120)

    runs = first_store.runs(TENANT_ID)
    assert sorted(r.outcome for r in runs) == ["ok", "skipped"]
    assert {r.run_id for r in runs} == {results["first"].run_id, results["second"].run_id}
    (skipped,) = [r for r in runs if r.outcome == "skipped"]
    assert skipped.summary["reason"].startswith(
        f"another pass (run {results['first'].run_id}) holds the tenant"
    )
    assert [(f.rule, f.status) for f in first_store.findings(TENANT_ID)] == [
        ("consent.pin-reset-service.missing", "open")
    ]
    first_store.close()
    second_store.close()


class ProcessDied(BaseException):
    """A kill: not an Exception, so no handler of the pass runs."""


class DiesBeforeTheRunRecord(TableStore):
    """Table Storage whose process is killed right after the findings are written."""

    def save_run(self, run: Any) -> None:
        if run.outcome not in ("running", "failed"):
            raise ProcessDied
        super().save_run(run)


def test_a_kill_between_findings_and_run_record_still_leaves_a_record_of_every_finding_opened(
    simulator: GraphSimulator, azurite: str, table_prefix: str
) -> None:
    plain = open_table_store(azurite, prefix=table_prefix)
    dying = DiesBeforeTheRunRecord(plain._account)
    with pytest.raises(ProcessDied):
        one_pass(simulator.url, dying)
    (killed_run,) = plain.runs(TENANT_ID)
    assert killed_run.outcome == "running"
    (opened,) = plain.findings(TENANT_ID)
    assert (opened.key, opened.opened_by_run) == (
        ("consent.pin-reset-service.missing", "b8456c59-1230-44c7-a4a2-99b085333e84"),
        killed_run.run_id,
    )

    one_pass(simulator.url, plain)

    by_id = {r.run_id: r for r in plain.runs(TENANT_ID)}
    assert by_id[killed_run.run_id].outcome == "failed"
    assert by_id[killed_run.run_id].summary["error"] == "the process ended before the pass finished"
    assert by_id[killed_run.run_id].summary["opened"] == [
        ["consent.pin-reset-service.missing", "b8456c59-1230-44c7-a4a2-99b085333e84"]
    ]
    plain.close()


# -- unreadable snapshots ----------------------------------------------------------------------------


def test_an_unreadable_snapshot_directory_is_one_line_and_exit_2(tmp_path: Path) -> None:
    snapshot = tmp_path / "tenant"
    shutil.copytree(TENANTS / "healthy", snapshot)
    snapshot.chmod(0)
    # As root, permissions do not bind: run the CLI as the unprivileged owner of the files instead
    # (a user namespace mapping this uid to 1000), where chmod 000 takes effect.
    as_owner = ["unshare", "--user", "--map-user=1000", "--map-group=1000"] if os.geteuid() == 0 else []
    try:
        done = cli("scan", "--snapshot", str(snapshot), prefix=as_owner)
    finally:
        snapshot.chmod(0o755)
    assert_one_line(done, 2, f"error: unreadable snapshot: snapshot directory {snapshot} cannot be read: ")
