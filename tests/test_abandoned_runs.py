"""A run left `running` by a process that died is marked failed by the next pass of its tenant, however
many skipped passes came between (each skipped pass is a run record of its own)."""

from __future__ import annotations

import asyncio
from datetime import timedelta
from pathlib import Path

import pytest

from graphsim import GraphSimulator
from monitor.graph.session import GraphSession
from monitor.pipeline import new_run_id, run_pass
from monitor.records import utcnow
from monitor.store.base import RunRecord, StateStore
from monitor.store.memory import MemoryStore
from monitor.store.tables import open_table_store
from tests.support import NOW, TENANT_ID, simulator_settings, write_tenant


@pytest.fixture(params=["memory", "tables"])
def store(request: pytest.FixtureRequest) -> StateStore:
    if request.param == "memory":
        return MemoryStore()
    return open_table_store(
        request.getfixturevalue("azurite"), prefix=request.getfixturevalue("table_prefix")
    )


@pytest.mark.parametrize("skipped", [0, 6, 40])
def test_a_dead_run_is_closed_after_any_number_of_skipped_passes(
    store: StateStore, tmp_path: Path, skipped: int
) -> None:
    begun = utcnow() - timedelta(hours=2)
    store.save_run(RunRecord(TENANT_ID, new_run_id(begun), begun, begun, NOW, "ok", {}))
    died_at = begun + timedelta(minutes=1)
    dead = RunRecord(TENANT_ID, new_run_id(died_at), died_at, died_at, NOW, "running", {})
    store.save_run(dead)
    for n in range(skipped):
        at = died_at + timedelta(seconds=n + 1)
        store.save_run(RunRecord(TENANT_ID, new_run_id(at), at, at, NOW, "skipped", {"reason": "held"}))

    async def go() -> None:
        with GraphSimulator(write_tenant(tmp_path / "tenant")) as sim:
            settings = simulator_settings(sim.url)
            async with GraphSession(settings, transport_retry_delay=0.01) as graph:
                await run_pass(graph, store, settings, NOW)

    asyncio.run(go())

    (closed,) = [r for r in store.runs(TENANT_ID, 100) if r.run_id == dead.run_id]
    assert (closed.outcome, closed.summary["error"]) == (
        "failed",
        "the process ended before the pass finished",
    )
    assert [r.outcome for r in store.runs(TENANT_ID, 100)].count("running") == 0
    store.close()
