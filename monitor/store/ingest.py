"""State of event-driven ingestion: devices' own reports, and the gate that debounces alert passes.

| table         | PartitionKey | RowKey                      | read as                                   |
|---------------|--------------|-----------------------------|-------------------------------------------|
| devicereports | tenant id    | L_ device id                | the latest report of each device (range)  |
|               | tenant id    | H_ device id _ inverted ms  | every report of a device, newest first    |
| passgate      | tenant id    | "pass"                      | point read; written with its ETag         |
| ingestrejects | source       | digest of the batch         | what a batch refused, by time (`At`)      |

Every report is kept (`H_`); the `L_` row is replaced only by a report at least as new, so reports
that arrive out of order never make an older one the latest. The pass gate holds when the last
alert-driven pass began and when the next may; claiming it is a conditional write, so of several
workers racing for one tenant exactly one wins. What a batch of the log stream refused is kept with
its reasons (health and `monitor ingest-rejects` show it); a retried batch rewrites its own row.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any, Literal, Protocol

from azure.core import MatchConditions
from azure.core.exceptions import ResourceExistsError, ResourceModifiedError, ResourceNotFoundError
from azure.data.tables import UpdateMode

from monitor.records import DeviceReport
from monitor.store.account import TableAccount, guarded
from monitor.store.entities import from_entity, to_entity
from monitor.store.tables import safe_key


@dataclass(frozen=True)
class PassGate:
    """When the last alert-driven pass of a tenant began, and the earliest the next one may."""

    last_started: datetime
    next_allowed: datetime


GateDecision = Literal["run", "covered", "wait"]


def gate_decision(gate: PassGate | None, alert_received: datetime, now: datetime) -> GateDecision:
    """Whether an alert received at `alert_received` needs a pass now.

    `covered`: a pass began after the alert arrived, so it saw what the alert was about. `wait`: a
    pass ran too recently; the alert needs one once the gate opens. `run`: claim the gate and run.
    """
    if gate is None:
        return "run"
    if gate.last_started >= alert_received:
        return "covered"
    return "run" if now >= gate.next_allowed else "wait"


@dataclass(frozen=True)
class IngestRejects:
    """Records one delivery (an Event Hub batch) held that the monitor could not keep, and why."""

    source: str  # "log-stream"
    batch: str  # digest of the delivery, so a retried batch is one entry
    at: datetime
    received: int
    rejected: int
    reasons: tuple[str, ...]  # the first few, one line each

    def to_json(self) -> dict[str, Any]:
        return {
            "source": self.source,
            "batch": self.batch,
            "at": self.at.astimezone(UTC).isoformat().replace("+00:00", "Z"),
            "received": self.received,
            "rejected": self.rejected,
            "reasons": list(self.reasons),
        }


class IngestStore(Protocol):
    def save_device_report(self, report: DeviceReport) -> None: ...

    def latest_device_reports(self, tenant_id: str) -> list[DeviceReport]:
        """The newest report of each device of the tenant, by device ID."""
        ...

    def device_reports(self, tenant_id: str, intune_device_id: str) -> list[DeviceReport]:
        """Every report of one device, newest first."""
        ...

    def pass_gate(self, tenant_id: str) -> PassGate | None: ...

    def claim_pass(self, tenant_id: str, alert_received: datetime, now: datetime, window: timedelta) -> bool:
        """Open the gate for one pass starting `now` if it is this alert's turn; False if another
        worker claimed it first or a pass already covers the alert."""
        ...

    def save_rejects(self, rejects: IngestRejects) -> None: ...

    def rejects(self, since: datetime) -> list[IngestRejects]:
        """What deliveries since `since` refused, newest first."""
        ...

    def close(self) -> None: ...


class MemoryIngestStore:
    def __init__(self) -> None:
        self._reports: dict[str, dict[str, list[DeviceReport]]] = {}
        self._gates: dict[str, PassGate] = {}
        self._rejects: dict[tuple[str, str], IngestRejects] = {}

    def save_rejects(self, rejects: IngestRejects) -> None:
        self._rejects[(rejects.source, rejects.batch)] = rejects

    def rejects(self, since: datetime) -> list[IngestRejects]:
        found = [r for r in self._rejects.values() if r.at >= since]
        return sorted(found, key=lambda r: r.at, reverse=True)

    def save_device_report(self, report: DeviceReport) -> None:
        kept = self._reports.setdefault(report.tenant_id, {}).setdefault(report.intune_device_id, [])
        if report not in kept:
            kept.append(report)
            kept.sort(key=lambda r: r.at, reverse=True)

    def latest_device_reports(self, tenant_id: str) -> list[DeviceReport]:
        return [reports[0] for _, reports in sorted(self._reports.get(tenant_id, {}).items()) if reports]

    def device_reports(self, tenant_id: str, intune_device_id: str) -> list[DeviceReport]:
        return list(self._reports.get(tenant_id, {}).get(intune_device_id, []))

    def pass_gate(self, tenant_id: str) -> PassGate | None:
        return self._gates.get(tenant_id)

    def claim_pass(self, tenant_id: str, alert_received: datetime, now: datetime, window: timedelta) -> bool:
        if gate_decision(self._gates.get(tenant_id), alert_received, now) != "run":
            return False
        self._gates[tenant_id] = PassGate(now, now + window)
        return True

    def close(self) -> None:
        return None


_TABLES = ("devicereports", "passgate", "ingestrejects")
_GATE_ROW = "pass"


class TableIngestStore:
    def __init__(self, account: TableAccount) -> None:
        self._account = account
        self._tables = account.tables(_TABLES)

    def close(self) -> None:
        """Nothing to close: the table clients are the account's, shared with its other stores."""

    # -- device reports ------------------------------------------------------------------------

    @guarded("save device report", "devicereports")
    def save_device_report(self, report: DeviceReport) -> None:
        table = self._tables["devicereports"]
        device = safe_key(report.intune_device_id)
        inverted = f"{10**15 - int(report.at.timestamp() * 1000):015d}"
        table.upsert_entity(_report_entity(report, f"H_{device}_{inverted}"), mode=UpdateMode.REPLACE)
        latest = _report_entity(report, f"L_{device}")
        for _ in range(3):
            try:
                current = table.get_entity(report.tenant_id, f"L_{device}")
            except ResourceNotFoundError:
                try:
                    table.create_entity(latest)
                    return
                except ResourceExistsError:
                    continue  # another report of this device got there first: compare with it
            if _utc(current["At"]) > report.at:
                return  # a newer report is already the latest
            try:
                table.update_entity(
                    latest,
                    mode=UpdateMode.REPLACE,
                    etag=str(current.metadata["etag"]),
                    match_condition=MatchConditions.IfNotModified,
                )
                return
            except ResourceModifiedError:
                continue

    @guarded("read latest device reports", "devicereports")
    def latest_device_reports(self, tenant_id: str) -> list[DeviceReport]:
        rows = self._tables["devicereports"].query_entities(
            "PartitionKey eq @pk and RowKey ge 'L_' and RowKey lt 'L~'", parameters={"pk": tenant_id}
        )
        return [_report_record(e) for e in rows]

    @guarded("read device reports", "devicereports")
    def device_reports(self, tenant_id: str, intune_device_id: str) -> list[DeviceReport]:
        device = safe_key(intune_device_id)
        rows = self._tables["devicereports"].query_entities(
            "PartitionKey eq @pk and RowKey ge @lo and RowKey lt @hi",
            parameters={"pk": tenant_id, "lo": f"H_{device}_", "hi": f"H_{device}_~"},
        )
        return [_report_record(e) for e in rows]

    # -- what ingestion refused -----------------------------------------------------------------

    @guarded("save ingestion rejects", "ingestrejects")
    def save_rejects(self, rejects: IngestRejects) -> None:
        entity = to_entity(rejects, rejects.source, safe_key(rejects.batch))
        self._tables["ingestrejects"].upsert_entity(entity, mode=UpdateMode.REPLACE)

    @guarded("read ingestion rejects", "ingestrejects")
    def rejects(self, since: datetime) -> list[IngestRejects]:
        rows = self._tables["ingestrejects"].query_entities("At ge @since", parameters={"since": since})
        return sorted((from_entity(IngestRejects, e) for e in rows), key=lambda r: r.at, reverse=True)

    # -- pass gate -----------------------------------------------------------------------------

    def _gate_entity(self, tenant_id: str) -> tuple[PassGate, str] | None:
        try:
            entity = self._tables["passgate"].get_entity(tenant_id, _GATE_ROW)
        except ResourceNotFoundError:
            return None
        return from_entity(PassGate, entity), str(entity.metadata["etag"])

    @guarded("read pass gate", "passgate")
    def pass_gate(self, tenant_id: str) -> PassGate | None:
        found = self._gate_entity(tenant_id)
        return found[0] if found else None

    @guarded("claim pass gate", "passgate")
    def claim_pass(self, tenant_id: str, alert_received: datetime, now: datetime, window: timedelta) -> bool:
        found = self._gate_entity(tenant_id)
        if gate_decision(found[0] if found else None, alert_received, now) != "run":
            return False
        entity = to_entity(PassGate(now, now + window), tenant_id, _GATE_ROW)
        table = self._tables["passgate"]
        try:
            if found is None:
                table.create_entity(entity)
            else:
                table.update_entity(
                    entity,
                    mode=UpdateMode.REPLACE,
                    etag=found[1],
                    match_condition=MatchConditions.IfNotModified,
                )
        except (ResourceExistsError, ResourceModifiedError):
            return False  # another worker claimed the gate between our read and write
        return True


def open_table_ingest_store(
    connection_string: str = "", endpoint: str = "", prefix: str = "pinmon"
) -> TableIngestStore:
    """The ingest store over the process's account for this storage (see TableAccount.shared)."""
    return TableAccount.shared(connection_string, endpoint, prefix).ingest()


def _utc(value: Any) -> datetime:
    assert isinstance(value, datetime), value
    return datetime.fromtimestamp(value.timestamp(), UTC)


def _report_entity(report: DeviceReport, row: str) -> dict[str, Any]:
    # `At` (collected, else received) is what the latest row is compared by.
    return to_entity(report, report.tenant_id, row) | {"At": report.at}


def _report_record(entity: Mapping[str, Any]) -> DeviceReport:
    return from_entity(DeviceReport, entity)
