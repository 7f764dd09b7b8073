"""Whole passes: real msgraph-sdk against the simulator, real stores. A pass that dies halfway and runs
again must leave the store exactly as one clean pass leaves it."""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import orjson
import pytest

from graphsim import Fault, GraphSimulator
from monitor.collectors.signins import floor_hour, polling_window, read_pin_reset_signins
from monitor.entra import PIN_RESET_SERVICE_APP_ID as SERVICE
from monitor.graph.session import GraphSession
from monitor.pipeline import PassResult, run_pass
from monitor.polling import SIGNIN_STREAM
from monitor.records import PinResetSignIn
from monitor.rules import load_catalog
from monitor.settings import Settings
from monitor.store.base import StateStore
from monitor.store.ingest import MemoryIngestStore
from monitor.store.memory import MemoryStore
from monitor.store.tables import open_table_store
from tests.support import (
    NOW,
    TENANT_ID,
    signin_series,
    simulator_settings,
    user_id_of,
    write_recovery_tenant,
    write_tenant,
)

SIGNINS = "beta/auditLogs/signIns"
LOOKBACK = (NOW - timedelta(days=15), NOW + timedelta(hours=1))


@pytest.fixture(scope="module")
def snapshot(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The service app is missing; 1,500 PIN reset sign-ins over five days, failing for the last day."""
    start = NOW - timedelta(days=5)
    ok = signin_series(1200, start=start, step=timedelta(minutes=5))
    failing = signin_series(
        300, start=NOW - timedelta(hours=25), step=timedelta(minutes=5), first=5000, error_code=500011
    )
    return write_tenant(tmp_path_factory.mktemp("tenant"), service="missing", signins=failing + ok)


@pytest.fixture
def simulator(snapshot: Path) -> Iterator[GraphSimulator]:
    with GraphSimulator(snapshot) as sim:
        yield sim


@pytest.fixture
def new_store(request: pytest.FixtureRequest) -> Iterator[Callable[[], StateStore]]:
    """Makes fresh stores of the kind under test (Table Storage in Azurite, or memory)."""
    opened: list[Any] = []
    kind = getattr(request, "param", "tables")

    def make() -> StateStore:
        if kind == "memory":
            return MemoryStore()
        store = open_table_store(
            request.getfixturevalue("azurite"),
            prefix=request.getfixturevalue("table_prefix") + f"s{len(opened)}",
        )
        opened.append(store)
        return store

    yield make
    for store in opened:
        store.close()


def one_pass(simulator: GraphSimulator, store: StateStore, settings: Settings | None = None) -> PassResult:
    async def go() -> PassResult:
        async with GraphSession(
            settings or simulator_settings(simulator.url), transport_retry_delay=0.01
        ) as graph:
            settings_ = settings or simulator_settings(simulator.url)
            return await run_pass(graph, store, settings_, NOW, MemoryIngestStore())

    return asyncio.run(go())


def state(store: StateStore) -> dict[str, Any]:
    """Everything a pass leaves in the store, in a comparable form."""
    return {
        "checkpoint": store.checkpoint(TENANT_ID, SIGNIN_STREAM),
        "signins": store.pin_reset_signins(TENANT_ID, *LOOKBACK),
        "hours": store.signin_hours(TENANT_ID, *LOOKBACK),
        "consent": {k: (v.consented, v.enabled, v.changed_at) for k, v in store.consent(TENANT_ID).items()},
        "findings": [
            (f.key, f.status, f.first_seen, f.last_seen, f.detail, dict(f.evidence))
            for f in store.findings(TENANT_ID)
        ],
    }


@pytest.mark.parametrize("new_store", ["tables", "memory"], indirect=True)
def test_a_pass_whose_signin_read_broke_midway_then_reran_stores_what_one_clean_pass_stores(
    simulator: GraphSimulator, new_store: Callable[[], StateStore]
) -> None:
    clean = new_store()
    one_pass(simulator, clean)

    resumed = new_store()
    simulator.reset()
    # The connection drops for good after the first pages: some sign-ins are stored, the rest are not.
    simulator.add_fault(Fault("drop", path=SIGNINS, after=2, times=None))
    broken = one_pass(simulator, resumed)
    assert [p.source for p in broken.problems] == [SIGNINS]
    assert {r.rule: r.status for r in broken.results}["signin.pin-reset.consent-errors"] == "error"
    assert resumed.checkpoint(TENANT_ID, SIGNIN_STREAM) is None
    assert 0 < len(resumed.pin_reset_signins(TENANT_ID, *LOOKBACK)) < 1500

    simulator.clear_faults()
    one_pass(simulator, resumed)

    assert state(resumed) == state(clean)
    assert len(state(clean)["signins"]) == 1500


def test_a_process_that_died_between_storing_signins_and_the_checkpoint_recovers_on_the_next_pass(
    simulator: GraphSimulator, new_store: Callable[[], StateStore]
) -> None:
    clean = new_store()
    one_pass(simulator, clean)

    crashed = new_store()

    class ProcessDied(Exception):
        pass

    pages = 0

    def store_then_die(signins: list[PinResetSignIn]) -> None:
        nonlocal pages
        crashed.save_pin_reset_signins(TENANT_ID, signins)
        pages += 1
        if pages == 3:
            raise ProcessDied

    async def die_midway() -> None:
        settings = simulator_settings(simulator.url)
        start, end = polling_window(
            None, NOW, timedelta(hours=3), timedelta(days=settings.signin_lookback_days)
        )
        async with GraphSession(settings) as graph:
            await read_pin_reset_signins(graph, start, end, store_then_die)

    with pytest.raises(ProcessDied):
        asyncio.run(die_midway())
    one_pass(simulator, crashed)

    assert state(crashed) == state(clean)


def test_a_second_pass_rereads_only_the_overlap_and_keeps_the_history(
    simulator: GraphSimulator, new_store: Callable[[], StateStore]
) -> None:
    store = new_store()
    first = one_pass(simulator, store)
    simulator.reset()
    second = one_pass(simulator, store)

    filters = [
        r.query["$filter"]
        for r in simulator.requests
        if SIGNINS.lower() in r.path.lower() and r.status == 200
    ]
    window_start = floor_hour(NOW - timedelta(minutes=180)).strftime("%Y-%m-%dT%H:%M:%SZ")
    assert len(filters) == 4
    assert all(f.startswith(f"createdDateTime ge {window_start} and ") for f in filters)
    assert second.stats["signins_read"] < first.stats["signins_read"]
    assert [(f.rule, f.subject) for f in second.findings] == [(f.rule, f.subject) for f in first.findings]
    latest, earlier = store.runs(TENANT_ID)
    nothing = {"added": 0, "changed": 0, "removed": 0}
    assert earlier.summary["inventoryChanges"] == {
        "domain": {"added": 1, "changed": 0, "removed": 0},
        "device": {"added": 1, "changed": 0, "removed": 0},
        "policy": {"added": 1, "changed": 0, "removed": 0},
        "tap-policy": {"added": 1, "changed": 0, "removed": 0},
    }
    assert latest.summary["inventoryChanges"] == dict.fromkeys(
        ("domain", "device", "policy", "tap-policy"), nothing
    )
    (device,) = store.inventory(TENANT_ID, "device").values()
    assert (device.state["release"], device.state["edition"], device.state["nonDestructiveReset"]) == (
        "Windows 11 23H2",
        "Enterprise",
        True,
    )


def test_findings_of_a_pass_match_the_broken_tenant_and_are_recorded_with_the_run(
    simulator: GraphSimulator, new_store: Callable[[], StateStore]
) -> None:
    store = new_store()
    result = one_pass(simulator, store)

    assert [(f.rule, f.subject) for f in result.findings] == [
        ("consent.pin-reset-service.missing", SERVICE),
        ("signin.pin-reset.consent-errors", TENANT_ID),
        # 25 hours into the breakage the last 6 hours still stand far above the week before.
        ("signin.pin-reset.failure-spike", TENANT_ID),
    ]
    errors = next(f for f in result.findings if f.rule == "signin.pin-reset.consent-errors")
    assert errors.evidence["window"]["failures"] == 288  # one every 5 minutes over the last 24 h
    assert errors.evidence["sinceFirstFailure"]["failures"] == 300
    assert [f.key for f in result.changes.opened] == [(f.rule, f.subject) for f in result.findings]
    (run,) = store.runs(TENANT_ID)
    assert (run.outcome, run.summary["findings"], run.summary["rules"]) == (
        "ok",
        3,
        {"pass": len(load_catalog()) - 3, "fail": 3, "skipped": 0, "error": 0},
    )


def recovery_pass(snapshot: Path) -> PassResult:
    async def one() -> PassResult:
        with GraphSimulator(snapshot) as sim:
            async with GraphSession(simulator_settings(sim.url)) as graph:
                return await run_pass(graph, MemoryStore(), simulator_settings(sim.url), NOW)

    return asyncio.run(one())


def recovery_status(result: PassResult) -> tuple[str, str]:
    (outcome,) = [r for r in result.results if r.rule == "tap.recovery.old-methods-kept"]
    return outcome.status, outcome.reason


def test_a_recovery_that_kept_the_old_methods_is_found_with_its_chain(tmp_path: Path) -> None:
    result = recovery_pass(write_recovery_tenant(tmp_path))

    assert recovery_status(result)[0] == "fail"
    (finding,) = [f for f in result.findings if f.rule == "tap.recovery.old-methods-kept"]
    assert finding.subject == user_id_of("adelev")
    ((chain),) = result.recoveries
    assert (chain.stage, [m.kind for m in chain.kept_old or ()]) == (
        "new-method-registered",
        ["microsoftAuthenticatorAuthenticationMethod", "phoneAuthenticationMethod"],
    )


def test_a_recovery_that_removed_the_old_methods_passes(tmp_path: Path) -> None:
    result = recovery_pass(write_recovery_tenant(tmp_path, removed=True))

    assert recovery_status(result)[0] == "pass"
    assert [c.stage for c in result.recoveries] == ["old-methods-removed"]


def test_without_permission_to_read_methods_the_recovery_rule_is_skipped_and_says_why(tmp_path: Path) -> None:
    snapshot = write_recovery_tenant(tmp_path)
    denied = {
        "path": f"v1.0/users/{user_id_of('adelev')}/authentication/methods",
        "status": 403,
        "code": "Authorization_RequestDenied",
        "message": "Insufficient privileges to complete the operation.",
    }
    (snapshot / "_simulator.json").write_bytes(orjson.dumps({"responses": [denied]}))

    result = recovery_pass(snapshot)

    status, reason = recovery_status(result)
    assert status == "skipped"
    assert reason.startswith(
        "permission missing: v1.0/users/{id}/authentication/methods needs UserAuthenticationMethod.Read.All"
    )
    assert [c.stage for c in result.recoveries] == ["new-method-registered"]
