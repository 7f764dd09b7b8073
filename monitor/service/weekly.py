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
    from monitor.store.tenants import TenantRecord
    from monitor.weekly.alerts import AlertSource
    from monitor.weekly.report import WeeklyReport
    from monitor.weekly.rollup import WeeklyRollup

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


@dataclass(frozen=True)
class RollupRun:
    """The week's roll-up across the tenants of the tenants table, and the tenants it was made of."""

    rollup: WeeklyRollup
    tenants: tuple[TenantRecord, ...]
    written: tuple[Path, ...]


def weekly_rollup(
    runtime: Runtime, runs: Sequence[WeeklyRun], output: Path | None, now: datetime | None = None
) -> RollupRun | None:
    """The roll-up across tenants beside their own reports (rollup.html and rollup.json in `output`);
    None when the tenants table has no rows: a single-tenant deployment's weekly output is unchanged.
    A deployment in Table Storage without MONITOR_MSP_APP_ID watches one tenant: its tenants table is
    not even read (so it is never created there)."""
    from monitor.weekly.rollup import rollup_of, write_rollup

    if runtime.settings.has_storage and not runtime.settings.msp.enabled:
        return None
    records = tuple(runtime.tenants.tenants())
    if not records:
        return None
    moment = now or utcnow()

    def where(run: WeeklyRun) -> str:
        page = next((p for p in run.written if p.name == "report.html"), None)
        if page is None or output is None:
            return ""
        return page.relative_to(output).as_posix() if page.is_relative_to(output) else str(page)

    last_passes = {run.tenant_id: run.finished for run in runtime.state.latest_runs()}
    period_end = runs[0].report.snapshot.period_end if runs else moment
    rollup = rollup_of([(r.report, where(r)) for r in runs], records, period_end, moment, last_passes)
    written = tuple(write_rollup(rollup, output)) if output is not None else ()
    log.info("weekly roll-up: tenants=%d written=%d", len(rollup.rows), len(written))
    return RollupRun(rollup, records, written)


async def send_weekly_reports(
    runtime: Runtime, runs: Sequence[WeeklyRun], rollup: RollupRun | None = None
) -> list[str]:
    """Send each tenant's weekly report to the alert destinations (monitor.weekly.send): one line
    per destination. Nothing configured: nothing sent, no lines.

    Without a roll-up (no tenants table rows) every destination gets every report. With one, a tenant's
    report goes to its own destinations (TenantRecord.destinations) or, when it names none, to the
    provider's; the roll-up goes to the provider's destinations only: the configured destinations no
    tenant names as its own, so a customer never sees another customer's figures."""
    from dataclasses import replace

    from monitor.weekly.report import to_html
    from monitor.weekly.send import send_rollup, send_weekly

    alerts = runtime.settings.alerts
    if not alerts.destinations or (not runs and rollup is None):
        return []
    moment = utcnow()
    graph_mail = alerts.email_transport == "graph" and any(d.channel == "email" for d in alerts.destinations)
    own = {r.tenant_id.lower(): r.destinations for r in rollup.tenants} if rollup is not None else {}
    named = {name for names in own.values() for name in names}
    provider = tuple(d for d in alerts.destinations if d.name not in named)
    lines: list[str] = []
    async with runtime.graph() as graph:
        for run in runs:
            tenant = run.report.snapshot.tenant.display_name or run.report.snapshot.tenant.id
            saved = next((str(p) for p in run.written if p.name == "report.html"), "")
            chosen = alerts
            if rollup is not None:
                names = own.get(run.report.snapshot.tenant.id.lower(), ())
                targets = tuple(d for d in alerts.destinations if d.name in names) if names else provider
                chosen = replace(alerts, destinations=targets)
            said = await send_weekly(
                run.report, to_html(run.report), chosen, graph if graph_mail else None, moment, saved
            )
            lines += [f"{tenant}: weekly report to {line}" for line in said]
        if rollup is not None:
            if not provider:
                lines.append("weekly roll-up: not sent (every configured destination is a tenant's own)")
            else:
                from monitor.weekly.rollup import to_html as rollup_html

                saved = next((str(p) for p in rollup.written if p.name == "rollup.html"), "")
                said = await send_rollup(
                    rollup.rollup,
                    rollup_html(rollup.rollup),
                    replace(alerts, destinations=provider),
                    graph if graph_mail else None,
                    moment,
                    saved,
                )
                lines += [f"weekly roll-up to {line}" for line in said]
    return lines


async def weekly_timer(runtime: Runtime) -> tuple[list[WeeklyRun], list[str]]:
    """The weekly timer: every tenant's report kept (and written to MONITOR_WEEKLY_OUTPUT), then sent."""
    output = runtime.settings.weekly_output
    folder = Path(output) if output else None
    runs = weekly_from_store(runtime, None, folder)
    rollup = weekly_rollup(runtime, runs, folder)
    return runs, await send_weekly_reports(runtime, runs, rollup)
