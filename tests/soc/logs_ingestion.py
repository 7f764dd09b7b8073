"""A loopback stand-in for the Logs Ingestion API (the real endpoint cannot run here): it implements
the documented call, POST {endpoint}/dataCollectionRules/{immutableId}/streams/{stream}?api-version=
2023-01-01 with a JSON array body of at most 1 MB and a bearer token, answers 204 as the service does,
and checks every row against the columns the data collection rule in infra/app/sentinel.bicep declares
(a column it does not declare, or a value of the wrong type, is a 400 naming it)."""

from __future__ import annotations

import re
import threading
from datetime import datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

import orjson

from tests.conftest import ROOT

SENTINEL_BICEP = ROOT / "infra" / "app" / "sentinel.bicep"
DCR_ID = "dcr-00000000000000000000000000000abc"


def declared_columns() -> dict[str, dict[str, str]]:
    """Stream -> column -> type, from the rule's streamDeclarations (through the column vars)."""
    text = SENTINEL_BICEP.read_text()
    variables = {
        name: dict(re.findall(r"\{ name: '(\w+)', type: '(\w+)' \}", body))
        for name, body in re.findall(r"^var (\w+Columns) = \[(.*?)^\]", text, re.MULTILINE | re.DOTALL)
    }
    streams = re.findall(r"'(Custom-\w+)': \{\s*columns: (\w+)", text)
    return {stream: variables[var] for stream, var in streams}


def _fits(kind: str, value: Any) -> bool:
    if value is None:
        return True
    if kind == "string":
        return isinstance(value, str)
    if kind in ("int", "long"):
        return isinstance(value, int) and not isinstance(value, bool)
    if kind == "real":
        return isinstance(value, int | float) and not isinstance(value, bool)
    if kind == "boolean":
        return isinstance(value, bool)
    if kind == "datetime":
        try:
            datetime.fromisoformat(str(value))
        except ValueError:
            return False
        return isinstance(value, str)
    return kind == "dynamic"


class LogsIngestionStandIn:
    def __init__(self) -> None:
        self.columns = declared_columns()
        self.calls: list[tuple[str, list[dict[str, Any]]]] = []
        self.refused: list[str] = []
        self.fail_next = 0
        stand_in = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                status, said = stand_in.take(self)
                body = (
                    b""
                    if status == 204
                    else orjson.dumps({"error": {"code": "InvalidRequest", "message": said}})
                )
                self.send_response(status)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, format: str, *args: Any) -> None:
                return None

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    def take(self, request: BaseHTTPRequestHandler) -> tuple[int, str]:
        parts = urlsplit(request.path)
        match = re.fullmatch(r"/dataCollectionRules/([^/]+)/streams/([^/]+)", parts.path)
        length = int(request.headers.get("Content-Length") or 0)
        body = request.rfile.read(length)
        if parse_qs(parts.query).get("api-version") != ["2023-01-01"]:
            return self._refuse(400, "api-version must be 2023-01-01")
        if not (request.headers.get("Authorization") or "").startswith("Bearer "):
            return self._refuse(401, "no bearer token")
        if match is None or match.group(1) != DCR_ID:
            return self._refuse(404, f"no data collection rule at {parts.path}")
        stream = match.group(2)
        if stream not in self.columns:
            return self._refuse(400, f"stream {stream} is not declared by the rule")
        if length > 1_000_000:
            return self._refuse(413, f"a body of {length} bytes is over 1 MB")
        if self.fail_next:
            self.fail_next -= 1
            return self._refuse(503, "service unavailable (scripted)")
        rows = orjson.loads(body)
        if not isinstance(rows, list):
            return self._refuse(400, "the body must be a JSON array")
        declared = self.columns[stream]
        for row in rows:
            unknown = sorted(set(row) - set(declared))
            if unknown:
                return self._refuse(400, f"{stream}: undeclared column(s) {unknown}")
            wrong = sorted(k for k, v in row.items() if not _fits(declared[k], v))
            if wrong:
                return self._refuse(400, f"{stream}: value of the wrong type in {wrong}")
        self.calls.append((stream, rows))
        return 204, ""

    def _refuse(self, status: int, reason: str) -> tuple[int, str]:
        self.refused.append(reason)
        return status, reason

    def rows(self, stream: str) -> list[dict[str, Any]]:
        return [row for s, rows in self.calls if s == stream for row in rows]

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self._server.server_address[1]}"

    def __enter__(self) -> LogsIngestionStandIn:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._server.shutdown()
        self._server.server_close()
