"""The weekly compliance snapshot: computed from what the passes stored, kept, written and sent to the
alert destinations (the weekly timer, `monitor weekly`)."""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from monitor.records import utcnow

if TYPE_CHECKING:
    from monitor.records import Tenant
    from monitor.service.runtime import Runtime
    from monitor.weekly.alerts import AlertSource
    from monitor.weekly.report import WeeklyReport

log = logging.getLogger(__name__)


class ReportMismatch(ValueError):
    """The previous report given to compare with is of another tenant."""


@dataclass(frozen=True)
class WeeklyRun:
    report: WeeklyReport
    written: tuple[Path, ...]


def weekly_report(
    runtime: Runtime,
    tenant: Tenant,
    now: datetime,
    output: Path | None,
    previous: Mapping[str, Any] | None = None,
    alerts: AlertSource | None = None,
) -> WeeklyRun:
    """Compute the week's snapshot, compare it with the last one kept (or `previous`), keep it, and
    write the report into `output` when given. `alerts`: where open alerts and undelivered notices come
    from (default: the findings ledger, which knows no deliveries)."""
    from monitor.soc.service import soc_review_of
    from monitor.weekly.alerts import LedgerAlerts
    from monitor.weekly.compare import compare
    from monitor.weekly.report import WeeklyReport, write_report
    from monitor.weekly.snapshot import read_snapshot

    state, reports = runtime.state, runtime.reports
    snapshot = read_snapshot(tenant, now, state, reports, alerts or LedgerAlerts(state))
    snapshot = soc_review_of(snapshot, state, runtime.reviews, runtime.settings.soc.review_hours)
    previous_tenant = (previous or {}).get("tenant")
    if previous is not None and (
        not isinstance(previous_tenant, dict) or previous_tenant.get("id") != tenant.id
    ):
        raise ReportMismatch(f"the previous report is not of tenant {tenant.id}: nothing to compare")
    if previous is None:
        kept = reports.snapshots(tenant.id, before=snapshot.period_end, limit=1)
        previous = kept[0].document if kept else None
    report = WeeklyReport(snapshot, compare(snapshot, previous), utcnow())
    reports.save_snapshot(tenant.id, snapshot.period_end, snapshot.to_json())
    written = tuple(write_report(report, output)) if output is not None else ()
    log.info(
        "weekly snapshot: tenant=%s findings=%d written=%d",
        tenant.id,
        len(snapshot.open_findings),
        len(written),
    )
    return WeeklyRun(report, written)


def weekly_from_store(runtime: Runtime, now: datetime | None, output: Path | None) -> list[WeeklyRun]:
    """The weekly report of every tenant with a recorded pass, from Table Storage (the timer's job).
    One tenant's report goes into `output`; several go into `output/<tenant id>/`."""
    from monitor.records import Tenant
    from monitor.weekly.alerts import StoredAlerts

    moment = now or utcnow()
    runs = runtime.state.latest_runs()
    tenants = [Tenant(run.tenant_id, str(run.summary.get("tenantName", ""))) for run in runs]
    return [
        weekly_report(
            runtime,
            tenant,
            moment,
            output if output is None or len(tenants) == 1 else output / tenant.id,
            alerts=StoredAlerts(runtime.alerts),
        )
        for tenant in tenants
    ]


async def send_weekly_reports(runtime: Runtime, runs: Sequence[WeeklyRun]) -> list[str]:
    """Send each tenant's weekly report to every alert destination (monitor.weekly.send): one line
    per destination. Nothing configured: nothing sent, no lines."""
    from monitor.weekly.report import to_html
    from monitor.weekly.send import send_weekly

    alerts = runtime.settings.alerts
    if not alerts.destinations or not runs:
        return []
    moment = utcnow()
    graph_mail = alerts.email_transport == "graph" and any(d.channel == "email" for d in alerts.destinations)
    lines: list[str] = []
    async with runtime.graph() as graph:
        for run in runs:
            tenant = run.report.snapshot.tenant.display_name or run.report.snapshot.tenant.id
            saved = next((str(p) for p in run.written if p.name == "report.html"), "")
            said = await send_weekly(
                run.report, to_html(run.report), alerts, graph if graph_mail else None, moment, saved
            )
            lines += [f"{tenant}: weekly report to {line}" for line in said]
    return lines


async def weekly_timer(runtime: Runtime) -> tuple[list[WeeklyRun], list[str]]:
    """The weekly timer: every tenant's report kept (and written to MONITOR_WEEKLY_OUTPUT), then sent."""
    output = runtime.settings.weekly_output
    runs = weekly_from_store(runtime, None, Path(output) if output else None)
    return runs, await send_weekly_reports(runtime, runs)
