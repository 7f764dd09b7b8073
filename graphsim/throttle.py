"""Graph's throttles for the identity and access reports, as sliding windows.

Microsoft's "Microsoft Graph service-specific throttling limits" page, "Identity and access reports
service limits": any request, 5 per 10 seconds per app per tenant and 122 per 10 seconds per app across
all tenants, applying to the audit log (sign-ins, directory audits) and to authentication methods,
which include users' `temporaryAccessPassMethods`. "The first limit to be reached triggers throttling
behavior", so both apply to every report request: one window per (app, tenant) of 5 and one window per
app of 122, the app and the tenant being those of the request's token (`appid`/`azp` and `tid`, see
tokens.py). A request over either limit is answered 429 with `Retry-After` (whole seconds until the
oldest counted request leaves the full window) and counts in neither window.

A simulator serving one snapshot to opaque tokens has one app and one tenant (both ""), so one window
of 5 per 10 s holds, as before.

Off unless asked for (`GraphSimulator(throttle=...)`, `"throttle": true` in `_simulator.json`, or
`python -m graphsim --throttle`): tests of everything else should not wait on it. `window_seconds` can
be scaled down for benchmarks, which then report times in throttle seconds.
"""

from __future__ import annotations

import math
import re
import threading
import time
from collections import Counter, deque
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Literal

REPORT_REQUESTS_PER_WINDOW = 5  # per app per tenant
REPORT_REQUESTS_PER_APP_WINDOW = 122  # per app across all tenants
REPORT_WINDOW_SECONDS = 10.0

ThrottleLimit = Literal["tenant", "app"]
TENANT_LIMIT: ThrottleLimit = "tenant"
APP_LIMIT: ThrottleLimit = "app"

# Paths (after the version) in the identity and access reports class.
_REPORT_PATH = re.compile(
    r"^/?(?:v1\.0|beta)/+(?:auditlogs/|users/+[^/]+/+authentication(?:/|$))", re.IGNORECASE
)


def is_report_path(path: str) -> bool:
    return _REPORT_PATH.match(path) is not None


@dataclass(frozen=True)
class Throttled:
    """A request the throttle refused: which limit it hit first and how long until it may pass."""

    limit: ThrottleLimit
    wait_seconds: float


@dataclass
class ThrottleModel:
    limit: int = REPORT_REQUESTS_PER_WINDOW  # per app per tenant
    window_seconds: float = REPORT_WINDOW_SECONDS
    clock: Callable[[], float] = time.monotonic
    app_limit: int = REPORT_REQUESTS_PER_APP_WINDOW  # per app across all tenants
    _sent: dict[tuple[str, str], deque[float]] = field(default_factory=dict)  # (app, tenant) -> times
    _app_sent: dict[str, deque[float]] = field(default_factory=dict)  # app -> times
    _lock: threading.Lock = field(default_factory=threading.Lock)
    throttled: int = 0  # answers 429, both limits
    # Answers 429 by the limit that refused them ("tenant", "app"), and by (app, tenant).
    by_limit: Counter[str] = field(default_factory=Counter)
    by_tenant: Counter[tuple[str, str]] = field(default_factory=Counter)

    def _wait(self, window: deque[float], limit: int, now: float) -> float | None:
        """Drop what left the window; None when it has room, else the seconds until it has."""
        while window and window[0] <= now - self.window_seconds:
            window.popleft()
        if len(window) < limit:
            return None
        return window[0] + self.window_seconds - now

    def check(self, path: str, tenant: str = "", app: str = "") -> Throttled | None:
        """None when the request may go through (and is counted against both limits); else which
        limit refused it (the per-tenant one when both are full) and the seconds to wait."""
        if not is_report_path(path):
            return None
        with self._lock:
            now = self.clock()
            tenant_window = self._sent.setdefault((app, tenant), deque())
            app_window = self._app_sent.setdefault(app, deque())
            tenant_wait = self._wait(tenant_window, self.limit, now)
            app_wait = self._wait(app_window, self.app_limit, now)
            if tenant_wait is None and app_wait is None:
                tenant_window.append(now)
                app_window.append(now)
                return None
            limit = TENANT_LIMIT if tenant_wait is not None else APP_LIMIT
            self.throttled += 1
            self.by_limit[limit] += 1
            self.by_tenant[(app, tenant)] += 1
            return Throttled(limit, max(w for w in (tenant_wait, app_wait) if w is not None))

    def admit(self, path: str, tenant: str = "", app: str = "") -> float | None:
        """None when the request may go through (and is counted); else the seconds to wait."""
        refused = self.check(path, tenant, app)
        return None if refused is None else refused.wait_seconds

    def stats(self) -> dict[str, object]:
        """Answers 429 so far: in all, by limit, and by tenant (per app)."""
        with self._lock:
            return {
                "throttled": self.throttled,
                "by_limit": {TENANT_LIMIT: self.by_limit[TENANT_LIMIT], APP_LIMIT: self.by_limit[APP_LIMIT]},
                "by_tenant": [
                    {"app": app, "tenant": tenant, "throttled": count}
                    for (app, tenant), count in sorted(self.by_tenant.items())
                ],
            }

    def reset(self) -> None:
        with self._lock:
            self._sent.clear()
            self._app_sent.clear()
            self.throttled = 0
            self.by_limit.clear()
            self.by_tenant.clear()


def retry_after_header(wait_seconds: float) -> str:
    """Graph's Retry-After is whole seconds; at least 1."""
    return str(max(1, math.ceil(wait_seconds)))
