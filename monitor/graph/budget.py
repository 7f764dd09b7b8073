"""One budget of identity and access report requests for every process of a deployment.

Microsoft's "Microsoft Graph service-specific throttling limits", "Identity and access reports service
limits": 5 requests per 10 s per app per tenant **and 122 per 10 s per app across all tenants**; "the
first limit to be reached triggers throttling behavior". Each pass paces its own tenant (pacing.py);
this module keeps all passes of all instances together under the app's limit, so that many tenants
passed at once share it instead of earning 429s.

How: a sliding-window log of grants, kept in one shared state (a Table Storage row claimed with ETag-
conditional updates, so that claims from any number of processes are atomic; or memory, for one
process). A process claims a few tokens at a time (a lease: as many as its callers are waiting for, at
most `lease_max`), each usable for `lease_seconds`; a grant counts in the log for the window plus the
lease and a margin for the request's way to Graph, so whatever instant Graph counts a request at, the
grants that can reach it in any 10 s are at most the limit. When the window is full, a process that
finds no room joins the shared queue and waits for the oldest grant to leave the window; room goes to
the queue's head first (a queue entry not refreshed for two windows is dropped: its process died), and
inside a process callers are served in arrival order. So when demand exceeds the budget everyone waits
their turn and nobody starves; `figures()` says what was granted and waited, for health.

A 429 is still honoured (kiota's retry handler waits its Retry-After, and each retry takes a token);
the budget's goal is that none comes.

On when MONITOR_GRAPH_BUDGET is `table` (the state in Table Storage: MONITOR_GRAPH_BUDGET_TABLE, default
`graphbudget`, on MONITOR_STORAGE_CONNECTION_STRING) or `memory` (one process); off by default, so a
single-tenant deployment changes nothing.
"""

from __future__ import annotations

import asyncio
import logging
import os
import threading
import time
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, Protocol

import orjson
from azure.core.exceptions import AzureError

log = logging.getLogger(__name__)

REPORT_LIMIT = 122  # per app across all tenants, per window
# What the budget grants by default: Graph's limit less a few requests that an instance's busy event loop
# sent later than the margin allows (bench/msp_scale.py met 429s at window edges with all 122 granted).
DEFAULT_LIMIT = REPORT_LIMIT - 4
REPORT_WINDOW_SECONDS = 10.0
# What a failing or unreachable store raises (a row that is not JSON is a ValueError).
_STORE_ERRORS = (AzureError, ValueError)
Transition = Callable[[dict[str, Any]], tuple[dict[str, Any], Any]]


class BudgetConfigError(ValueError):
    """A budget setting that cannot be used (its message names the variable)."""


@dataclass(frozen=True)
class BudgetConfig:
    limit: int = DEFAULT_LIMIT
    window_seconds: float = REPORT_WINDOW_SECONDS
    lease_seconds: float = 0.25  # a leased token not used by then is given up
    margin_seconds: float = 0.15  # a request's way from the client to Graph's counter
    lease_max: int = 8  # tokens one claim may take

    @property
    def span(self) -> float:
        """How long a grant counts: any request it allows reaches Graph within this of the grant."""
        return self.window_seconds + self.lease_seconds + self.margin_seconds


@dataclass(frozen=True)
class BudgetSettings:
    kind: str = ""  # "" (off) | "memory" | "table"
    table: str = "graphbudget"
    connection_string: str = field(default="", repr=False)
    endpoint: str = ""
    name: str = "reports"  # one row per app registration (MONITOR_GRAPH_BUDGET_NAME: the app's client ID)
    config: BudgetConfig = field(default_factory=BudgetConfig)

    @property
    def on(self) -> bool:
        return bool(self.kind)

    @classmethod
    def parse(
        cls, env: Mapping[str, str], storage_connection: str = "", storage_endpoint: str = ""
    ) -> BudgetSettings:
        """MONITOR_GRAPH_BUDGET*, read with every other setting (monitor.settings); raises
        BudgetConfigError with the first problem. The table lives in the monitor's own storage."""
        kind = env.get("MONITOR_GRAPH_BUDGET", "").strip().lower()
        if kind in ("", "off", "none"):
            return cls()
        if kind not in ("memory", "table"):
            raise BudgetConfigError(f"MONITOR_GRAPH_BUDGET must be table, memory or off, got {kind!r}")
        table = env.get("MONITOR_GRAPH_BUDGET_TABLE", "").strip() or cls.table
        if not table.isalnum() or not table[0].isalpha() or not 3 <= len(table) <= 63:
            raise BudgetConfigError(f"MONITOR_GRAPH_BUDGET_TABLE is not a valid table name: {table!r}")
        if kind == "table" and not (storage_connection or storage_endpoint):
            raise BudgetConfigError(
                "MONITOR_GRAPH_BUDGET=table needs MONITOR_STORAGE_CONNECTION_STRING or "
                "MONITOR_STORAGE_ENDPOINT"
            )
        try:
            limit = int(env.get("MONITOR_GRAPH_BUDGET_LIMIT", "") or DEFAULT_LIMIT)
        except ValueError:
            raise BudgetConfigError("MONITOR_GRAPH_BUDGET_LIMIT must be a whole number") from None
        if not 1 <= limit <= REPORT_LIMIT:
            raise BudgetConfigError(f"MONITOR_GRAPH_BUDGET_LIMIT must be 1 to {REPORT_LIMIT}, got {limit}")
        # One row per app registration: the multi-tenant app's client ID where one is set.
        name = (
            env.get("MONITOR_GRAPH_BUDGET_NAME", "").strip()
            or env.get("MONITOR_MSP_APP_ID", "").strip()
            or cls.name
        ).lower()
        if not name.replace("-", "").isalnum():
            raise BudgetConfigError(
                f"MONITOR_GRAPH_BUDGET_NAME must be letters, digits and '-', got {name!r}"
            )
        return cls(kind, table, storage_connection, storage_endpoint, name, BudgetConfig(limit=limit))


