"""One headless chromium for every page a test process draws, driven over the DevTools protocol.

Starting chromium costs about a second; the rendering tests draw some twenty pages. Each page still gets
a fresh tab at the width the test asks for; the browser (its own profile folder, the flags of
tests/chromium.py) is started on first use and ends with the test process. The protocol runs over a
pair of pipes (`--remote-debugging-pipe`: chromium reads commands on its fd 3 and answers on fd 4, each
message JSON ended by a NUL byte), so nothing listens on a port.
"""

from __future__ import annotations

import atexit
import base64
import contextlib
import json
import os
import shutil
import signal
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

from tests.chromium import chromium_command


class DevToolsError(Exception):
    pass


class Browser:
    def __init__(self, profile: Path) -> None:
        self.profile = profile
        to_child, self._commands = os.pipe()
        self._answers, from_child = os.pipe()
        command = chromium_command(profile, "--remote-debugging-pipe", "--hide-scrollbars", "about:blank")
        # posix_spawn, not fork: safe in a process with threads. The protocol's ends become fds 3 and 4.
        self.pid = os.posix_spawn(
            command[0],
            command,
            dict(os.environ),
            file_actions=[
                (os.POSIX_SPAWN_OPEN, 0, os.devnull, os.O_RDONLY, 0),
                (os.POSIX_SPAWN_OPEN, 1, os.devnull, os.O_WRONLY, 0),
                (os.POSIX_SPAWN_OPEN, 2, os.devnull, os.O_WRONLY, 0),
                (os.POSIX_SPAWN_DUP2, to_child, 3),
                (os.POSIX_SPAWN_DUP2, from_child, 4),
            ],
        )
        self.exit_code: int | None = None
        os.close(to_child)
        os.close(from_child)
        self._buffer = b""
        self._next = 0
        self._lock = threading.Lock()
        self._events: list[dict[str, Any]] = []

    def _read(self) -> dict[str, Any]:
        while b"\0" not in self._buffer:
            chunk = os.read(self._answers, 1 << 20)
            if not chunk:
                raise DevToolsError(f"chromium closed the DevTools pipe (exit {self.poll()})")
            self._buffer += chunk
        message, self._buffer = self._buffer.split(b"\0", 1)
        parsed: dict[str, Any] = json.loads(message)
        return parsed

    def send(self, method: str, session: str | None = None, **params: Any) -> dict[str, Any]:
        with self._lock:
            self._next += 1
            ident = self._next
            message: dict[str, Any] = {"id": ident, "method": method, "params": params}
            if session:
                message["sessionId"] = session
            os.write(self._commands, json.dumps(message).encode() + b"\0")
            while True:
                answer = self._read()
                if answer.get("id") == ident:
                    if "error" in answer:
                        raise DevToolsError(f"{method}: {answer['error']}")
                    result: dict[str, Any] = answer.get("result", {})
                    return result
                self._events.append(answer)

    def wait_for(self, event: str, session: str, seconds: float = 60) -> None:
        deadline = time.monotonic() + seconds
        with self._lock:
            while True:
                for i, seen in enumerate(self._events):
                    if seen.get("method") == event and seen.get("sessionId") == session:
                        del self._events[i]
                        return
                if time.monotonic() > deadline:
                    raise DevToolsError(f"no {event} within {seconds} s")
                self._events.append(self._read())

    def poll(self) -> int | None:
        """The exit code, once chromium has ended."""
        if self.exit_code is None:
            pid, status = os.waitpid(self.pid, os.WNOHANG)
            if pid:
                self.exit_code = os.waitstatus_to_exitcode(status)
        return self.exit_code

    def close(self) -> None:
        with contextlib.suppress(DevToolsError, OSError):
            self.send("Browser.close")
        deadline = time.monotonic() + 10
        while self.poll() is None and time.monotonic() < deadline:
            time.sleep(0.05)
        if self.poll() is None:
            os.kill(self.pid, signal.SIGKILL)
            os.waitpid(self.pid, 0)
        for fd in (self._commands, self._answers):
            with contextlib.suppress(OSError):
                os.close(fd)
        shutil.rmtree(self.profile, ignore_errors=True)


class Tab:
    """A fresh tab of `width` x `height` CSS pixels showing `url`, loaded."""

    def __init__(self, browser: Browser, url: str, width: int, height: int) -> None:
        self.browser = browser
        self.target = browser.send("Target.createTarget", url="about:blank")["targetId"]
        self.session = browser.send("Target.attachToTarget", targetId=self.target, flatten=True)["sessionId"]
        self.call("Page.enable")
        self.call(
            "Emulation.setDeviceMetricsOverride",
            width=width,
            height=height,
            deviceScaleFactor=1,
            mobile=False,
        )
        self.call("Emulation.setScrollbarsHidden", hidden=True)
        self.call("Page.navigate", url=url)
        browser.wait_for("Page.loadEventFired", self.session)

    def call(self, method: str, **params: Any) -> dict[str, Any]:
        return self.browser.send(method, self.session, **params)

    def text_of(self, element_id: str, seconds: float = 60) -> str:
        """The text of the element, once the page's scripts have written it."""
        deadline = time.monotonic() + seconds
        while True:
            text = self.evaluate(f"document.getElementById({json.dumps(element_id)}).textContent")
            if text:
                return str(text)
            if time.monotonic() > deadline:
                raise DevToolsError(f"#{element_id} still empty after {seconds} s")
            time.sleep(0.05)

    def evaluate(self, expression: str) -> Any:
        answer = self.call("Runtime.evaluate", expression=expression, returnByValue=True)
        if "exceptionDetails" in answer:
            raise DevToolsError(f"{expression}: {answer['exceptionDetails']}")
        return answer["result"].get("value")

    def screenshot(self, path: Path) -> None:
        path.write_bytes(base64.b64decode(self.call("Page.captureScreenshot", format="png")["data"]))

    def close(self) -> None:
        self.browser.send("Target.closeTarget", targetId=self.target)


_shared: Browser | None = None


def shared_browser() -> Browser:
    """The test process's browser, started on first use."""
    global _shared
    if _shared is None or _shared.poll() is not None:
        profile = Path(tempfile.mkdtemp(prefix="chromium-profile-"))
        _shared = Browser(profile)
        atexit.register(_shared.close)
    return _shared
