"""The app's report budget shared by every process: 122 identity and access report requests per 10 s
per app across all tenants, and 5 per 10 s per tenant ("Microsoft Graph service-specific throttling
limits"), with the simulator's throttle model on for both.

The many-process test runs 4 OS processes, each passing 8 tenants at once through msgraph-sdk sessions
(per-tenant pacing on) that share one budget in Azurite's Table Storage; together they ask for more
than the app's limit. It asserts on what the simulator counted: no answer 429, and in each full window
of 10 s while demand exceeded the budget, at least 90% of the 122 requests the app may send.
"""

from __future__ import annotations

import asyncio
import multiprocessing
import time
from pathlib import Path
from typing import Any

import orjson
import pytest

from graphsim import GraphSimulator, ThrottleModel
from monitor.graph.budget import (
    BudgetConfig,
    BudgetConfigError,
    BudgetSettings,
    MemoryBackend,
    ReportBudget,
    TableBackend,
    claim,
)
from monitor.graph.pacing import Pacer
from monitor.settings import Settings, SettingsError

PROCESSES = 4
TENANTS_PER_PROCESS = 8
REQUESTS_PER_TENANT = 10
LIMIT = 122
WINDOW = 10.0


def tenant_id(n: int) -> str:
    return f"{n:08x}-0000-4000-8000-0000000b0d9e"


def write_tenants(parent: Path, count: int) -> dict[str, Path]:
    tenants = {}
    for n in range(count):
        tid = tenant_id(n)
        for relative, document in (
            ("v1.0/organization.json", {"value": [{"id": tid, "displayName": f"Tenant {n}"}]}),
            ("beta/auditLogs/signIns.json", {"value": []}),
        ):
            path = parent / tid / relative
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_bytes(orjson.dumps(document))
        tenants[tid] = parent / tid
    return tenants


# -- the claim, alone -----------------------------------------------------------------------------


def test_grants_never_exceed_the_limit_in_any_span_and_the_queue_goes_first() -> None:
    config = BudgetConfig(limit=10, window_seconds=1.0, lease_seconds=0.1, margin_seconds=0.1)
    state: dict[str, Any] = {}
    now = 100.0
    granted = []
    for step in range(200):
        who = f"p{step % 3}"
        state, result = claim(state, who, 4, now, config)
        if result.granted:
            granted.append((now, result.granted))
        now += 0.013
    for at, _ in granted:  # any span of the grant log holds at most the limit
        assert sum(n for t, n in granted if at <= t < at + config.span) <= config.limit
    # A claimant that finds no room queues; once room opens the queue's head is served before a newcomer.
    full: dict[str, Any] = {"grants": [[0.0, 10, "x"]], "queue": []}
    full, waiting = claim(full, "first", 1, 0.5, config)
    assert waiting.granted == 0
    assert waiting.wait_seconds == pytest.approx(0.7)
    later = 0.0 + config.span + 0.01
    full, newcomer = claim(full, "newcomer", 4, later, config)
    assert newcomer.granted == 4  # room for 10: the head's token is left for it
    full, head = claim(full, "first", 4, later, config)
    assert head.granted >= 1
    assert all(q[0] != "first" for q in full["queue"])


def parse(environ: dict[str, str]) -> BudgetSettings:
    """MONITOR_GRAPH_BUDGET* as the monitor's settings read them (the storage is the monitor's)."""
    return BudgetSettings.parse(environ, environ.get("MONITOR_STORAGE_CONNECTION_STRING", ""))


def test_settings_are_off_by_default_and_refuse_what_they_cannot_use() -> None:
    assert parse({}).kind == ""
    assert parse({"MONITOR_GRAPH_BUDGET": "memory"}).kind == "memory"
    table = parse(
        {"MONITOR_GRAPH_BUDGET": "table", "MONITOR_STORAGE_CONNECTION_STRING": "UseDevelopmentStorage=true"}
    )
    assert (table.kind, table.table, table.config.limit, table.name) == (
        "table",
        "graphbudget",
        118,  # Graph's 122 less 4 for requests a busy event loop sends late
        "reports",
    )
    app = "5E3CE6C0-2B1F-4285-8D4B-75EE78787346"
    assert parse({"MONITOR_GRAPH_BUDGET": "memory", "MONITOR_MSP_APP_ID": app}).name == app.lower()
    for environ, word in (
        ({"MONITOR_GRAPH_BUDGET": "tables"}, "MONITOR_GRAPH_BUDGET must"),
        (
            {"MONITOR_GRAPH_BUDGET": "table"},
            "needs MONITOR_STORAGE_CONNECTION_STRING or MONITOR_STORAGE_ENDPOINT",
        ),
        ({"MONITOR_GRAPH_BUDGET": "memory", "MONITOR_GRAPH_BUDGET_LIMIT": "500"}, "1 to 122"),
        ({"MONITOR_GRAPH_BUDGET": "memory", "MONITOR_GRAPH_BUDGET_LIMIT": "x"}, "whole number"),
        ({"MONITOR_GRAPH_BUDGET": "memory", "MONITOR_GRAPH_BUDGET_TABLE": "no-dash"}, "table name"),
        ({"MONITOR_GRAPH_BUDGET": "memory", "MONITOR_GRAPH_BUDGET_NAME": "a/b"}, "letters, digits"),
    ):
        with pytest.raises(BudgetConfigError, match=word):
            parse(environ)


