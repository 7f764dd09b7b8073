"""Development only: a loopback HTTP receiver that stands in for Teams Workflows and webhook endpoints.

Every POST to `/teams/<name>` or `/webhook/<name>` is kept as the exact body it carried, one file per
delivery: `<dir>/teams/0001-<name>.json`, `<dir>/webhook/0002-<name>.json` (numbered in arrival order
across both), and its request headers beside it as `0002-<name>.headers` ("Name: value" lines), so a
signature can be checked from the files alone. Tests script answers per path (500, then 429, then
202...) and read `deliveries`.

    python -m graphsim.receiver --dir .run/demo/alerts [--port 0]

prints `listening on http://127.0.0.1:PORT` and serves until SIGINT/SIGTERM.
"""

from __future__ import annotations

import argparse
import re
import sys
import threading
from collections import defaultdict, deque
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

_PATH = re.compile(r"^/(teams|webhook)/([A-Za-z0-9_-]{1,64})$")
# What Workflows answers a webhook post it accepted; a generic webhook answers 200.
DEFAULT_STATUS = {"teams": 202, "webhook": 200}


@dataclass(frozen=True)
class Delivery:
    channel: str
    name: str
    body: bytes
    headers: Mapping[str, str]
    status: int  # what the receiver answered


@dataclass(frozen=True)
class Answer:
    status: int
    headers: Mapping[str, str] | None = None


class CaptureReceiver:
    def __init__(self, directory: Path | None = None, host: str = "127.0.0.1", port: int = 0) -> None:
        self.directory = directory
        self._answers: dict[str, deque[Answer]] = defaultdict(deque)
        self._deliveries: list[Delivery] = []
        self._lock = threading.Lock()
        self._server = ThreadingHTTPServer((host, port), _Handler)
        self._server.daemon_threads = True
        self._server.receiver = self  # type: ignore[attr-defined]
        self._thread: threading.Thread | None = None

    @property
    def url(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host!s}:{port}"

    def script(self, path: str, *answers: Answer | int) -> None:
        """Answer the next requests to `path` (e.g. "/teams/ops") with these, then the default."""
        with self._lock:
            self._answers[path].extend(a if isinstance(a, Answer) else Answer(a) for a in answers)

    @property
    def deliveries(self) -> list[Delivery]:
        with self._lock:
            return list(self._deliveries)

    def accepted(self, path: str | None = None) -> list[Delivery]:
        """Deliveries answered 2xx (to `path` if given)."""
        return [
            d
            for d in self.deliveries
            if 200 <= d.status < 300 and (path is None or f"/{d.channel}/{d.name}" == path)
        ]

    def take(self, path: str, body: bytes, headers: Mapping[str, str]) -> tuple[int, Mapping[str, str]]:
        match = _PATH.match(path)
        if match is None:
            return 404, {}
        channel, name = match.groups()
        with self._lock:
            queue = self._answers.get(path)
            answer = queue.popleft() if queue else Answer(DEFAULT_STATUS[channel])
            self._deliveries.append(Delivery(channel, name, body, dict(headers), answer.status))
            number = len(self._deliveries)
        if self.directory is not None and 200 <= answer.status < 300:
            folder = self.directory / channel
            folder.mkdir(parents=True, exist_ok=True)
            (folder / f"{number:04d}-{name}.json").write_bytes(body)
            # Not .json: whoever globs the bodies keeps getting one JSON file per delivery.
            (folder / f"{number:04d}-{name}.headers").write_text(
                "".join(f"{key}: {value}\n" for key, value in headers.items()), encoding="utf-8"
            )
        return answer.status, answer.headers or {}

    def start(self) -> CaptureReceiver:
        self._thread = threading.Thread(target=self._server.serve_forever, name="alert-receiver", daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()

    def __enter__(self) -> CaptureReceiver:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, format: str, *args: Any) -> None:
        """Quiet: deliveries are the record."""

    def do_POST(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length > 0 else b""
        receiver: CaptureReceiver = self.server.receiver  # type: ignore[attr-defined]
        status, headers = receiver.take(self.path, body, {k: v for k, v in self.headers.items()})
        self.send_response(status)
        for name, value in headers.items():
            self.send_header(name, value)
        self.send_header("Content-Length", "0")
        self.end_headers()


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m graphsim.receiver", description=__doc__)
    parser.add_argument("--dir", type=Path, required=True, help="where captured bodies are written")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=0)
    args = parser.parse_args(argv)
    try:
        receiver = CaptureReceiver(args.dir, args.host, args.port).start()
    except OSError as exc:
        print(f"error: cannot listen on {args.host}:{args.port}: {exc.strerror or exc}", file=sys.stderr)
        return 1
    from graphsim.serving import serve_until_signal

    serve_until_signal(receiver.url, receiver.stop)
    return 0


if __name__ == "__main__":
    sys.exit(main())
