"""The monitoring pass, as the timer runs it (`monitor run`), and the pass an Azure Monitor alert asks
for on the Storage Queue (the queue trigger, `monitor run-queued-passes`)."""

from __future__ import annotations

import logging
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any, Literal

from monitor.records import iso, utcnow
from monitor.settings import SettingsError
from monitor.store.base import StoreError

if TYPE_CHECKING:
    from monitor.alerts.process import AlertPass
    from monitor.graph.session import GraphSession
    from monitor.pipeline import PassResult
    from monitor.service.runtime import Runtime
    from monitor.store.base import StateStore
    from monitor.store.reports import ReportStore

log = logging.getLogger(__name__)


async def run_configured_pass(runtime: Runtime, now: datetime | None = None) -> PassResult:
    """One pass against the configured Graph and Table Storage, then its alert step: what the timer
    trigger runs."""
    return await one_pass(runtime, now, alerts=True)


async def one_pass(runtime: Runtime, now: datetime | None, alerts: bool = False) -> PassResult:
    """Read Graph, evaluate the rules, record the findings (and, with `alerts`, alert on them)."""
    from monitor import telemetry
    from monitor.pipeline import run_pass

    settings = runtime.settings
    telemetry.configure(settings)
    try:
        async with runtime.graph() as graph:
            result = await run_pass(graph, runtime.state, settings, now or utcnow(), runtime.ingest)
            if alerts:
                await alert_step(runtime, result, graph)
        if settings.has_storage:
            keep_recoveries(runtime.reports, result)
        if settings.has_storage and settings.soc.sentinel_on:
            sentinel_step(runtime, result)
        return result
    finally:
        telemetry.flush()


async def alert_step(runtime: Runtime, result: PassResult, graph: GraphSession | None) -> AlertPass:
    """Reconcile the stored findings ledger with the alerts and deliver what is due (docs/alerts.md).

    It reads the ledger rather than this pass's changes, so a pass that died after writing its
    findings is caught up here."""
    from monitor.alerts.process import process_alerts
    from monitor.soc.service import late_review_findings

    findings = runtime.state.findings(result.tenant.id)
    findings += late_review_findings(runtime, result.tenant.id, result.now)
    if runtime.tenant_record is not None:  # a customer tenant: its quarantine's alert, if it had one
        from monitor.service.fanout import quarantine_findings

        app_id = runtime.settings.msp.app_id
        findings += quarantine_findings(runtime.tenant_record, result.now, app_id)
    return await process_alerts(
        runtime.alerts, findings, result.tenant, result.now, runtime.settings.alerts, graph
    )


def sentinel_step(runtime: Runtime, result: PassResult) -> None:
    """Ship the pass's TAP sign-ins and findings to Log Analytics (docs/soc.md). A failed upload is
    logged and left for the next pass, which sends what is still not uploaded."""
    from azure.core.exceptions import AzureError

    from monitor.soc.sentinel import UploadError
    from monitor.soc.service import ship_pass

    try:
        ship_pass(runtime, result.tenant.id, result.now)
    except (UploadError, StoreError, AzureError) as exc:
        log.warning("sentinel: upload failed, the next pass retries: %s", exc)


def keep_recoveries(reports: ReportStore, result: PassResult) -> None:
    """Store the pass's recovery chains, which the SOC view shows beside the TAP sign-ins."""
    chains = {c.issuance.audit_id: c.to_json() for c in result.recoveries}
    if chains:
        reports.save_recoveries(result.tenant.id, chains)


def known_tenant_name(store: StateStore, tenant_id: str) -> str:
    """Log records carry the tenant's ID only; its name is the one its last passes read from Graph."""
    return next(
        (str(r.summary["tenantName"]) for r in store.runs(tenant_id) if r.summary.get("tenantName")), ""
    )


# -- passes an alert asked for (docs/ingest.md) -------------------------------------------------------

