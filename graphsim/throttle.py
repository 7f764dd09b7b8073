"""Graph's throttle for the identity and access reports, as a sliding window.

Microsoft's "Microsoft Graph service-specific throttling limits" page, "Identity and access reports
service limits": any request, 5 per 10 seconds per app per tenant (and 122 per 10 seconds per app across
all tenants), applying to the audit log (sign-ins, directory audits) and to authentication methods, which
include users' `temporaryAccessPassMethods`. The simulator serves one tenant to one app, so one window
of 5 per 10 s holds. A request over the limit is answered 429 with `Retry-After` (whole seconds until the
oldest counted request leaves the window) and does not count itself.

Off unless asked for (`GraphSimulator(throttle=...)`, `"throttle": true` in `_simulator.json`, or
`python -m graphsim --throttle`): tests of everything else should not wait on it. `window_seconds` can
be scaled down for benchmarks, which then report times in throttle seconds.
"""

from __future__ import annotations

import math
import re
import threading
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field

REPORT_REQUESTS_PER_WINDOW = 5
REPORT_WINDOW_SECONDS = 10.0

# Paths (after the version) in the identity and access reports class.
_REPORT_PATH = re.compile(
    r"^/?(?:v1\.0|beta)/+(?:auditlogs/|users/+[^/]+/+authentication(?:/|$))", re.IGNORECASE
)


def is_report_path(path: str) -> bool:
    return _REPORT_PATH.match(path) is not None


@dataclass
class ThrottleModel:
    limit: int = REPORT_REQUESTS_PER_WINDOW
    window_seconds: float = REPORT_WINDOW_SECONDS
    clock: Callable[[], float] = time.monotonic
    _sent: deque[float] = field(default_factory=deque)
    _lock: threading.Lock = field(default_factory=threading.Lock)
    throttled: int = 0

    def admit(self, path: str) -> float | None:
        """None when the request may go through (and is counted); else the seconds to wait."""
        if not is_report_path(path):
            return None
        with self._lock:
            now = self.clock()
            while self._sent and self._sent[0] <= now - self.window_seconds:
                self._sent.popleft()
            if len(self._sent) < self.limit:
                self._sent.append(now)
                return None
            self.throttled += 1
            return self._sent[0] + self.window_seconds - now

    def reset(self) -> None:
        with self._lock:
            self._sent.clear()
            self.throttled = 0


def retry_after_header(wait_seconds: float) -> str:
    """Graph's Retry-After is whole seconds; at least 1."""
    return str(max(1, math.ceil(wait_seconds)))