# -- the shared state and the claim -----------------------------------------------------------------


@dataclass(frozen=True)
class Claim:
    granted: int
    wait_seconds: float  # when nothing was granted: how long until the oldest grant leaves the window


def claim(
    state: dict[str, Any], who: str, want: int, now: float, config: BudgetConfig
) -> tuple[dict[str, Any], Claim]:
    """One claim on the shared state (pure: the backends make it atomic).

    state = {"grants": [[time, count, who], ...], "queue": [[who, last seen], ...]}.
    """
    grants = [g for g in _rows(state, "grants", 3) if g[0] > now - config.span]
    queue = [q for q in _rows(state, "queue", 2) if q[1] > now - 2 * config.span]
    used = sum(int(g[1]) for g in grants)
    room = config.limit - used
    ahead = next((i for i, q in enumerate(queue) if q[0] == who), len(queue))
    if room > 0 and ahead < room:
        # Room enough for everyone queued before this claimant: take a share that leaves theirs.
        others = len([q for q in queue if q[0] != who])
        take = max(1, min(want, config.lease_max, room - others))
        grants.append([now, take, who])
        queue = [q for q in queue if q[0] != who]
        return {"grants": grants, "queue": queue}, Claim(take, 0.0)
    if ahead < len(queue):
        queue[ahead] = [who, now]
    else:
        queue.append([who, now])
    oldest = min((g[0] for g in grants), default=now)
    wait = max(0.01, oldest + config.span - now) if room <= 0 else 0.05
    return {"grants": grants, "queue": queue}, Claim(0, wait)


def _rows(state: Mapping[str, Any], key: str, width: int) -> list[list[Any]]:
    """The well-formed rows of `state[key]` ([time, ...]); anything else in a stored row is dropped."""
    rows = state.get(key) if isinstance(state, Mapping) else None
    return [
        list(r)
        for r in (rows if isinstance(rows, list) else [])
        if isinstance(r, list)
        and len(r) == width
        and isinstance(r[0], int | float)
        and (width == 2 or (isinstance(r[1], int) and r[1] > 0))
    ]


class Backend(Protocol):
    transactions: int

    def transact(self, change: Transition) -> Any:
        """Apply `change` to the shared state atomically; return what it returned."""
        ...

    def read(self) -> dict[str, Any]:
        """The shared state as it is now."""
        ...


class MemoryBackend:
    """The state in this process (one instance, or tests)."""

    def __init__(self) -> None:
        self._state: dict[str, Any] = {}
        self._lock = threading.Lock()
        self.transactions = 0

    def transact(self, change: Transition) -> Any:
        with self._lock:
            self.transactions += 1
            self._state, result = change(self._state)
            return result

    def read(self) -> dict[str, Any]:
        with self._lock:
            return dict(self._state)


