"""Entry points shared by `function_app.py` and the CLI: each builds its parts from settings and runs
the same pipeline, so nothing the timer does is missing from `python -m monitor`, and the reverse.

Cold start: `function_app` imports this module to index its triggers, so it imports only what every
entry point needs. msgraph-sdk, the pipeline, telemetry exporters and the Table client load when a
pass or a route first needs them (bench/import_cost.py measures it).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

from monitor.records import iso, utcnow
from monitor.schedule import Schedule
from monitor.settings import Settings, SettingsError
from monitor.store.base import RunRecord, StoredFinding, StoreError

if TYPE_CHECKING:
    from monitor.alerts.model import Alert, Notification
    from monitor.alerts.process import AlertPass
    from monitor.graph.session import GraphSession
    from monitor.ingest.resource_logs import LogBatch
    from monitor.ingest.routes import Answer
    from monitor.ingest.stream import TenantIngest
    from monitor.pipeline import PassResult
    from monitor.records import Tenant
    from monitor.rules.base import Finding
    from monitor.store.alerts import AlertStore
    from monitor.store.base import StateStore
    from monitor.store.pass_queue import PassQueue
    from monitor.store.reports import ReportStore
    from monitor.store.reviews import ReviewStore
    from monitor.views.tap_signins import PageRequest, RuleNote, TapSignInPage
    from monitor.weekly.alerts import AlertSource
    from monitor.weekly.report import WeeklyReport

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
    """One pass against the configured Graph and Table Storage, then its alert step: what the timer
    trigger runs."""
    return await _one_pass(Settings.from_env(environ, require_storage=True), now, alerts=True)


async def _one_pass(settings: Settings, now: datetime | None, alerts: bool = False) -> PassResult:
    from monitor import telemetry
    from monitor.graph.session import GraphSession
    from monitor.pipeline import run_pass
    from monitor.store import open_store
    from monitor.store.ingest import open_ingest_store

    telemetry.configure(settings)
    store = open_store(settings)
    reports = open_ingest_store(settings)
    try:
        async with GraphSession(settings) as graph:
            result = await run_pass(graph, store, settings, now or utcnow(), reports)
            if alerts:
                await alert_step(store, settings, result, graph)
        if settings.has_storage:
            keep_recoveries(settings, result)
        if settings.has_storage and settings.soc.sentinel_on:
            sentinel_step(settings, store, result)
        return result
    finally:
        store.close()
        reports.close()
        telemetry.flush()


async def alert_step(
    store: StateStore, settings: Settings, result: PassResult, graph: GraphSession | None
) -> AlertPass:
    """Reconcile the stored findings ledger with the alerts and deliver what is due (docs/alerts.md).

    It reads the ledger rather than this pass's changes, so a pass that died after writing its
    findings is caught up here."""
    from monitor.alerts.process import process_alerts
    from monitor.soc.service import late_review_findings
    from monitor.store.alerts import open_alert_store

    alert_store = open_alert_store(settings)
    try:
        findings = store.findings(result.tenant.id)
        findings += late_review_findings(settings, store, result.tenant.id, result.now)
        return await process_alerts(alert_store, findings, result.tenant, result.now, settings.alerts, graph)
    finally:
        alert_store.close()


def sentinel_step(settings: Settings, store: StateStore, result: PassResult) -> None:
    """Ship the pass's TAP sign-ins and findings to Log Analytics (docs/soc.md). A failed upload is
    logged and left for the next pass, which sends what is still not uploaded."""
    from azure.core.exceptions import AzureError

    from monitor.soc.sentinel import UploadError
    from monitor.soc.service import ship_pass

    try:
        ship_pass(settings, store, result.tenant.id, result.now)
    except (UploadError, StoreError, AzureError) as exc:
        log.warning("sentinel: upload failed, the next pass retries: %s", exc)


def keep_recoveries(settings: Settings, result: PassResult, reports: ReportStore | None = None) -> None:
    """Store the pass's recovery chains, which the SOC view shows beside the TAP sign-ins."""
    from monitor.store.reports import open_report_store

    chains = {c.issuance.audit_id: c.to_json() for c in result.recoveries}
    if not chains:
        return
    store = reports or open_report_store(settings)
    try:
        store.save_recoveries(result.tenant.id, chains)
    finally:
        if reports is None:
            store.close()


# -- weekly snapshot --------------------------------------------------------------------------------


class ReportMismatch(ValueError):
    """The previous report given to compare with is of another tenant."""


