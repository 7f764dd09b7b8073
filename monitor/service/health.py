"""Is the monitor configured, can it reach its store, and did its last passes succeed recently?
(`GET /api/health`, `monitor status`)."""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any, Literal

from monitor.records import iso, utcnow
from monitor.schedule import Schedule
from monitor.settings import Settings, SettingsError
from monitor.store.base import RunRecord, StoreError

if TYPE_CHECKING:
    from monitor.alerts.model import Notification
    from monitor.service.answer import Answer
    from monitor.service.runtime import Runtime

log = logging.getLogger(__name__)

HealthStatus = Literal["ok", "degraded", "unhealthy"]


@dataclass(frozen=True)
class Health:
    status: HealthStatus
    checked_at: datetime
    problems: tuple[str, ...] = ()
    last_runs: tuple[RunRecord, ...] = field(default=())
    soc_review: Mapping[str, Any] | None = None  # unreviewed TAP sign-ins (monitor.soc.workflow)
    report_budget: Mapping[str, Any] | None = None  # the shared report budget (monitor.graph.budget)

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
            "socReview": dict(self.soc_review) if self.soc_review is not None else None,
        } | ({"reportBudget": dict(self.report_budget)} if self.report_budget is not None else {})

    def answer(self) -> Answer:
        from monitor.service.answer import Answer

        return Answer(503 if self.status == "unhealthy" else 200, self.to_json())


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
    """The health of the deployment the environment configures: a configuration that does not parse
    is itself the answer (unhealthy, with every problem), not an error."""
    from monitor.service.runtime import Runtime

    checked = utcnow()
    try:
        runtime = Runtime.from_env(environ, require_schedule=True)
    except SettingsError as exc:
        return Health("unhealthy", checked, tuple(exc.problems))
    with runtime:
        return check(runtime, checked)


def check(runtime: Runtime, checked: datetime | None = None) -> Health:
    """Read the last passes, the undeliverable notices, the SOC's backlog and the log stream's refusals."""
    from azure.core.exceptions import AzureError

    from monitor.ingest.rejects import recent_rejects
    from monitor.soc.service import review_backlog
    from monitor.store.alerts import dead_notifications

    checked = checked or utcnow()
    try:
        runs = tuple(runtime.state.latest_runs())
        soc = review_backlog(runtime.reviews, [run.tenant_id for run in runs])
        dead = {run.tenant_id: dead_notifications(runtime.alerts, run.tenant_id) for run in runs}
        rejects = recent_rejects(runtime.ingest, checked)
        if runtime.settings.msp.enabled:
            from monitor.service.fanout import tenant_problems

            tenants = tenant_problems(runtime, checked)
        else:
            tenants = []
    except (StoreError, AzureError) as exc:
        said = str(exc) if isinstance(exc, StoreError) else type(exc).__name__
        log.warning("health: Table Storage check failed: %s", said)
        return Health("unhealthy", checked, (f"Table Storage unreachable: {said}",))
    problems = []
    limit = stale_after(runtime.settings, checked)
    if not runs:
        problems.append("no monitoring pass has been recorded yet")
    for run in runs:
        if run.outcome not in ("ok", "running"):
            problems.append(f"last pass for tenant {run.tenant_id} was {run.outcome}")
        if checked - run.finished > limit:
            problems.append(f"no pass for tenant {run.tenant_id} since {iso(run.finished)}")
        if dead.get(run.tenant_id):
            problems.append(dead_summary(run.tenant_id, dead[run.tenant_id]))
    if rejects:
        problems.append(rejects)
    problems += tenants
    budget = None
    if runtime.settings.budget.on:
        from monitor.graph.budget import budget_health

        budget = budget_health(runtime.settings.budget)
        if budget.get("state") == "misconfigured":
            problems.append(f"the shared report budget is off: {budget.get('problem')}")
    return Health("degraded" if problems else "ok", checked, tuple(problems), runs, soc, budget)


def dead_summary(tenant_id: str, dead: list[Notification]) -> str:
    """One health line for a tenant's dead notifications: how many, where, and the latest reason."""
    destinations = ", ".join(sorted({n.destination for n in dead}))
    return (
        f"{len(dead)} alert notification(s) for tenant {tenant_id} could not be delivered "
        f"(destinations: {destinations}; latest: {dead[-1].last_error})"
    )
