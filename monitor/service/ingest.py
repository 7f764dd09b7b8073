"""Event-driven ingestion (docs/ingest.md): device reports, Azure Monitor alerts that queue a pass, and
the Entra log stream."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any

from monitor.records import utcnow
from monitor.service.answer import Answer, refused
from monitor.service.passes import NO_QUEUE, known_tenant_name, precise_now

if TYPE_CHECKING:
    from monitor.ingest.resource_logs import LogBatch
    from monitor.ingest.stream import TenantIngest
    from monitor.service.runtime import Runtime

log = logging.getLogger(__name__)


def receive_device_report(
    runtime: Runtime,
    headers: Mapping[str, str],
    params: Mapping[str, str],
    body: bytes,
    now: datetime | None = None,
) -> Answer:
    """POST /api/device-reports: the key (401/403), then what `monitor ingest-device-report` does."""
    from monitor.ingest.routes import check_key

    return check_key(headers, params, runtime.settings) or store_device_report(runtime, headers, body, now)


def store_device_report(
    runtime: Runtime, headers: Mapping[str, str], body: bytes, now: datetime | None = None
) -> Answer:
    """Check one dsregcmd report and store it (`monitor ingest-device-report FILE` needs no key)."""
    from monitor.ingest.device_reports import device_report, report_json
    from monitor.ingest.errors import RejectedBody
    from monitor.ingest.routes import check_body

    checked = check_body(headers, body, runtime.settings, "device-report")
    if isinstance(checked, Answer):
        return checked
    try:
        report = device_report(checked.document, now or utcnow())
    except RejectedBody as exc:
        return refused(400, str(exc))
    runtime.ingest.save_device_report(report)
    log.info("device report stored: device=%s canReset=%s", report.intune_device_id, report.can_reset)
    return Answer(202, {"stored": report_json(report)})


def receive_azure_monitor_alert(
    runtime: Runtime,
    headers: Mapping[str, str],
    params: Mapping[str, str],
    body: bytes,
    now: datetime | None = None,
) -> Answer:
    """POST /api/azure-monitor-alerts: the key (401/403), then what `monitor queue-alert` does."""
    from monitor.ingest.routes import check_key

    return check_key(headers, params, runtime.settings) or queue_alert(runtime, headers, body, now)


def queue_alert(
    runtime: Runtime, headers: Mapping[str, str], body: bytes, now: datetime | None = None
) -> Answer:
    """A fired alert queues a pass for its tenant and is answered at once (`monitor queue-alert FILE`)."""
    from monitor.ingest.alerts import pass_request
    from monitor.ingest.routes import check_body

    checked = check_body(headers, body, runtime.settings, "azure-monitor-alert")
    if isinstance(checked, Answer):
        return checked
    request = pass_request(checked.document, now or precise_now())
    if request is None:
        return Answer(202, {"queued": False, "reason": "the alert is resolved; no pass needed"})
    if not runtime.settings.has_queue:
        return refused(503, NO_QUEUE, "configuration")
    runtime.pass_queue.send(request)
    log.info("pass queued: tenant=%s alertRule=%s", request.tenant_id, request.alert_rule)
    return Answer(202, {"queued": True, "request": request.to_json()})


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
    runtime: Runtime, bodies: Sequence[bytes | str], now: datetime | None = None
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
    tenants = tuple(store_batch(runtime.state, batch, moment, runtime.settings))
    for done in tenants:
        if done.changes.opened or done.changes.resolved:
            # The findings the stream opened get their alerts now, not at the next timer. Teams and
            # webhooks are sent here; Graph email waits for a pass (no Graph session in this one).
            asyncio.run(_stream_alerts(runtime, done.tenant_id, moment))
    if batch.malformed:
        keep_rejects(runtime.ingest, bodies, batch, utcnow())  # when it arrived, not the rules' clock
    log.info(
        "log events: received=%d ignored=%d malformed=%d tenants=%d",
        batch.received,
        batch.ignored,
        batch.malformed,
        len(tenants),
    )
    return LogIngest(batch, tenants)


async def _stream_alerts(runtime: Runtime, tenant_id: str, now: datetime) -> None:
    from monitor.alerts.process import process_alerts
    from monitor.records import Tenant

    state = runtime.state
    tenant = Tenant(tenant_id, known_tenant_name(state, tenant_id))
    findings = state.findings(tenant_id)
    await process_alerts(runtime.alerts, findings, tenant, now, runtime.settings.alerts, None)


def ingest_rejects(runtime: Runtime, since: datetime) -> list[dict[str, Any]]:
    """`monitor ingest-rejects`: what the log stream refused since `since`, newest first."""
    from monitor.ingest.rejects import listed

    return listed(runtime.ingest, since)