@dataclass(frozen=True)
class WeeklyRun:
    report: WeeklyReport
    written: tuple[Path, ...]


def _weekly(
    tenant: Tenant,
    now: datetime,
    state: StateStore,
    reports: ReportStore,
    output: Path | None,
    previous: Mapping[str, Any] | None = None,
    alerts: AlertSource | None = None,
    reviews: ReviewStore | None = None,
    review_hours: float = 24.0,
) -> WeeklyRun:
    """Compute the week's snapshot, compare it with the last one kept (or `previous`), keep it, and
    write the report into `output` when given. `alerts`: where open alerts and undelivered notices come
    from (default: the findings ledger, which knows no deliveries)."""
    from monitor.soc.service import soc_review_of
    from monitor.weekly.alerts import LedgerAlerts
    from monitor.weekly.compare import compare
    from monitor.weekly.report import WeeklyReport, write_report
    from monitor.weekly.snapshot import read_snapshot

    snapshot = read_snapshot(tenant, now, state, reports, alerts or LedgerAlerts(state))
    if reviews is not None:
        snapshot = soc_review_of(snapshot, state, reviews, review_hours)
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


async def weekly_from_snapshot(
    snapshot: Path,
    now: datetime | None,
    output: Path,
    previous: Mapping[str, Any] | None = None,
    environ: Mapping[str, str] | None = None,
) -> WeeklyRun:
    """The weekly report of a tenant snapshot, offline: one pass through the simulator into memory
    stores, then the snapshot of what it stored. `previous` is an earlier report.json to compare with."""
    from graphsim import GraphSimulator
    from monitor.graph.session import GraphSession
    from monitor.pipeline import run_pass
    from monitor.store.memory import MemoryStore
    from monitor.store.reports import MemoryReportStore
    from monitor.store.reviews import MemoryReviewStore

    settings = Settings.from_env(environ)
    moment = now or utcnow()
    state, reports = MemoryStore(), MemoryReportStore()
    with GraphSimulator(snapshot) as simulator:
        async with GraphSession(settings.with_graph(simulator.url, "simulator")) as graph:
            result = await run_pass(graph, state, settings, moment)
    keep_recoveries(settings, result, reports)
    return _weekly(
        result.tenant,
        moment,
        state,
        reports,
        output,
        previous,
        reviews=MemoryReviewStore(),
        review_hours=settings.soc.review_hours,
    )


def weekly_from_store(
    now: datetime | None, output: Path | None, environ: Mapping[str, str] | None = None
) -> list[WeeklyRun]:
    """The weekly report of every tenant with a recorded pass, from Table Storage (the timer's job).
    One tenant's report goes into `output`; several go into `output/<tenant id>/`."""
    from monitor.records import Tenant
    from monitor.store import open_store
    from monitor.store.alerts import open_alert_store
    from monitor.store.reports import open_report_store
    from monitor.store.reviews import open_review_store
    from monitor.weekly.alerts import StoredAlerts

    settings = Settings.from_env(environ, require_storage=True)
    moment = now or utcnow()
    state, reports = open_store(settings), open_report_store(settings)
    alert_store = open_alert_store(settings)
    reviews = open_review_store(settings)
    try:
        runs = state.latest_runs()
        tenants = [Tenant(run.tenant_id, str(run.summary.get("tenantName", ""))) for run in runs]
        done = []
        for tenant in tenants:
            folder = output if output is None or len(tenants) == 1 else output / tenant.id
            done.append(
                _weekly(
                    tenant,
                    moment,
                    state,
                    reports,
                    folder,
                    alerts=StoredAlerts(alert_store),
                    reviews=reviews,
                    review_hours=settings.soc.review_hours,
                )
            )
        return done
    finally:
        state.close()
        reports.close()
        alert_store.close()
        reviews.close()


async def send_weekly_reports(
    runs: Sequence[WeeklyRun], environ: Mapping[str, str] | None = None
) -> list[str]:
    """Send each tenant's weekly report to every alert destination (monitor.weekly.send): one line
    per destination. Nothing configured: nothing sent, no lines."""
    from monitor.graph.session import GraphSession
    from monitor.weekly.report import to_html
    from monitor.weekly.send import send_weekly

    settings = Settings.from_env(environ, require_storage=True)
    alerts = settings.alerts
    if not alerts.destinations or not runs:
        return []
    moment = utcnow()
    graph_mail = alerts.email_transport == "graph" and any(d.channel == "email" for d in alerts.destinations)
    lines: list[str] = []
    async with GraphSession(settings) as graph:
        for run in runs:
            tenant = run.report.snapshot.tenant.display_name or run.report.snapshot.tenant.id
            saved = next((str(p) for p in run.written if p.name == "report.html"), "")
            said = await send_weekly(
                run.report, to_html(run.report), alerts, graph if graph_mail else None, moment, saved
            )
            lines += [f"{tenant}: weekly report to {line}" for line in said]
    return lines


