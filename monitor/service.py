"""Entry points shared by `function_app.py` and the CLI: each builds its parts from settings and runs
the same pipeline, so nothing the timer does is missing from `python -m monitor`, and the reverse.

Cold start: `function_app` imports this module to index its triggers, so it imports only what every
entry point needs. msgraph-sdk, the pipeline, telemetry exporters and the Table client load when a
pass or a route first needs them (bench/import_cost.py measures it).
"""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

from monitor.records import iso, utcnow
from monitor.schedule import Schedule
from monitor.settings import Settings, SettingsError
from monitor.store.base import RunRecord, StoredFinding, StoreError

if TYPE_CHECKING:
    from monitor.ingest.resource_logs import LogBatch
    from monitor.ingest.routes import Answer
    from monitor.ingest.stream import TenantIngest
    from monitor.pipeline import PassResult
    from monitor.store.pass_queue import PassQueue

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
    from monitor.store.ingest import open_ingest_store

    telemetry.configure(settings)
    store = open_store(settings)
    reports = open_ingest_store(settings)
    try:
        async with GraphSession(settings) as graph:
            return await run_pass(graph, store, settings, now or utcnow(), reports)
    finally:
        store.close()
        reports.close()
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


# -- event-driven ingestion (docs/ingest.md) ----------------------------------------------------------


def _ingest_settings(environ: Mapping[str, str] | None) -> Settings | Answer:
    from monitor.ingest.routes import refused

    try:
        return Settings.from_env(environ, require_storage=True)
    except SettingsError as exc:
        log.error("ingestion refused: the monitor is misconfigured (%d problem(s))", len(exc.problems))
        return refused(503, "the monitor is misconfigured; GET /api/health lists the problems")


def receive_device_report(
    headers: Mapping[str, str],
    params: Mapping[str, str],
    body: bytes,
    environ: Mapping[str, str] | None = None,
    now: datetime | None = None,
) -> Answer:
    """POST /api/device-reports: the key, then what `monitor ingest-device-report` does."""
    from monitor.ingest.routes import Answer, check_key

    settings = _ingest_settings(environ)
    if isinstance(settings, Answer):
        return settings
    return check_key(headers, params, settings) or _store_device_report(headers, body, settings, now)


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
    from monitor.ingest.routes import Answer, check_key

    settings = _ingest_settings(environ)
    if isinstance(settings, Answer):
        return settings
    return check_key(headers, params, settings) or _queue_alert(headers, body, settings, now)


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

    One pass per tenant per MONITOR_PASS_DEBOUNCE_SECONDS however many alerts arrive: an alert that
    arrived before the last pass began is covered by it; one that arrived after, while the gate is
    closed, goes back on the queue until it opens (so it still gets a pass that sees it).
    """
    from monitor.ingest.errors import RejectedBody
    from monitor.store.ingest import gate_decision, open_ingest_store
    from monitor.store.pass_queue import CONFIGURED_TENANT, PassRequest

    try:
        request = PassRequest.from_json(message)
    except RejectedBody as exc:
        # Retrying cannot fix a message this monitor did not write; drop it with the reason.
        log.warning("queued pass request dropped: %s", exc)
        return "rejected"
    settings = Settings.from_env(environ, require_storage=True)
    window = timedelta(seconds=settings.pass_debounce_seconds)
    store = open_ingest_store(settings)
    try:
        moment = _precise_now()
        gate = store.pass_gate(request.tenant_id)
        decision = gate_decision(gate, request.received, moment)
        if decision == "run" and not store.claim_pass(request.tenant_id, request.received, moment, window):
            decision = "covered"  # another worker claimed the gate first, after this alert arrived
    finally:
        store.close()
    if decision == "covered":
        log.info("alert pass covered by a pass already run: tenant=%s", request.tenant_id)
        return "covered"
    if decision == "wait":
        assert gate is not None
        queue = _pass_queue(settings)
        try:
            queue.send(request, delay=gate.next_allowed - moment + timedelta(seconds=1))
        finally:
            queue.close()
        log.info("alert pass deferred until %s: tenant=%s", iso(gate.next_allowed), request.tenant_id)
        return "deferred"
    result = await run_configured_pass(now, environ)
    if request.tenant_id not in (CONFIGURED_TENANT, result.tenant.id):
        log.warning(
            "alert named tenant %s; the configured Graph is tenant %s", request.tenant_id, result.tenant.id
        )
    return "ran"


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

    Raises StoreError or AzureError when storage fails, so the host retries the batch; every write is
    keyed by what it records, so a retried batch stores what one clean delivery stores.
    """
    from monitor.ingest.errors import RejectedBody
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
    store = open_store(settings)
    try:
        tenants = tuple(store_batch(store, batch, now or utcnow(), settings))
    finally:
        store.close()
    log.info(
        "log events: received=%d ignored=%d malformed=%d tenants=%d",
        batch.received,
        batch.ignored,
        batch.malformed,
        len(tenants),
    )
    return LogIngest(batch, tenants)


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
