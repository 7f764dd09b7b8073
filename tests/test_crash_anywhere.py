"""A pass killed at any point loses and doubles nothing: after the next clean pass the store holds what
one clean pass leaves. A seeded sample of kill points here; bench/crash_anywhere.py runs many more."""

from __future__ import annotations

import random
from collections.abc import Iterator

import pytest

from graphsim import GraphSimulator
from monitor.store.base import StateStore
from monitor.store.memory import MemoryStore
from monitor.store.tables import open_table_store
from tests.crash import crash_then_recover, one_pass, operations_of_a_clean_pass, state, write_crash_tenant

SEED = 20261201
MEMORY_POINTS = 12
TABLE_POINTS = 4


@pytest.fixture(scope="module")
def simulator(tmp_path_factory: pytest.TempPathFactory) -> Iterator[GraphSimulator]:
    with GraphSimulator(write_crash_tenant(tmp_path_factory.mktemp("crash"))) as sim:
        yield sim


@pytest.fixture(scope="module")
def clean_state(simulator: GraphSimulator) -> dict[str, object]:
    store = MemoryStore()
    one_pass(simulator, store)
    return state(store)


def kill_points(simulator: GraphSimulator, count: int, salt: int) -> list[int]:
    total = operations_of_a_clean_pass(simulator, MemoryStore)
    return sorted(random.Random(SEED + salt).sample(range(1, total + 1), count))


def test_the_crash_tenant_gives_every_stream_work(clean_state: dict[str, object]) -> None:
    assert len(clean_state["signins"]) == 122  # type: ignore[arg-type]
    assert len(clean_state["tap_issuances"]) == 2  # type: ignore[arg-type]
    assert len(clean_state["tap_signins"]) == 2  # type: ignore[arg-type]
    assert [f[0][0] for f in clean_state["findings"]] == [  # type: ignore[attr-defined]
        "consent.pin-reset-service.missing",
        "signin.pin-reset.consent-errors",
    ]


def test_a_pass_killed_at_any_store_operation_recovers_in_memory(
    simulator: GraphSimulator, clean_state: dict[str, object]
) -> None:
    for k in kill_points(simulator, MEMORY_POINTS, 0):
        store: StateStore = MemoryStore()
        assert crash_then_recover(simulator, store, k), k
        assert state(store) == clean_state, f"killed at store operation {k}"


def test_a_pass_killed_at_any_store_operation_recovers_in_table_storage(
    simulator: GraphSimulator, clean_state: dict[str, object], azurite: str, table_prefix: str
) -> None:
    for n, k in enumerate(kill_points(simulator, TABLE_POINTS, 1)):
        store = open_table_store(azurite, prefix=f"{table_prefix}k{n}")
        assert crash_then_recover(simulator, store, k), k
        assert state(store) == clean_state, f"killed at store operation {k}"
        store.close()