# -- SOC view of TAP sign-ins -------------------------------------------------------------------------


def _finding_notes(findings: Iterable[Finding | StoredFinding]) -> dict[str, list[RuleNote]]:
    from monitor.views.tap_signins import notes_by_signin

    return notes_by_signin(
        (f.rule, f.severity, f.title, f.status if isinstance(f, StoredFinding) else "open", f.evidence)
        for f in findings
    )


async def tap_signins_from_snapshot(
    snapshot: Path, now: datetime | None, request: PageRequest, environ: Mapping[str, str] | None = None
) -> TapSignInPage:
    """The SOC view of a tenant snapshot, offline (one pass, like scan)."""
    from monitor.views.tap_signins import page

    result = await scan_snapshot(snapshot, now, environ)
    recoveries = {c.issuance.audit_id: c.to_json() for c in result.recoveries}
    return page(result.tap_signins, _finding_notes(result.findings), recoveries, request)


def tap_signins_from_store(
    request: PageRequest, now: datetime | None = None, environ: Mapping[str, str] | None = None
) -> TapSignInPage:
    """The SOC view of what the passes stored (GET /api/tap-signins): sign-ins of the lookback unless
    the filters say otherwise."""
    from monitor.soc.service import histories
    from monitor.store import open_store
    from monitor.store.reports import open_report_store
    from monitor.store.reviews import open_review_store
    from monitor.views.tap_signins import stored_page

    settings = Settings.from_env(environ, require_storage=True)
    moment = now or utcnow()
    since = request.filters.since or moment - timedelta(days=settings.signin_lookback_days)
    until = request.filters.until or moment
    state, reports = open_store(settings), open_report_store(settings)
    reviews = open_review_store(settings)
    try:
        notes: dict[str, list[RuleNote]] = {}
        recoveries: dict[str, Mapping[str, Any]] = {}
        tenants = [run.tenant_id for run in state.latest_runs()]
        for tenant_id in tenants:
            for signin_id, found in _finding_notes(state.findings(tenant_id)).items():
                notes.setdefault(signin_id, []).extend(found)
            recoveries |= reports.recoveries(tenant_id)
        return stored_page(
            tenants,
            state.tap_signins,
            state.count_tap_signins,
            notes,
            recoveries,
            request,
            since,
            until,
            histories(reviews, tenants),
        )
    finally:
        state.close()
        reports.close()
        reviews.close()


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
    soc_review: Mapping[str, Any] | None = None  # unreviewed TAP sign-ins (monitor.soc.workflow)

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
    from azure.core.exceptions import AzureError

    from monitor.ingest.rejects import recent_rejects
    from monitor.soc.service import review_backlog
    from monitor.store import open_store
    from monitor.store.alerts import dead_notifications, open_alert_store

    try:
        store = open_store(settings)
        try:
            runs = tuple(store.latest_runs())
            soc = review_backlog(settings, [run.tenant_id for run in runs])
        finally:
            store.close()
        alert_store = open_alert_store(settings)
        try:
            dead = {run.tenant_id: dead_notifications(alert_store, run.tenant_id) for run in runs}
        finally:
            alert_store.close()
        rejects = recent_rejects(settings, checked)
    except (StoreError, AzureError) as exc:
        said = str(exc) if isinstance(exc, StoreError) else type(exc).__name__
        log.warning("health: Table Storage check failed: %s", said)
        return Health("unhealthy", checked, (f"Table Storage unreachable: {said}",))
    problems = []
    limit = stale_after(settings, checked)
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
    return Health("degraded" if problems else "ok", checked, tuple(problems), runs, soc)


def dead_summary(tenant_id: str, dead: list[Notification]) -> str:
    """One health line for a tenant's dead notifications: how many, where, and the latest reason."""
    destinations = ", ".join(sorted({n.destination for n in dead}))
    return (
        f"{len(dead)} alert notification(s) for tenant {tenant_id} could not be delivered "
        f"(destinations: {destinations}; latest: {dead[-1].last_error})"
    )


class UnknownAlert(LookupError):
    """No alert has this ID."""