def test_callers_of_one_process_are_served_in_turn_and_a_deadline_gives_up() -> None:
    config = BudgetConfig(limit=6, window_seconds=0.5, lease_seconds=0.05, margin_seconds=0.05)
    budget = ReportBudget(MemoryBackend(), config)
    order: list[int] = []

    async def caller(n: int) -> None:
        for _ in range(3):
            await budget.acquire()
            order.append(n)

    async def main() -> None:
        await asyncio.gather(*(caller(n) for n in range(4)))

    asyncio.run(main())
    assert sorted(order) == sorted(list(range(4)) * 3)
    # Nobody starves: every caller had its first token before any caller had its third.
    first = {n: order.index(n) for n in range(4)}
    third = {n: len(order) - 1 - order[::-1].index(n) for n in range(4)}
    assert max(first.values()) < min(third.values())
    assert budget.figures.used == 12
    assert budget.figures.waits > 0
    report = budget.report()
    assert report["limit"] == 6
    assert report["used"] == 12

    from monitor.graph.pacing import BudgetExhausted

    async def late() -> None:
        pacer = Pacer(budget_seconds=60.0, budget=budget)
        pacer.deadline = time.monotonic() + 0.01  # no room before it: the request is not sent
        slot = None
        for _ in range(20):
            slot = await pacer.acquire("/beta/auditLogs/signIns")
            pacer.release(slot)

    with pytest.raises(BudgetExhausted):
        asyncio.run(late())


def test_leased_tokens_go_to_the_first_callers_in_line_whichever_wakes_first() -> None:
    # On a busy event loop (many passes of one instance), the callers a claim leased tokens for wake
    # one by one; a token waiting for the head of the line to wake would expire unused and waste the
    # app's budget. Each of the first callers in line takes one as soon as it wakes; later ones wait.
    budget = ReportBudget(MemoryBackend(), BudgetConfig(), clock=lambda: 100.0)
    budget._tokens = [100.25, 100.25]  # leased by a claim for the first two callers in line
    budget._next_ticket = 1  # the head of the line (ticket 0) has not woken yet

    async def main() -> None:
        await asyncio.wait_for(budget.acquire(), 5)  # ticket 1: the second token is its own
        with pytest.raises(TimeoutError):  # ticket 2: the last token is the head's, not its own
            await asyncio.wait_for(budget.acquire(), 0.3)

    asyncio.run(main())
    assert (budget.figures.used, len(budget._tokens)) == (1, 1)
    assert budget._take_local(0, 100.0)  # the head wakes: its token is still there
    assert (budget.figures.used, budget.figures.expired, budget._serving) == (2, 0, 3)


def test_a_broken_row_or_a_failing_store_never_stops_a_request(monkeypatch: pytest.MonkeyPatch) -> None:
    config = BudgetConfig(limit=3)
    # A row holding anything but the grant log: its rows are dropped, the claim goes on.
    state, result = claim({"grants": [["x", 1, "p"], [1.0], 5], "queue": "no"}, "p", 2, 50.0, config)
    assert result.granted == 2
    assert state["grants"] == [[50.0, 2, "p"]]

    class Failing(MemoryBackend):
        def transact(self, change: Any) -> Any:
            from azure.core.exceptions import ServiceRequestError

            raise ServiceRequestError("unreachable")

        def read(self) -> dict[str, Any]:
            return self.transact(lambda s: (s, s))  # type: ignore[no-any-return]

    budget = ReportBudget(Failing(), config)
    asyncio.run(budget.acquire())
    assert budget.figures.unshared == 1
    assert budget.report()["problem"] == "the budget's store could not be read: ServiceRequestError"

    from monitor.graph import budget as module

    monkeypatch.setattr(module, "_PROCESS_BUDGET", {})
    monkeypatch.setattr(module, "_PROCESS_PROBLEM", {})
    unreachable = BudgetSettings(
        "table", "graphbudget", "UseDevelopmentStorage=true;TableEndpoint=http://127.0.0.1:9/x"
    )
    health = module.budget_health(unreachable)
    assert health["state"] in ("misconfigured", "on")  # a table that cannot be opened: said, never raised
    monkeypatch.setattr(module, "_PROCESS_BUDGET", {})
    assert module.budget_health(BudgetSettings()) == {"state": "off"}
    monkeypatch.setattr(module, "_PROCESS_BUDGET", {})
    assert module.budget_health(parse({"MONITOR_GRAPH_BUDGET": "memory"}))["state"] == "on"
    with pytest.raises(SettingsError, match="MONITOR_GRAPH_BUDGET must be table, memory or off"):
        Settings.from_env({"MONITOR_GRAPH_BUDGET": "tables"})


