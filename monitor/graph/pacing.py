"""Client-side pacing per Graph throttle class, and the pass's time budget.

Microsoft's "Microsoft Graph service-specific throttling limits" page, "Identity and access reports
service limits": any request, 5 per 10 seconds per app per tenant (122 per 10 s per app across all
tenants), over the audit log (sign-ins, directory audits) and authentication methods (users'
`temporaryAccessPassMethods` included). Sending faster than that only buys 429s and kiota's back-off,
so the session paces those requests itself: a request waits until fewer than the limit were answered
in the last window. A slot's time is taken when its answer arrives, which is after the server counted
it, so the client's window never runs ahead of Graph's.

The same pacer knows when the pass must stop: a request that would have to wait past the deadline is
not sent, and `BudgetExhausted` says what was not read, so the pass stores what it has and the next pass
goes on from there.
"""

from __future__ import annotations

import asyncio
import re
import time
from collections import deque
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from monitor.graph.errors import GraphReadError

if TYPE_CHECKING:
    from monitor.graph.budget import ReportBudget


@dataclass(frozen=True)
class ThrottleClass:
    name: str
    pattern: re.Pattern[str]  # matched against the request path (/beta/auditLogs/signIns)
    limit: int
    window_seconds: float


REPORTS = ThrottleClass(
    "identity and access reports",
    re.compile(r"^/(?:v1\.0|beta)/+(?:auditlogs/|users/+[^/]+/+authentication(?:/|$))", re.IGNORECASE),
    limit=5,
    window_seconds=10.0,
)
THROTTLE_CLASSES = (REPORTS,)


class BudgetExhausted(GraphReadError):
    """The pass's time budget ran out before `source` could be read."""

    def __init__(self, source: str, budget_seconds: float) -> None:
        super().__init__(
            "skipped",
            f"time budget: {source} was not read within this pass's {budget_seconds:g} s "
            "(MONITOR_PASS_BUDGET_SECONDS); the next pass goes on from what was stored",
            source,
        )


@dataclass
class _Window:
    throttle: ThrottleClass
    answered: deque[float] = field(default_factory=deque)
    in_flight: int = 0


class Pacer:
    """Paces requests per throttle class. `clock` and `sleep` are injectable for tests."""

    def __init__(
        self,
        classes: tuple[ThrottleClass, ...] = THROTTLE_CLASSES,
        *,
        budget_seconds: float | None = None,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
        budget: ReportBudget | None = None,
    ) -> None:
        self._windows = [_Window(c) for c in classes]
        # The app's report budget shared with every other pass and instance (budget.py); None: off.
        self.budget = budget
        self._clock = clock
        self._sleep = sleep
        self.budget_seconds = budget_seconds
        self.deadline = clock() + budget_seconds if budget_seconds is not None else None
        self.waited_seconds = 0.0
        self.paced = 0  # requests that had to wait

    def throttle_of(self, path: str) -> _Window | None:
        return next((w for w in self._windows if w.throttle.pattern.match(path)), None)

    def seconds_left(self) -> float | None:
        return None if self.deadline is None else self.deadline - self._clock()

    def check_budget(self, source: str) -> None:
        """Raise BudgetExhausted if the deadline has passed."""
        if self.deadline is not None and self._clock() >= self.deadline:
            raise BudgetExhausted(source, self.budget_seconds or 0)

    async def acquire(self, path: str) -> _Window | None:
        """Wait for a slot of `path`'s class (None: unthrottled); give it back with `release`."""
        window = self.throttle_of(path)
        if window is None:
            return None
        waited = False
        while True:
            now = self._clock()
            limit = window.throttle.window_seconds
            while window.answered and window.answered[0] <= now - limit:
                window.answered.popleft()
            if len(window.answered) + window.in_flight < window.throttle.limit:
                window.in_flight += 1
                if self.budget is not None and window.throttle is REPORTS:
                    await self._take_budget(window, path)
                return window
            # Wait for the oldest answer to leave the window (or, with every slot in flight, a moment).
            wait = window.answered[0] + limit - now if window.answered else 0.05
            if self.deadline is not None and now + wait >= self.deadline:
                raise BudgetExhausted(path, self.budget_seconds or 0)
            if not waited:
                self.paced += 1
                waited = True
            self.waited_seconds += wait
            await self._sleep(wait)

    async def _take_budget(self, window: _Window, path: str) -> None:
        """A token of the app's report budget for a request that has its tenant's slot."""
        from monitor.graph.budget import BudgetExceeded

        assert self.budget is not None
        try:
            await self.budget.acquire(self.deadline, self._clock)
        except BudgetExceeded:
            window.in_flight -= 1
            raise BudgetExhausted(path, self.budget_seconds or 0) from None
        except BaseException:
            window.in_flight -= 1
            raise

    def release(self, window: _Window | None) -> None:
        if window is None:
            return
        window.in_flight -= 1
        window.answered.append(self._clock())
