"""The simulator takes a burst of connections at once, as many tenants' sessions open them."""

from __future__ import annotations

import socket
from pathlib import Path

from graphsim import GraphSimulator
from tests.support import write_tenant


def test_a_burst_of_connections_is_queued_not_dropped(tmp_path: Path) -> None:
    with GraphSimulator(write_tenant(tmp_path / "t")) as sim:
        host, port = sim.url.removeprefix("http://").rsplit(":", 1)
        # socketserver's default backlog is 5: past it, Linux drops the SYNs of a burst and the clients
        # wait to resend them. The listening socket must queue far more than one worker's 24 passes.
        assert sim._server.request_queue_size >= 512  # type: ignore[attr-defined]
        sockets = [socket.create_connection((host, int(port)), timeout=30) for _ in range(64)]
        try:
            for s in sockets:
                s.sendall(b"GET /_simulator/health HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
            assert all(s.recv(64).startswith(b"HTTP/1.") for s in sockets)
        finally:
            for s in sockets:
                s.close()
