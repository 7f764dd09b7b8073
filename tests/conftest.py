"""Shared fixtures: Azurite (the real Table Storage emulator) for the session, a fresh table prefix per
test, and the Functions app indexed once."""

from __future__ import annotations

import itertools
import os
import shutil
import socket
import subprocess
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Self

import pytest

ROOT = Path(__file__).resolve().parent.parent
AZURITE = ROOT / "tools" / "azurite" / "node_modules" / ".bin" / "azurite-table"
# Azurite's published development account (the same for every Azurite installation; not a secret).
AZURITE_KEY = "Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw=="
_prefixes = itertools.count(1)


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def azurite_connection_string(port: int) -> str:
    return (
        "DefaultEndpointsProtocol=http;AccountName=devstoreaccount1;"
        f"AccountKey={AZURITE_KEY};TableEndpoint=http://127.0.0.1:{port}/devstoreaccount1;"
    )


def wait_for_port(port: int, process: subprocess.Popen[bytes], seconds: float = 60) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"Azurite exited with code {process.returncode}")
        with socket.socket() as probe:
            if probe.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.1)
    raise RuntimeError(f"Azurite did not listen on port {port} within {seconds} s")


class _AzuriteService:
    """One Azurite service (`kind`: table or queue) on loopback, started and stopped by tests and
    benchmarks (killed, for failure tests)."""

    kind = "table"

    def __init__(self, port: int | None = None, location: str | None = None) -> None:
        self.program = AZURITE.with_name(f"azurite-{self.kind}")
        if not self.program.exists():
            pytest.fail(f"Azurite is not installed at {self.program}: run scripts/bootstrap.sh")
        self.port = port or free_port()
        # Azurite writes its debug/extent files to the working directory; keep them out of the checkout.
        self.workspace = tempfile.mkdtemp(prefix=f"azurite-{self.kind}-")
        self.location = location
        self.process: subprocess.Popen[bytes] | None = None

    def start(self) -> Self:
        persistence = ["--location", self.location] if self.location else ["--inMemoryPersistence"]
        self.process = subprocess.Popen(
            [
                str(self.program),
                f"--{self.kind}Host",
                "127.0.0.1",
                f"--{self.kind}Port",
                str(self.port),
                *persistence,
                "--disableTelemetry",
                "--skipApiVersionCheck",
                "--silent",
            ],
            cwd=self.workspace,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        wait_for_port(self.port, self.process)
        return self

    def kill(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.kill()
            self.process.wait(timeout=10)

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
        shutil.rmtree(self.workspace, ignore_errors=True)


class AzuriteTables(_AzuriteService):
    """Azurite's table service."""

    kind = "table"

    @property
    def connection_string(self) -> str:
        return azurite_connection_string(self.port)


class AzuriteQueues(_AzuriteService):
    """Azurite's queue service."""

    kind = "queue"

    @property
    def endpoint(self) -> str:
        return f"http://127.0.0.1:{self.port}/devstoreaccount1"


@pytest.fixture(scope="session")
def azurite() -> Iterator[str]:
    """A connection string to an Azurite table service that lives for the test session."""
    service = AzuriteTables().start()
    try:
        yield service.connection_string
    finally:
        service.stop()


@pytest.fixture
def table_prefix() -> str:
    """A table prefix no other test uses, so tests never see each other's rows."""
    return f"t{os.getpid()}n{next(_prefixes)}"


@pytest.fixture(scope="session")
def azurite_queue_endpoint() -> Iterator[str]:
    """The queue endpoint of an Azurite queue service that lives for the test session."""
    service = AzuriteQueues()
    try:
        yield service.start().endpoint
    finally:
        service.stop()


@pytest.fixture
def azurite_with_queues(azurite: str, azurite_queue_endpoint: str) -> str:
    """One connection string for Azurite's tables and queues (as a storage account has both)."""
    return f"{azurite}QueueEndpoint={azurite_queue_endpoint};"
