"""Fixtures: the tenant of tenant.py in tmp_path, a running simulator over it, an authorised client."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from monitor.simulator import GraphSimulator
from tests.simulator.tenant import build_snapshot


@pytest.fixture
def snapshot_dir(tmp_path: Path) -> Path:
    return build_snapshot(tmp_path / "tenant")


@pytest.fixture
def sim(snapshot_dir: Path) -> Iterator[GraphSimulator]:
    with GraphSimulator(snapshot_dir) as simulator:
        yield simulator


@pytest.fixture
def client(sim: GraphSimulator) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=sim.url, headers={"Authorization": "Bearer test-token"}, timeout=10) as http:
        yield http


@pytest.fixture
def get_json(client: httpx.Client) -> Callable[..., Any]:
    """GET that asserts the status and returns the parsed body."""

    def get(url: str, status: int = 200, **params: Any) -> Any:
        response = client.get(url, params=params or None)
        assert response.status_code == status, response.text
        return response.json()

    return get