def _alert_store(environ: Mapping[str, str] | None) -> AlertStore:
    from monitor.store.alerts import open_alert_store

    return open_alert_store(Settings.from_env(environ, require_storage=True))


def list_alerts(
    tenant_id: str | None = None,
    state: Literal["open", "resolved", "all"] = "open",
    environ: Mapping[str, str] | None = None,
) -> list[Alert]:
    alert_store = _alert_store(environ)
    try:
        found = alert_store.alerts(tenant_id) if tenant_id else alert_store.all_alerts()
        return [a for a in found if state == "all" or a.state == state]
    finally:
        alert_store.close()


def open_alerts(tenant_id: str, environ: Mapping[str, str] | None = None) -> list[Alert]:
    """Open alerts of a tenant (for the weekly report)."""
    from monitor.store.alerts import open_alerts as alerts_open

    alert_store = _alert_store(environ)
    try:
        return alerts_open(alert_store, tenant_id)
    finally:
        alert_store.close()


def dead_notifications(tenant_id: str, environ: Mapping[str, str] | None = None) -> list[Notification]:
    """Notifications of a tenant given up on, each with its reason (health and the weekly report)."""
    from monitor.store.alerts import dead_notifications as alerts_dead

    alert_store = _alert_store(environ)
    try:
        return alerts_dead(alert_store, tenant_id)
    finally:
        alert_store.close()


def outbox(
    tenant_id: str | None,
    status: Literal["pending", "delivered", "dead"] | None,
    environ: Mapping[str, str] | None = None,
) -> list[Notification]:
    alert_store = _alert_store(environ)
    try:
        tenants = [tenant_id] if tenant_id else sorted({a.tenant_id for a in alert_store.all_alerts()})
        return [n for t in tenants for n in alert_store.notifications(t, status)]
    finally:
        alert_store.close()


def change_alert(
    alert_id: str,
    change: Callable[[Alert, datetime], Alert],
    now: datetime | None = None,
    environ: Mapping[str, str] | None = None,
) -> Alert:
    """Apply a person's action to one alert, re-reading it if a pass wrote it meanwhile (ETag).
    Raises UnknownAlert, or actions.ActionError for an action that does not apply."""
    from monitor.store.alerts import AlertConflict

    moment = now or utcnow()
    alert_store = _alert_store(environ)
    try:
        for _ in range(3):
            alert = alert_store.alert_by_id(alert_id.strip().lower())
            if alert is None:
                raise UnknownAlert(f"no alert {alert_id!r} (python -m monitor alerts --state all lists them)")
            try:
                return alert_store.save_alert(change(alert, moment))
            except AlertConflict:
                log.warning("alert changed while being updated, re-reading: alert=%s", alert_id)
        raise AlertConflict(f"alert {alert_id} kept changing; try again")
    finally:
        alert_store.close()


def acknowledge_alert(
    alert_id: str, by: str = "", now: datetime | None = None, environ: Mapping[str, str] | None = None
) -> Alert:
    from monitor.alerts import actions

    return change_alert(alert_id, lambda alert, at: actions.acknowledge(alert, by, at), now, environ)


def snooze_alert(
    alert_id: str,
    duration: str | None = None,
    until: str | None = None,
    now: datetime | None = None,
    environ: Mapping[str, str] | None = None,
) -> Alert:
    from monitor.alerts import actions

    moment = now or utcnow()
    ends = actions.snooze_until(moment, duration, until)
    return change_alert(alert_id, lambda alert, at: actions.snooze(alert, ends, at), moment, environ)


def alert_request(
    alert_id: str, action: str, body: bytes, environ: Mapping[str, str] | None = None
) -> tuple[int, dict[str, Any]]:
    """The HTTP route's answer (status, JSON) to acknowledging or snoozing one alert; never a 500."""
    import orjson
    from azure.core.exceptions import AzureError

    from monitor.alerts import actions
    from monitor.store.alerts import AlertConflict

    if action not in ("ack", "snooze"):
        return 404, {"error": f"no action {action!r}: use ack or snooze"}
    try:
        document = orjson.loads(body) if body.strip() else {}
    except orjson.JSONDecodeError as exc:
        return 400, {"error": f"the body is not JSON: {exc}"}
    try:
        fields = actions.request_action(document, action)
        if action == "ack":
            alert = acknowledge_alert(alert_id, by=fields["by"] or "", environ=environ)
        else:
            alert = snooze_alert(alert_id, duration=fields["for"], until=fields["until"], environ=environ)
    except actions.ActionError as exc:
        return 400, {"error": str(exc)}
    except UnknownAlert as exc:
        return 404, {"error": str(exc).strip("'\"")}
    except SettingsError as exc:
        return 503, {"error": "the monitor is not configured", "problems": exc.problems}
    except (AlertConflict, AzureError) as exc:
        log.warning("alert action failed: alert=%s error=%s", alert_id, type(exc).__name__)
        return 503, {"error": f"Table Storage did not take the change ({type(exc).__name__}); try again"}
    return 200, alert.to_json()


