"""The Graph simulator in a process of its own, so a benchmark measures the client, not the server."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


@contextmanager
def serve(snapshot: Path, *options: str, tenants: bool = False) -> Iterator[str]:
    """Serve `snapshot` on loopback (with `tenants`, a directory of tenant snapshots, one per tenant ID;
    `options` as `python -m graphsim` takes them, e.g. "--throttle"); yields the simulator's root URL."""
    source = "--tenants" if tenants else "--snapshot"
    server = subprocess.Popen(
        [sys.executable, "-m", "graphsim", source, str(snapshot), "--port", "0", *options],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert server.stdout is not None
        yield server.stdout.readline().split()[-1]
    finally:
        server.terminate()
        server.wait(timeout=30)
