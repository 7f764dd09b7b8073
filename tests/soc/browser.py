"""Headless Debian chromium driven through the DevTools protocol over --remote-debugging-pipe (no
websocket client needed), and a loopback front that plays App Service authentication's part for the
review page: Easy Auth cannot run here, so this front drops any X-MS-* header the browser sends and
adds X-MS-CLIENT-PRINCIPAL for the signed-in user, as Easy Auth does, then calls the function as the
Functions host would (azure.functions.HttpRequest)."""

from __future__ import annotations

import os
import subprocess
import threading
import time
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, urlsplit

import azure.functions as func
import orjson

from tests.chromium import chromium_command


class Chromium:
    def __init__(self, profile: Path) -> None:
        to_browser_r, self._to_browser = os.pipe()
        self._from_browser, from_browser_w = os.pipe()
        os.set_inheritable(to_browser_r, True)
        os.set_inheritable(from_browser_w, True)

        def child_fds() -> None:  # chromium reads commands on fd 3 and answers on fd 4
            read_end, write_end = os.dup(to_browser_r), os.dup(from_browser_w)
            os.dup2(read_end, 3)
            os.dup2(write_end, 4)

        self._process = subprocess.Popen(
            chromium_command(profile, "--remote-debugging-pipe", "about:blank"),
            preexec_fn=child_fds,
            # close_fds runs after preexec_fn: keep 3 and 4 open through it.
            pass_fds=(3, 4, to_browser_r, from_browser_w),
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        os.close(to_browser_r)
        os.close(from_browser_w)
        self._buffer = b""
        self._next = 0
        self.session = ""
        target = self.call("Target.createTarget", {"url": "about:blank"}, session=False)["targetId"]
        self.session = self.call(
            "Target.attachToTarget", {"targetId": target, "flatten": True}, session=False
        )["sessionId"]

    def call(self, method: str, params: dict[str, Any] | None = None, session: bool = True) -> Any:
        self._next += 1
        message: dict[str, Any] = {"id": self._next, "method": method, "params": params or {}}
        if session and self.session:
            message["sessionId"] = self.session
        os.write(self._to_browser, orjson.dumps(message) + b"\0")
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            answer = self._read()
            if answer.get("id") == self._next:
                if "error" in answer:
                    raise RuntimeError(f"{method}: {answer['error']}")
                return answer.get("result", {})
        raise TimeoutError(method)

    def _read(self) -> dict[str, Any]:
        while b"\0" not in self._buffer:
            chunk = os.read(self._from_browser, 1 << 16)
            if not chunk:
                raise RuntimeError("chromium closed the pipe")
            self._buffer += chunk
        message, self._buffer = self._buffer.split(b"\0", 1)
        document: dict[str, Any] = orjson.loads(message)
        return document

    def evaluate(self, expression: str) -> Any:
        result = self.call("Runtime.evaluate", {"expression": expression, "returnByValue": True})
        if "exceptionDetails" in result:
            raise RuntimeError(f"{expression}: {result['exceptionDetails']}")
        return result["result"].get("value")

    def wait_for(self, expression: str, seconds: float = 30) -> Any:
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            value = self.evaluate(expression)
            if value:
                return value
            time.sleep(0.1)
        raise TimeoutError(expression)

    def navigate(self, url: str) -> None:
        self.call("Page.navigate", {"url": url})
        self.wait_for(f"document.readyState === 'complete' && location.href === {orjson.dumps(url).decode()}")

    def submit(self, script: str, marker: str) -> None:
        """Run `script` (which submits a form) and wait for the next page: `marker` is set on the old one."""
        self.evaluate(f"window.{marker} = true; {script}")
        self.wait_for(f"document.readyState === 'complete' && window.{marker} === undefined")

    def close(self) -> None:
        self._process.terminate()
        try:
            self._process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self._process.kill()
        os.close(self._to_browser)
        os.close(self._from_browser)


Function = Callable[[func.HttpRequest], func.HttpResponse]


class EasyAuthFront:
    """Loopback HTTP front for one function, signing every request in as `principal` (or nobody)."""

    def __init__(self, function: Function, principal: str | None) -> None:
        front = self

        class Handler(BaseHTTPRequestHandler):
            def _answer(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length) if length else b""
                headers = {k: v for k, v in self.headers.items() if not k.lower().startswith("x-ms-")}
                if front.principal is not None:
                    headers["X-MS-CLIENT-PRINCIPAL"] = front.principal
                    headers["X-MS-CLIENT-PRINCIPAL-IDP"] = "aad"
                url = f"http://{self.headers.get('Host')}{self.path}"
                request = func.HttpRequest(
                    self.command,
                    url,
                    headers=headers,
                    params=dict(parse_qsl(urlsplit(self.path).query, keep_blank_values=True)),
                    body=body,
                )
                front.requests.append((self.command, self.path, headers))
                response = function(request)
                self.send_response(response.status_code)
                for name, value in response.headers.items():
                    self.send_header(name, value)
                payload = response.get_body()
                self.send_header("Content-Length", str(len(payload)))
                self.end_headers()
                self.wfile.write(payload)

            do_GET = _answer
            do_POST = _answer

            def log_message(self, format: str, *args: Any) -> None:
                return None

        self.principal = principal
        self.requests: list[tuple[str, str, dict[str, str]]] = []
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self._server.server_address[1]}"

    def __enter__(self) -> EasyAuthFront:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._server.shutdown()
        self._server.server_close()
