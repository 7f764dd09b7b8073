"""Values past what Table Storage holds as they are: an errorCode past Int32 is stored as Int64 and read back,
and a text past 32K UTF-16 code units is cut, so `monitor run` neither dies nor loses the record."""

from __future__ import annotations

import asyncio
from datetime import timedelta
from pathlib import Path

from graphsim import GraphSimulator
from monitor.graph.session import GraphSession
from monitor.pipeline import run_pass
from monitor.store.tables import open_table_store
from tests.support import NOW, TENANT_ID, graph_signin, simulator_settings, write_tenant


def test_a_pass_stores_and_reads_back_an_error_code_past_int32(
    tmp_path: Path, azurite: str, table_prefix: str
) -> None:
    created = NOW - timedelta(minutes=40)
    signins = [graph_signin(1, created, error_code=2**31), graph_signin(2, created, error_code=50_126)]
    store = open_table_store(azurite, prefix=table_prefix)

    async def go() -> str:
        with GraphSimulator(write_tenant(tmp_path / "tenant", signins=signins)) as sim:
            settings = simulator_settings(sim.url)
            async with GraphSession(settings, transport_retry_delay=0.01) as graph:
                return (await run_pass(graph, store, settings, NOW)).outcome

    try:
        assert asyncio.run(go()) in ("ok", "partial")
        stored = store.pin_reset_signins(TENANT_ID, NOW - timedelta(days=1), NOW)
        hours = store.signin_hours(TENANT_ID, NOW - timedelta(days=1), NOW + timedelta(hours=1))
    finally:
        store.close()
    assert sorted(s.error_code for s in stored) == [50_126, 2**31]
    assert sorted(h.error_code for h in hours) == [50_126, 2**31]


def test_a_long_text_of_emoji_is_cut_to_what_table_storage_keeps(azurite: str, table_prefix: str) -> None:
    from dataclasses import replace

    from monitor.store.entities import MAX_TEXT

    created = NOW - timedelta(minutes=40)
    store = open_table_store(azurite, prefix=table_prefix)
    try:
        from monitor.collectors.signins import pin_reset_signin

        signin = pin_reset_signin(graph_signin(1, created))
        assert signin is not None
        store.save_pin_reset_signins(TENANT_ID, [replace(signin, failure_reason="\U0001f600" * 20_000)])
        (stored,) = store.pin_reset_signins(TENANT_ID, NOW - timedelta(days=1), NOW)
    finally:
        store.close()
    assert stored.failure_reason == "\U0001f600" * (MAX_TEXT // 2)
