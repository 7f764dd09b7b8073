"""Entry points shared by `function_app.py` and the CLI: each builds its parts from settings and runs
the same pipeline, so nothing the timer does is missing from `python -m monitor`, and the reverse.

Cold start: `function_app` imports this module to index its triggers, so it imports only what every
entry point needs. msgraph-sdk, the pipeline, telemetry exporters and the Table client load when a
pass or a route first needs them (bench/import_cost.py measures it).
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

from monitor.records import iso, utcnow
from monitor.schedule import Schedule
from monitor.settings import Settings, SettingsError
from monitor.store.base import RunRecord, StoredFinding, StoreError

if TYPE_CHECKING:
    from monitor.pipeline import PassResult

log = logging.getLogger(__name__)


async def scan_snapshot(
    snapshot: Path, now: datetime | None = None, environ: Mapping[str, str] | None = None
) -> PassResult:
    """One pass against a tenant snapshot served by the Graph simulator on loopback.

    State lives in memory unless storage is configured. Raises SnapshotError for a directory that
    is not a snapshot, TenantUnreadable when it holds no organization.
    """
    from graphsim import GraphSimulator

    settings = Settings.from_env(environ)
    with GraphSimulator(snapshot) as simulator:
        return await _one_pass(settings.with_graph(simulator.url, "simulator"), now)


async def run_configured_pass(
    now: datetime | None = None, environ: Mapping[str, str] | None = None
) -> PassResult:
    """One pass against the configured Graph and Table Storage: what the timer trigger runs."""
    return await _one_pass(Settings.from_env(environ, require_storage=True), now)


async def _one_pass(settings: Settings, now: datetime | None) -> PassResult:
    from monitor import telemetry
    from monitor.graph.session import GraphSession
    from monitor.pipeline import run_pass
    from monitor.store import open_store

    telemetry.configure(settings)
    store = open_store(settings)
    try:
        async with GraphSession(settings) as graph:
            return await run_pass(graph, store, settings, now or utcnow())
    finally:
        store.close()
        telemetry.flush()


def stored_findings(
    tenant_id: str | None,
    status: Literal["open", "resolved", "all"] = "open",
    environ: Mapping[str, str] | None = None,
) -> list[StoredFinding]:
    from monitor.store import open_store

    settings = Settings.from_env(environ, require_storage=True)
    store = open_store(settings)
    try:
        tenants = [tenant_id] if tenant_id else [run.tenant_id for run in store.latest_runs()]
        return [f for t in tenants for f in store.findings(t) if status == "all" or f.status == status]
    finally:
        store.close()


HealthStatus = Literal["ok", "degraded", "unhealthy"]


@dataclass(frozen=True)
class Health:
    status: HealthStatus
    checked_at: datetime
    problems: tuple[str, ...] = ()
    last_runs: tuple[RunRecord, ...] = field(default=())

    def to_json(self) -> dict[str, Any]:
        return {
            "status": self.status,
            "checkedAt": iso(self.checked_at),
            "problems": list(self.problems),
            "lastRuns": [
                {
                    "tenantId": run.tenant_id,
                    "runId": run.run_id,
                    "finished": iso(run.finished),
                    "outcome": run.outcome,
                    "findings": run.summary.get("findings", 0),
                    "problems": len(run.summary.get("problems", [])),
                }
                for run in self.last_runs
            ],
        }


# Without a schedule to go by (or one that runs rarely), a pass older than this is stale.
DEFAULT_STALE_AFTER = timedelta(hours=2)


def stale_after(settings: Settings, now: datetime) -> timedelta:
    """How old the last pass may be: two scheduled intervals and ten minutes (a pass may run late and
    take its time), or DEFAULT_STALE_AFTER without a schedule."""
    if not settings.poll_schedule:
        return DEFAULT_STALE_AFTER
    gap = Schedule.parse(settings.poll_schedule).longest_gap(now)
    return DEFAULT_STALE_AFTER if gap is None else 2 * gap + timedelta(minutes=10)


def health(environ: Mapping[str, str] | None = None) -> Health:
    """Is the monitor configured, can it reach its store, and did its last passes succeed recently?"""
    checked = utcnow()
    try:
        settings = Settings.from_env(environ, require_storage=True, require_schedule=True)
    except SettingsError as exc:
        return Health("unhealthy", checked, tuple(exc.problems))
    from monitor.store import open_store

    try:
        store = open_store(settings)
        try:
            runs = tuple(store.latest_runs())
        finally:
            store.close()
    except StoreError as exc:
        log.warning("health: Table Storage check failed: %s", exc)
        return Health("unhealthy", checked, (f"Table Storage unreachable: {exc}",))
    problems = []
    limit = stale_after(settings, checked)
    if not runs:
        problems.append("no monitoring pass has been recorded yet")
    for run in runs:
        if run.outcome not in ("ok", "running"):
            problems.append(f"last pass for tenant {run.tenant_id} was {run.outcome}")
        if checked - run.finished > limit:
            problems.append(f"no pass for tenant {run.tenant_id} since {iso(run.finished)}")
    return Health("degraded" if problems else "ok", checked, tuple(problems), runs)