def alert_confirm_page(
    method: str,
    alert_id: str,
    params: Mapping[str, str],
    headers: Mapping[str, str],
    body: bytes,
    environ: Mapping[str, str] | None = None,
    now: datetime | None = None,
) -> tuple[int, bytes, dict[str, str]]:
    """GET/POST /api/confirm/{alert_id}: the page behind the signed link in an alert message
    (monitor.alerts.confirm); GET changes nothing. Always a page; never a 500."""
    from azure.core.exceptions import AzureError

    from monitor.alerts import confirm
    from monitor.store.alerts import AlertConflict

    moment = now or utcnow()

    class Access:
        def read(self, alert_id: str) -> Alert | None:
            alert_store = _alert_store(environ)
            try:
                return alert_store.alert_by_id(alert_id)
            finally:
                alert_store.close()

        def change(self, alert_id: str, change: Callable[[Alert, datetime], Alert], now: datetime) -> Alert:
            return change_alert(alert_id, change, now, environ)

    request = confirm.Request(method, alert_id, params, headers, body)
    try:
        settings = Settings.from_env(environ, require_storage=True)
        page = confirm.respond(request, settings.alerts, Access(), moment)
    except SettingsError:
        page = confirm.message_page(503, "Not available", "The monitor is not configured; try again later.")
    except UnknownAlert:
        page = confirm.message_page(404, "No such alert", "There is no alert with this ID.")
    except (AlertConflict, AzureError) as exc:
        log.warning("alert confirmation failed: alert=%s error=%s", alert_id[:12], type(exc).__name__)
        page = confirm.message_page(503, "Try again", "The alert store did not answer; nothing was changed.")
    return page.status, page.body(), dict(page.headers)


def tap_signins_response(
    params: Mapping[str, str], environ: Mapping[str, str] | None = None
) -> tuple[int, bytes, str]:
    """GET /api/tap-signins: (status, body, media type). A bad filter is a 400 with the reason; the store
    or configuration failing is a 503 that says so; nothing answers 500."""
    import orjson
    from azure.core.exceptions import AzureError

    from monitor.views.tap_signins import FilterError, parse_filters, to_csv

    query = dict(params)
    fmt = query.pop("format", "json").lower()
    try:
        if fmt not in ("json", "csv"):
            raise FilterError(f"format must be json or csv, got {fmt!r}")
        result = tap_signins_from_store(parse_filters(query), environ=environ)
    except FilterError as exc:
        return 400, orjson.dumps({"error": str(exc)}), "application/json"
    except SettingsError as exc:
        return 503, orjson.dumps({"error": str(exc)}), "application/json"
    except StoreError as exc:
        # Store errors are one line naming the table and what the service said, never a secret.
        log.warning("tap-signins: Table Storage failed: %s", exc)
        return 503, orjson.dumps({"error": f"Table Storage unavailable: {exc}"}), "application/json"
    except AzureError as exc:  # a credential that cannot get a token, before any table is touched
        log.warning("tap-signins: Table Storage failed: %s", type(exc).__name__)
        body = {"error": f"Table Storage unavailable: {type(exc).__name__}"}
        return 503, orjson.dumps(body), "application/json"
    if fmt == "csv":
        return 200, to_csv(result).encode(), "text/csv"
    return 200, orjson.dumps(result.to_json()), "application/json"


# -- event-driven ingestion (docs/ingest.md) ----------------------------------------------------------


def _ingest_settings(environ: Mapping[str, str] | None) -> Settings | Answer:
    from monitor.ingest.routes import refused

    try:
        return Settings.from_env(environ, require_storage=True)
    except SettingsError as exc:
        log.error("ingestion refused: the monitor is misconfigured (%d problem(s))", len(exc.problems))
        return refused(503, "the monitor is misconfigured; GET /api/health lists the problems")