NO_QUEUE = (
    "no pass queue: the Function app's storage (AzureWebJobsStorage__queueServiceUri or __accountName) "
    "or a storage connection string with a QueueEndpoint"
)

PassOutcome = Literal["ran", "covered", "deferred", "rejected"]

_TICK = timedelta(microseconds=1)


def precise_now() -> datetime:
    """The time to the microsecond: whether a pass began before or after an alert is decided by it."""
    return datetime.now(UTC)


async def run_requested_pass(
    runtime: Runtime, message: bytes | str, now: datetime | None = None
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
    from monitor.store.ingest import gate_decision
    from monitor.store.pass_queue import PassRequest

    try:
        request = PassRequest.from_json(message)
    except RejectedBody as exc:
        # Retrying cannot fix a message this monitor did not write; drop it with the reason.
        log.warning("queued pass request dropped: %s", exc)
        return "rejected"
    gate_key = _gate_key(runtime, request.tenant_id)
    if gate_key is None:
        log.warning(
            "queued pass request dropped: alert %s names tenant %s, which this deployment does not monitor",
            request.alert_rule[:100],
            request.tenant_id,
        )
        return "rejected"
    window = timedelta(seconds=runtime.settings.pass_debounce_seconds)
    store = runtime.ingest
    moment = precise_now()
    gate = store.pass_gate(gate_key)
    decision = gate_decision(gate, request.received, moment)
    if decision == "run" and not store.claim_pass(gate_key, request.received, moment, window):
        decision = "covered"  # another worker claimed the gate first, after this alert arrived
    if decision == "covered":
        log.info("alert pass covered by a pass already run: tenant=%s", gate_key)
        return "covered"
    if decision == "wait":
        assert gate is not None
        _requeue(runtime, request, gate.next_allowed - moment + timedelta(seconds=1))
        log.info("alert pass deferred until %s: tenant=%s", iso(gate.next_allowed), gate_key)
        return "deferred"
    result = await run_configured_pass(runtime, now)
    if result.outcome == "skipped":
        # Another pass held the tenant: it may have begun before the alert, so a later one must run.
        # The request is put back as if it arrived now, so only a pass that begins after now covers it.
        _requeue(runtime, replace(request, received=moment + _TICK), window + timedelta(seconds=1))
        log.info("alert pass skipped (another pass holds the tenant); put back: tenant=%s", gate_key)
        return "deferred"
    if request.tenant_id not in (gate_key, result.tenant.id):  # named before the tenant was known
        log.warning(
            "alert named tenant %s; the configured Graph is tenant %s", request.tenant_id, result.tenant.id
        )
    return "ran"


def _gate_key(runtime: Runtime, tenant_id: str) -> str | None:
    """The gate an alert's pass is under: the deployment's one tenant (the one its recorded passes are
    for, keyed CONFIGURED_TENANT), whether the alert named it or none; None for a tenant this deployment
    does not monitor. Before any pass is recorded the tenant is not known yet, and every alert waits for
    the same first pass."""
    from monitor.store.pass_queue import CONFIGURED_TENANT

    if tenant_id == CONFIGURED_TENANT:
        return CONFIGURED_TENANT
    monitored = {run.tenant_id.lower() for run in runtime.state.latest_runs()}
    return CONFIGURED_TENANT if not monitored or tenant_id in monitored else None


def _requeue(runtime: Runtime, request: Any, delay: timedelta) -> None:
    runtime.pass_queue.send(request, delay=delay)


async def run_queued_passes(runtime: Runtime, now: datetime | None = None) -> list[PassOutcome]:
    """`monitor run-queued-passes`: what the queue trigger does, for each message waiting now
    (locally, where no Functions host reads the queue)."""
    if not runtime.settings.has_queue:
        raise SettingsError([NO_QUEUE])
    messages = runtime.pass_queue.receive_all()
    return [await run_requested_pass(runtime, message, now) for message in messages]
