"""Fixtures: the tenant of tenant.py in tmp_path, a running simulator over it, an authorised client."""

from __future__ import annotations

import ssl
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from graphsim import GraphSimulator
from tests.graphsim.tenant import build_snapshot


@pytest.fixture
def snapshot_dir(tmp_path: Path) -> Path:
    return build_snapshot(tmp_path / "tenant")


@pytest.fixture
def sim(snapshot_dir: Path) -> Iterator[GraphSimulator]:
    with GraphSimulator(snapshot_dir) as simulator:
        yield simulator


@pytest.fixture(scope="session")
def tls_context() -> ssl.SSLContext:
    """One context for every test client: building one per client (certifi's bundle) costs 50 ms."""
    return ssl.create_default_context()


@pytest.fixture
def client(sim: GraphSimulator, tls_context: ssl.SSLContext) -> Iterator[httpx.Client]:
    headers = {"Authorization": "Bearer test-token"}
    with httpx.Client(base_url=sim.url, headers=headers, timeout=10, verify=tls_context) as http:
        yield http


@pytest.fixture
def get_json(client: httpx.Client) -> Callable[..., Any]:
    """GET that asserts the status and returns the parsed body."""

    def get(url: str, status: int = 200, **params: Any) -> Any:
        response = client.get(url, params=params or None)
        assert response.status_code == status, response.text
        return response.json()

    return get