def _keyed_route(
    headers: Mapping[str, str],
    params: Mapping[str, str],
    environ: Mapping[str, str] | None,
    handle: Callable[[Settings], Answer],
) -> Answer:
    """What every ingestion route does first: the settings (503 if broken), the key (401/403), then
    the route's own work."""
    from monitor.ingest.routes import Answer, check_key

    settings = _ingest_settings(environ)
    if isinstance(settings, Answer):
        return settings
    return check_key(headers, params, settings) or handle(settings)


def receive_device_report(
    headers: Mapping[str, str],
    params: Mapping[str, str],
    body: bytes,
    environ: Mapping[str, str] | None = None,
    now: datetime | None = None,
) -> Answer:
    """POST /api/device-reports: the key, then what `monitor ingest-device-report` does."""
    return _keyed_route(headers, params, environ, lambda s: _store_device_report(headers, body, s, now))


def ingest_device_report(
    body: bytes, environ: Mapping[str, str] | None = None, now: datetime | None = None
) -> Answer:
    """`monitor ingest-device-report FILE`: check and store one report (a local file needs no key)."""
    settings = Settings.from_env(environ, require_storage=True)  # a SettingsError is the CLI's to report
    return _store_device_report({}, body, settings, now)


def _store_device_report(
    headers: Mapping[str, str], body: bytes, settings: Settings, now: datetime | None
) -> Answer:
    from azure.core.exceptions import AzureError

    from monitor.ingest.device_reports import device_report, report_json
    from monitor.ingest.errors import RejectedBody
    from monitor.ingest.routes import Answer, check_body, refused
    from monitor.store.ingest import open_ingest_store

    checked = check_body(headers, body, settings, "device-report")
    if isinstance(checked, Answer):
        return checked
    try:
        report = device_report(checked.document, now or utcnow())
    except RejectedBody as exc:
        return refused(400, str(exc))
    try:
        store = open_ingest_store(settings)
        try:
            store.save_device_report(report)
        finally:
            store.close()
    except AzureError as exc:
        log.warning("device report not stored: %s", type(exc).__name__)
        return refused(503, f"Table Storage unavailable ({type(exc).__name__}); send the report again")
    log.info("device report stored: device=%s canReset=%s", report.intune_device_id, report.can_reset)
    return Answer(202, {"stored": report_json(report)})


def receive_azure_monitor_alert(
    headers: Mapping[str, str],
    params: Mapping[str, str],
    body: bytes,
    environ: Mapping[str, str] | None = None,
    now: datetime | None = None,
) -> Answer:
    """POST /api/azure-monitor-alerts: the key, then what `monitor queue-alert` does."""
    return _keyed_route(headers, params, environ, lambda s: _queue_alert(headers, body, s, now))


def queue_alert(body: bytes, environ: Mapping[str, str] | None = None, now: datetime | None = None) -> Answer:
    """`monitor queue-alert FILE`: a fired alert queues a pass for its tenant (a local file needs no key)."""
    settings = Settings.from_env(environ, require_storage=True)  # a SettingsError is the CLI's to report
    return _queue_alert({}, body, settings, now)


def _queue_alert(headers: Mapping[str, str], body: bytes, settings: Settings, now: datetime | None) -> Answer:
    from azure.core.exceptions import AzureError

    from monitor.ingest.alerts import pass_request
    from monitor.ingest.routes import Answer, check_body, refused

    checked = check_body(headers, body, settings, "azure-monitor-alert")
    if isinstance(checked, Answer):
        return checked
    request = pass_request(checked.document, now or _precise_now())
    if request is None:
        return Answer(202, {"queued": False, "reason": "the alert is resolved; no pass needed"})
    if not settings.has_queue:
        return refused(503, NO_QUEUE)
    try:
        queue = _pass_queue(settings)
        try:
            queue.send(request)
        finally:
            queue.close()
    except AzureError as exc:
        log.warning("alert not queued: %s", type(exc).__name__)
        return refused(503, f"Storage Queue unavailable ({type(exc).__name__}); the alert will be sent again")
    log.info("pass queued: tenant=%s alertRule=%s", request.tenant_id, request.alert_rule)
    return Answer(202, {"queued": True, "request": request.to_json()})


NO_QUEUE = (
    "no pass queue: the Function app's storage (AzureWebJobsStorage__queueServiceUri or __accountName) "
    "or a storage connection string with a QueueEndpoint"
)


def _pass_queue(settings: Settings) -> PassQueue:
    from monitor.store.pass_queue import shared_pass_queue

    return shared_pass_queue(
        settings.queue_connection_string, settings.queue_endpoint, settings.pass_queue_name
    )