class TableBackend:
    """The state in one Table Storage row, replaced only if nobody changed it since it was read."""

    def __init__(self, connection_string: str, table: str, name: str, endpoint: str = "") -> None:
        from azure.data.tables import TableServiceClient

        # Short retries and timeouts: a request waits on this store, and a store that does not answer
        # soon lets the request through unshared rather than holding the pass.
        policy: dict[str, Any] = {
            "retry_total": 1,
            "retry_backoff_factor": 0.2,
            "connection_timeout": 5,
            "read_timeout": 10,
        }
        if connection_string:
            service = TableServiceClient.from_connection_string(connection_string, **policy)
        else:  # the Function app's managed identity, as for the monitor's other tables
            from azure.identity import DefaultAzureCredential

            service = TableServiceClient(endpoint=endpoint, credential=DefaultAzureCredential(), **policy)
        self._table = service.create_table_if_not_exists(table)
        self._key = ("budget", name)
        self.transactions = 0
        self.conflicts = 0

    def transact(self, change: Transition) -> Any:
        from azure.core import MatchConditions
        from azure.core.exceptions import ResourceExistsError, ResourceModifiedError, ResourceNotFoundError
        from azure.data.tables import UpdateMode

        partition, row = self._key
        while True:
            try:
                self.transactions += 1
                entity = self._table.get_entity(partition, row)
            except ResourceNotFoundError:
                entity = None
            state = orjson.loads(entity["State"]) if entity is not None else {}
            new, result = change(state)
            body = {"PartitionKey": partition, "RowKey": row, "State": orjson.dumps(new).decode()}
            self.transactions += 1
            try:
                if entity is None:
                    self._table.create_entity(body)
                else:
                    self._table.update_entity(
                        body,
                        mode=UpdateMode.REPLACE,
                        etag=entity.metadata["etag"],
                        match_condition=MatchConditions.IfNotModified,
                    )
                return result
            except (ResourceModifiedError, ResourceExistsError):
                self.conflicts += 1  # another process claimed in between: read again

    def read(self) -> dict[str, Any]:
        from azure.core.exceptions import ResourceNotFoundError

        self.transactions += 1
        try:
            entity = self._table.get_entity(*self._key)
        except ResourceNotFoundError:
            return {}
        state = orjson.loads(entity["State"])
        return state if isinstance(state, dict) else {}


# -- the budget as a process uses it --------------------------------------------------------------


@dataclass
class BudgetFigures:
    granted: int = 0  # tokens claimed from the shared budget
    used: int = 0  # tokens a request went out with
    expired: int = 0  # leased tokens given up unused
    claims: int = 0
    waits: int = 0  # requests that had to wait for the budget
    waited_seconds: float = 0.0
    unshared: int = 0  # requests let through without the shared budget, its store failing


class BudgetExceeded(Exception):
    """The caller's deadline comes before the budget has room."""


