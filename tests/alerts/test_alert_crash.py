"""The alert step killed at any point, then run again: no notice lost, at most one delivery repeated per
kill, every repeat under the ID of its first send (Teams cards included). Every kill point in memory, a
seeded sample in Table Storage; bench/alert_crash.py runs many more, with the figures."""

from __future__ import annotations

import random
from collections.abc import Iterator
from pathlib import Path

import pytest

from graphsim import GraphSimulator
from graphsim.receiver import CaptureReceiver
from monitor.store.account import TableAccount
from monitor.store.alerts import MemoryAlertStore
from tests.alert_crash import KillResult, crash_then_recover, endpoints, kill_points_of_a_clean_step

SEED = 20261204
TABLE_POINTS = 12


@pytest.fixture(scope="module")
def ends(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[CaptureReceiver, GraphSimulator]]:
    with endpoints(Path(tmp_path_factory.mktemp("alert-crash"))) as both:
        yield both


@pytest.fixture(scope="module")
def points(ends: tuple[CaptureReceiver, GraphSimulator]) -> int:
    return kill_points_of_a_clean_step(*ends, MemoryAlertStore)


def test_a_clean_alert_step_delivers_every_notice_once(ends: tuple[CaptureReceiver, GraphSimulator]) -> None:
    beyond = 10**9  # a kill point the step never reaches

    result = crash_then_recover(MemoryAlertStore(), beyond, *ends)

    assert result == KillResult(beyond, False, 0, 0, 0, 0, 0, 0, 0)


def test_an_alert_step_killed_at_every_point_loses_nothing_and_repeats_at_most_one_delivery(
    ends: tuple[CaptureReceiver, GraphSimulator], points: int
) -> None:
    results = [crash_then_recover(MemoryAlertStore(), p, *ends) for p in range(1, points + 1)]

    assert [r for r in results if not r.ok or not r.killed] == []
    # The kills just after a send repeated it, under its first ID: Teams posts among them.
    assert sum(r.repeated_deliveries for r in results) >= 4
    assert sum(r.teams_repeats for r in results) >= 2


def test_an_alert_step_killed_in_table_storage_loses_nothing_and_repeats_at_most_one_delivery(
    ends: tuple[CaptureReceiver, GraphSimulator], points: int, azurite: str, table_prefix: str
) -> None:
    sample = sorted(random.Random(SEED).sample(range(1, points + 1), TABLE_POINTS))
    results = []
    for n, point in enumerate(sample):
        store = TableAccount.shared(azurite, prefix=f"{table_prefix}c{n}").alerts()
        results.append(crash_then_recover(store, point, *ends))
        store.close()

    assert [r for r in results if not r.ok or not r.killed] == []