def _precise_now() -> datetime:
    """The time to the microsecond: whether a pass began before or after an alert is decided by it."""
    return datetime.now(UTC)


PassOutcome = Literal["ran", "covered", "deferred", "rejected"]


async def run_requested_pass(
    message: bytes | str, environ: Mapping[str, str] | None = None, now: datetime | None = None
) -> PassOutcome:
    """The queue trigger: run the pass an alert asked for, unless a pass already covers it.

    The alert's tenant is the one this deployment monitors (the tenant of its recorded passes); an
    alert naming another tenant is dropped with a log line, and one naming none is for the monitored
    tenant, under the same gate. One pass per tenant per MONITOR_PASS_DEBOUNCE_SECONDS however many
    alerts arrive: an alert that arrived before the last pass began is covered by it; one that arrived
    after, while the gate is closed, goes back on the queue until it opens (so it still gets a pass that
    sees it). A pass skipped because another held the tenant puts its request back the same way.
    Nothing here raises for a bad message: retrying cannot fix it.
    """
    from monitor.ingest.errors import RejectedBody
    from monitor.store.ingest import gate_decision, open_ingest_store
    from monitor.store.pass_queue import PassRequest

    try:
        request = PassRequest.from_json(message)
    except RejectedBody as exc:
        # Retrying cannot fix a message this monitor did not write; drop it with the reason.
        log.warning("queued pass request dropped: %s", exc)
        return "rejected"
    settings = Settings.from_env(environ, require_storage=True)
    gate_key = _gate_key(settings, request.tenant_id)
    if gate_key is None:
        log.warning(
            "queued pass request dropped: alert %s names tenant %s, which this deployment does not monitor",
            request.alert_rule[:100],
            request.tenant_id,
        )
        return "rejected"
    window = timedelta(seconds=settings.pass_debounce_seconds)
    store = open_ingest_store(settings)
    try:
        moment = _precise_now()
        gate = store.pass_gate(gate_key)
        decision = gate_decision(gate, request.received, moment)
        if decision == "run" and not store.claim_pass(gate_key, request.received, moment, window):
            decision = "covered"  # another worker claimed the gate first, after this alert arrived
    finally:
        store.close()
    if decision == "covered":
        log.info("alert pass covered by a pass already run: tenant=%s", gate_key)
        return "covered"
    if decision == "wait":
        assert gate is not None
        _requeue(settings, request, gate.next_allowed - moment + timedelta(seconds=1))
        log.info("alert pass deferred until %s: tenant=%s", iso(gate.next_allowed), gate_key)
        return "deferred"
    result = await run_configured_pass(now, environ)
    if result.outcome == "skipped":
        # Another pass held the tenant: it may have begun before the alert, so a later one must run.
        # The request is put back as if it arrived now, so only a pass that begins after now covers it.
        _requeue(settings, replace(request, received=moment + _TICK), window + timedelta(seconds=1))
        log.info("alert pass skipped (another pass holds the tenant); put back: tenant=%s", gate_key)
        return "deferred"
    if request.tenant_id not in (gate_key, result.tenant.id):  # named before the tenant was known
        log.warning(
            "alert named tenant %s; the configured Graph is tenant %s", request.tenant_id, result.tenant.id
        )
    return "ran"


def known_tenant_name(store: StateStore, tenant_id: str) -> str:
    """Log records carry the tenant's ID only; its name is the one its last passes read from Graph."""
    return next(
        (str(r.summary["tenantName"]) for r in store.runs(tenant_id) if r.summary.get("tenantName")), ""
    )


_TICK = timedelta(microseconds=1)


def _gate_key(settings: Settings, tenant_id: str) -> str | None:
    """The gate an alert's pass is under: the deployment's one tenant (the one its recorded passes are
    for, keyed CONFIGURED_TENANT), whether the alert named it or none; None for a tenant this deployment
    does not monitor. Before any pass is recorded the tenant is not known yet, and every alert waits for
    the same first pass."""
    from monitor.store import open_store
    from monitor.store.pass_queue import CONFIGURED_TENANT

    if tenant_id == CONFIGURED_TENANT:
        return CONFIGURED_TENANT
    store = open_store(settings)
    try:
        monitored = {run.tenant_id.lower() for run in store.latest_runs()}
    finally:
        store.close()
    return CONFIGURED_TENANT if not monitored or tenant_id in monitored else None


def _requeue(settings: Settings, request: Any, delay: timedelta) -> None:
    queue = _pass_queue(settings)
    try:
        queue.send(request, delay=delay)
    finally:
        queue.close()