class ReportBudget:
    """A process's door to the shared budget: `await acquire()` before each report request."""

    def __init__(
        self,
        backend: Backend,
        config: BudgetConfig | None = None,
        *,
        clock: Callable[[], float] = time.time,
        who: str | None = None,
    ) -> None:
        self.backend = backend
        self.config = config or BudgetConfig()
        self.who = who or f"{os.getpid()}-{uuid.uuid4().hex[:8]}"
        self.figures = BudgetFigures()
        self._clock = clock
        self._lock = threading.Lock()
        self._tokens: list[float] = []  # expiry of each leased token, oldest first
        self._next_ticket = 0
        self._serving = 0
        self._abandoned: set[int] = set()  # tickets no longer waiting (gave up, or served out of turn)
        self._claiming = False

    def _advance(self) -> None:
        self._serving += 1
        while self._serving in self._abandoned:
            self._abandoned.discard(self._serving)
            self._serving += 1

    def _take_local(self, ticket: int, now: float) -> bool:
        """A leased token for `ticket` if one is live for it: the tokens go to the first callers in line,
        each taking one as soon as it wakes, so a token does not wait (and expire) while the callers
        before it in line wake one after another on a busy event loop."""
        live = [t for t in self._tokens if t > now]
        self.figures.expired += len(self._tokens) - len(live)
        self._tokens = live
        ahead = sum(1 for t in range(self._serving, ticket) if t not in self._abandoned)
        if ahead >= len(live):
            return False
        live.pop(0)
        self.figures.used += 1
        if ticket == self._serving:
            self._advance()
        else:
            self._abandoned.add(ticket)  # served out of turn: no longer waiting
        return True

    def _claim(self, want: int) -> float:
        """Claim up to `want` tokens into the local pool; 0.0, or how long to wait for room."""
        moments: list[float] = []

        def change(state: dict[str, Any]) -> tuple[dict[str, Any], Claim]:
            # The time of the attempt that succeeds is the grant's: an attempt that lost a race to
            # another process's claim is tried again with a new time.
            moments.append(self._clock())
            return claim(state, self.who, want, moments[-1], self.config)

        try:
            result: Claim = self.backend.transact(change)
        except _STORE_ERRORS as exc:  # the store failed: the pass goes on paced per tenant, as without one
            log.warning("report budget not reachable, request sent unshared: %s", type(exc).__name__)
            with self._lock:
                self.figures.unshared += 1
                self.figures.used -= 1  # _take_local counts it as used
                self._tokens.append(self._clock() + self.config.lease_seconds)
            return 0.0
        with self._lock:
            self.figures.claims += 1
            if result.granted:
                self.figures.granted += result.granted
                until = moments[-1] + self.config.lease_seconds
                self._tokens.extend([until] * result.granted)
        return result.wait_seconds if not result.granted else 0.0

    async def acquire(
        self, deadline: float | None = None, monotonic: Callable[[], float] = time.monotonic
    ) -> None:
        """Wait for this caller's turn and a token. `deadline` (on `monotonic`'s clock) raises
        BudgetExceeded when the wait would pass it."""
        with self._lock:
            ticket = self._next_ticket
            self._next_ticket += 1
        waited = False
        began = self._clock()
        try:
            while True:
                claimer = False
                with self._lock:
                    if self._take_local(ticket, self._clock()):
                        if waited:
                            self.figures.waited_seconds += self._clock() - began
                        return
                    if ticket == self._serving and not self._claiming:
                        self._claiming = claimer = True
                    want = self._next_ticket - self._serving - len(self._abandoned)
                    # Callers further back look less often (each only needs to notice its turn).
                    pause = min(0.05, 0.005 * max(1, ticket - self._serving))
                if claimer:
                    try:
                        pause = await asyncio.to_thread(self._claim, want)
                    finally:
                        with self._lock:
                            self._claiming = False
                    if pause == 0.0:
                        continue
                if not waited and (claimer or ticket != self._serving):
                    waited = True
                    with self._lock:
                        self.figures.waits += 1
                if deadline is not None and monotonic() + pause >= deadline:
                    raise BudgetExceeded("the report budget has no room before the pass's deadline")
                await asyncio.sleep(pause)
        except BaseException:
            with self._lock:
                if ticket == self._serving:
                    self._advance()
                elif ticket > self._serving:
                    self._abandoned.add(ticket)
            raise

    def report(self) -> dict[str, Any]:
        """Figures for health: what this process was granted and waited, and its share of the window."""
        now = self._clock()
        try:
            state: dict[str, Any] = self.backend.read()
        except _STORE_ERRORS as exc:
            state = {"error": f"the budget's store could not be read: {type(exc).__name__}"}
        grants = [g for g in _rows(state, "grants", 3) if g[0] > now - self.config.span]
        total = sum(int(g[1]) for g in grants)
        mine = sum(int(g[1]) for g in grants if g[2] == self.who)
        f = self.figures
        return {
            "limit": self.config.limit,
            "windowSeconds": self.config.window_seconds,
            "granted": f.granted,
            "used": f.used,
            "expired": f.expired,
            "claims": f.claims,
            "waits": f.waits,
            "waitedSeconds": round(f.waited_seconds, 3),
            "windowUsed": total,
            "share": round(mine / total, 3) if total else 0.0,
            "queued": len(_rows(state, "queue", 2)),
            "transactions": self.backend.transactions,
            "unshared": f.unshared,
            **({"problem": state["error"]} if "error" in state else {}),
        }


_PROCESS_BUDGET: dict[str, ReportBudget | None] = {}
_PROCESS_PROBLEM: dict[str, str] = {}
_PROCESS_LOCK = threading.Lock()


def open_budget(settings: BudgetSettings) -> ReportBudget | None:
    """The budget the settings name (None when off). Raises BudgetConfigError if its table cannot be
    opened."""
    if not settings.kind:
        return None
    if settings.kind == "memory":
        return ReportBudget(MemoryBackend(), settings.config)
    try:
        backend = TableBackend(settings.connection_string, settings.table, settings.name, settings.endpoint)
    except _STORE_ERRORS as exc:
        raise BudgetConfigError(
            f"MONITOR_GRAPH_BUDGET=table: table {settings.table!r} could not be opened ({type(exc).__name__})"
        ) from None
    return ReportBudget(backend, settings.config)


def process_budget(settings: BudgetSettings) -> ReportBudget | None:
    """This process's budget as the settings set it: one per process; None when off, or when its table
    cannot be opened (logged once, and said by `budget_health`: passes still pace per tenant)."""
    with _PROCESS_LOCK:
        if "budget" not in _PROCESS_BUDGET:
            try:
                _PROCESS_BUDGET["budget"] = open_budget(settings)
                _PROCESS_PROBLEM.pop("budget", None)
            except BudgetConfigError as exc:
                log.error("report budget off: %s", exc)
                _PROCESS_PROBLEM["budget"] = str(exc)
                _PROCESS_BUDGET["budget"] = None
        return _PROCESS_BUDGET["budget"]


def budget_health(settings: BudgetSettings) -> dict[str, Any]:
    """What health shows of the report budget: off, its problem, or this process's figures."""
    if not settings.on:
        return {"state": "off"}
    budget = process_budget(settings)
    if budget is not None:
        return {"state": "on", **budget.report()}
    problem = _PROCESS_PROBLEM.get("budget")
    return {"state": "misconfigured", "problem": problem} if problem else {"state": "off"}