# -- many processes, one budget in Table Storage -------------------------------------------------


def _worker(
    index: int, connection: str, url: str, tenants: list[str], ready: Any, start: Any, results: Any
) -> None:
    """One process: its tenants' sessions all at once, through the shared budget."""
    from monitor.graph.credentials import SimulatorCredential
    from monitor.graph.session import GraphSession
    from monitor.settings import Settings

    settings = Settings(graph_endpoint=url, graph_credential="simulator", graph_retry_delay_seconds=0.0)
    budget = ReportBudget(TableBackend(connection, "budgettest", "app"), BudgetConfig())

    async def tenant(tid: str) -> int:
        sent = 0
        credential = SimulatorCredential(tid, authority=url)
        async with GraphSession(settings, credential=credential, pacer=Pacer(budget=budget)) as graph:
            await credential.get_token("https://graph.microsoft.com/.default")
            start.wait()
            for _ in range(REQUESTS_PER_TENANT):
                await graph.entity(
                    graph.url("beta", "auditLogs/signIns", {"$top": 1}), source="signIns", permission="-"
                )
                sent += 1
        return sent

    async def main() -> list[int]:
        return await asyncio.gather(*(tenant(t) for t in tenants))

    ready.put(index)
    sent = asyncio.run(main())
    results.put({"index": index, "sent": sum(sent), **budget.report()})


def test_four_processes_share_the_apps_report_budget_without_a_429(tmp_path: Path, azurite: str) -> None:
    tenants = write_tenants(tmp_path / "tenants", PROCESSES * TENANTS_PER_PROCESS)
    ids = sorted(tenants)
    context = multiprocessing.get_context("spawn")
    ready, results = context.Queue(), context.Queue()
    start = context.Event()
    with GraphSimulator(tenants={t: str(p) for t, p in tenants.items()}, throttle=ThrottleModel()) as sim:
        workers = [
            context.Process(
                target=_worker,
                args=(n, azurite, sim.url, ids[n::PROCESSES], ready, start, results),
            )
            for n in range(PROCESSES)
        ]
        for worker in workers:
            worker.start()
        for _ in workers:
            ready.get(timeout=60)
        time.sleep(1.0)  # every session made and its token fetched
        sim.reset()
        start.set()
        figures = [results.get(timeout=120) for _ in workers]
        for worker in workers:
            worker.join(timeout=30)
        reports = [r for r in sim.requests if "/auditLogs/signIns" in r.path]
        throttle = sim.throttle_stats()

    total = PROCESSES * TENANTS_PER_PROCESS * REQUESTS_PER_TENANT
    assert sum(f["sent"] for f in figures) == total
    assert [r.status for r in reports].count(200) == total
    assert [r for r in reports if r.status == 429] == []
    assert throttle["throttled"] == 0
    # Demand exceeded the budget (32 tenants x 5 per 10 s = 160 > 122) while more than a window's worth of
    # requests was still to send: in each full window of 10 s from the first request until then, the app
    # sent at least 90% of its 122 (and never more).
    times = sorted(r.time for r in reports)
    first = times[0]
    per_window = []
    for k in range(int((times[-1] - first) // WINDOW)):
        begin = first + k * WINDOW
        if total - sum(1 for t in times if t < begin) <= LIMIT:
            break  # the tail: less left to send than one window allows
        per_window.append(sum(1 for t in times if begin <= t < begin + WINDOW))
    assert len(per_window) >= 2, per_window
    assert all(count <= LIMIT for count in per_window), per_window
    assert all(count >= 0.9 * LIMIT for count in per_window), (per_window, figures)
    # Leases keep the table's work per request low: fewer than 3 transactions per request sent.
    assert sum(f["transactions"] for f in figures) < 3 * total, figures