async def _stream_alerts(store: StateStore, settings: Settings, tenant_id: str, now: datetime) -> None:
    from monitor.alerts.process import process_alerts
    from monitor.records import Tenant
    from monitor.store.alerts import open_alert_store

    alert_store = open_alert_store(settings)
    try:
        await process_alerts(
            alert_store,
            store.findings(tenant_id),
            Tenant(tenant_id, known_tenant_name(store, tenant_id)),
            now,
            settings.alerts,
            None,
        )
    finally:
        alert_store.close()


@dataclass(frozen=True)
class LogIngest:
    """What one batch of log events did: records read, kept, ignored, malformed; findings changed."""

    batch: LogBatch
    tenants: tuple[TenantIngest, ...]

    def summary(self) -> dict[str, int]:
        """Counts only, for the log line of each batch (no IDs, no user names)."""
        return {
            "received": self.batch.received,
            "ignored": self.batch.ignored,
            "malformed": self.batch.malformed,
            "tenants": len(self.tenants),
            "findingsOpened": sum(len(t.changes.opened) for t in self.tenants),
        }

    def to_json(self) -> dict[str, Any]:
        document = self.batch.to_json()
        for tenant in self.tenants:
            document["tenants"][tenant.tenant_id] |= {
                "findingsOpened": [list(f.key) for f in tenant.changes.opened],
                "findingsResolved": [list(f.key) for f in tenant.changes.resolved],
            }
        return document


def ingest_log_events(
    bodies: Sequence[bytes | str], environ: Mapping[str, str] | None = None, now: datetime | None = None
) -> LogIngest:
    """The Event Hub trigger (and `monitor ingest-log-records`): map, store, judge from stored state.

    Each record stands alone: one that cannot be read or stored is counted with its reason, the others
    are kept, and what the batch refused is recorded (health, `monitor ingest-rejects`). Raises
    StoreError or AzureError only when storage fails, so the host retries the batch; every write is
    keyed by what it records, so a retried batch stores what one clean delivery stores.
    """
    from monitor.ingest.errors import RejectedBody
    from monitor.ingest.rejects import keep_rejects
    from monitor.ingest.resource_logs import LogBatch, event_records, read_records
    from monitor.ingest.stream import store_batch
    from monitor.store import open_store

    settings = Settings.from_env(environ, require_storage=True)
    batch = LogBatch()
    for index, body in enumerate(bodies):
        try:
            records = event_records(body)
        except RejectedBody as exc:
            batch.reject(f"event {index}", str(exc))
            continue
        read_records(records, batch, f"event {index} record")
    if batch.malformed:
        log.warning(
            "log events: %d malformed record(s) skipped: %s", batch.malformed, batch.malformed_reasons[0]
        )
    moment = now or utcnow()
    store = open_store(settings)
    try:
        tenants = tuple(store_batch(store, batch, moment, settings))
        for done in tenants:
            if done.changes.opened or done.changes.resolved:
                # The findings the stream opened get their alerts now, not at the next timer. Teams and
                # webhooks are sent here; Graph email waits for a pass (no Graph session in this one).
                asyncio.run(_stream_alerts(store, settings, done.tenant_id, moment))
    finally:
        store.close()
    if batch.malformed:
        keep_rejects(settings, bodies, batch, utcnow())  # when it arrived, not the clock rules judge by
    log.info(
        "log events: received=%d ignored=%d malformed=%d tenants=%d",
        batch.received,
        batch.ignored,
        batch.malformed,
        len(tenants),
    )
    return LogIngest(batch, tenants)


def ingest_rejects(since: datetime, environ: Mapping[str, str] | None = None) -> list[dict[str, Any]]:
    """`monitor ingest-rejects`: what the log stream refused since `since`, newest first."""
    from monitor.ingest.rejects import listed

    return listed(Settings.from_env(environ, require_storage=True), since)


async def run_queued_passes(
    environ: Mapping[str, str] | None = None, now: datetime | None = None
) -> list[PassOutcome]:
    """`monitor run-queued-passes`: what the queue trigger does, for each message waiting now
    (locally, where no Functions host reads the queue)."""
    settings = Settings.from_env(environ, require_storage=True)
    if not settings.has_queue:
        raise SettingsError([NO_QUEUE])
    queue = _pass_queue(settings)
    try:
        messages = queue.receive_all()
    finally:
        queue.close()
    return [await run_requested_pass(message, environ, now) for message in messages]
