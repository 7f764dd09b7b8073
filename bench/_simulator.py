"""The Graph simulator in a process of its own, so a benchmark measures the client, not the server."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


@contextmanager
def serve(snapshot: Path) -> Iterator[str]:
    """Serve `snapshot` on loopback; yields the simulator's root URL."""
    server = subprocess.Popen(
        [sys.executable, "-m", "graphsim", "--snapshot", str(snapshot), "--port", "0"],
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
