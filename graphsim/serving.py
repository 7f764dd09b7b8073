"""Running a loopback server from the command line until SIGINT or SIGTERM (the simulator and the alert
capture receiver): say where it listens, in the line scripts wait for, then wait."""

from __future__ import annotations

import signal
import threading
from collections.abc import Callable
from types import FrameType


def serve_until_signal(url: str, stop_server: Callable[[], None]) -> None:
    stop = threading.Event()

    def on_signal(signum: int, frame: FrameType | None) -> None:
        stop.set()

    signal.signal(signal.SIGINT, on_signal)
    signal.signal(signal.SIGTERM, on_signal)
    print(f"listening on {url}", flush=True)
    try:
        while not stop.wait(0.5):
            pass
    finally:
        stop_server()
