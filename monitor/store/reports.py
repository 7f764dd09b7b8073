"""What the reports keep: weekly snapshots (each compared with the one before it) and each pass's
recovery chain (the SOC view shows them beside the TAP sign-ins).

| table           | PartitionKey | RowKey                       | read as                                |
|-----------------|--------------|------------------------------|----------------------------------------|
| weeklysnapshots | tenant id    | yyyymmddTHHMMSS _ part (000) | the tenant's partition, newest first   |
| taprecoveries   | tenant id    | issuance audit id            | the tenant's partition                 |

A snapshot is JSON of any size: compressed (zlib, then base64) and cut into parts of MAX_TEXT characters,
one entity each. Part 000 is written last and names the write's version; a reader joins only parts of
that version, so it never sees half a snapshot or halves of two. Writing the same week again replaces it.
"""

from __future__ import annotations

import base64
import logging
import uuid
import zlib
from collections import defaultdict
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, ParamSpec, Protocol, TypeVar

import orjson
from azure.data.tables import TableTransactionError, UpdateMode

from monitor.store.account import StoreError, TableAccount, guarded
from monitor.store.entities import MAX_TEXT
from monitor.store.tables import BATCH, safe_key

JSON = Mapping[str, Any]
log = logging.getLogger(__name__)
P = ParamSpec("P")
R = TypeVar("R")


@dataclass(frozen=True)
class StoredSnapshot:
    tenant_id: str
    period_end: datetime
    document: JSON


class ReportStore(Protocol):
    def save_snapshot(self, tenant_id: str, period_end: datetime, document: JSON) -> None: ...

    def snapshots(
        self, tenant_id: str, before: datetime | None = None, limit: int = 10
    ) -> list[StoredSnapshot]:
        """Snapshots whose period ended before `before` (all when None), newest first."""
        ...

    def save_recoveries(self, tenant_id: str, chains: Mapping[str, JSON]) -> None:
        """Upsert recovery chains by their issuance's audit id: a later pass's view replaces an earlier."""
        ...

    def recoveries(self, tenant_id: str) -> dict[str, JSON]: ...

    def close(self) -> None: ...


class MemoryReportStore:
    def __init__(self) -> None:
        self._snapshots: dict[str, dict[datetime, JSON]] = defaultdict(dict)
        self._recoveries: dict[str, dict[str, JSON]] = defaultdict(dict)

    def save_snapshot(self, tenant_id: str, period_end: datetime, document: JSON) -> None:
        # Kept as its JSON text, as Table Storage keeps it: what is read back is what a table gives.
        self._snapshots[tenant_id][period_end] = orjson.loads(orjson.dumps(document))

    def snapshots(
        self, tenant_id: str, before: datetime | None = None, limit: int = 10
    ) -> list[StoredSnapshot]:
        kept = self._snapshots.get(tenant_id, {})
        ends = sorted((end for end in kept if before is None or end < before), reverse=True)[:limit]
        return [StoredSnapshot(tenant_id, end, kept[end]) for end in ends]

    def save_recoveries(self, tenant_id: str, chains: Mapping[str, JSON]) -> None:
        for audit_id, chain in chains.items():
            self._recoveries[tenant_id][audit_id] = orjson.loads(orjson.dumps(chain))

    def recoveries(self, tenant_id: str) -> dict[str, JSON]:
        return dict(self._recoveries.get(tenant_id, {}))

    def close(self) -> None:
        return None


def _second_key(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y%m%dT%H%M%S")


class TableReportStore:
    TABLES = ("weeklysnapshots", "taprecoveries")

    def __init__(self, account: TableAccount) -> None:
        self._account = account
        self._tables = account.tables(self.TABLES)

    def close(self) -> None:
        """Nothing to close: the table clients are the account's, shared with its other stores."""

    @guarded("save weekly snapshot", "weeklysnapshots")
    def save_snapshot(self, tenant_id: str, period_end: datetime, document: JSON) -> None:
        text = base64.b64encode(zlib.compress(orjson.dumps(document), 6)).decode()
        parts = [text[i : i + MAX_TEXT] for i in range(0, len(text), MAX_TEXT)] or [""]
        stamp = _second_key(period_end)
        # Every part carries the write's version; part 000, written last, says which version and how many
        # parts make the snapshot. A reader that finds parts of another version skips the snapshot rather
        # than join halves of two writes.
        version = uuid.uuid4().hex
        table = self._tables["weeklysnapshots"]
        stale = [
            e["RowKey"]
            for e in table.query_entities(
                "PartitionKey eq @pk and RowKey ge @lo and RowKey lt @hi",
                parameters={"pk": tenant_id, "lo": f"{stamp}_", "hi": f"{stamp}_~"},
                select=["RowKey"],
            )
            if int(e["RowKey"].rsplit("_", 1)[1]) >= len(parts)
        ]

        def upsert(n: int) -> Any:
            entity = {
                "PartitionKey": tenant_id,
                "RowKey": f"{stamp}_{n:03d}",
                "PeriodEnd": period_end,
                "Part": n,
                "Parts": len(parts),
                "Version": version,
                "Encoding": "zlib+base64",
                "Text": parts[n],
            }
            return ("upsert", entity, {"mode": UpdateMode.REPLACE})

        rest = [upsert(n) for n in range(1, len(parts))]
        batches = [rest[i : i + BATCH] for i in range(0, len(rest), BATCH)]
        batches.append([upsert(0)])
        deletes = [("delete", {"PartitionKey": tenant_id, "RowKey": row}) for row in stale]
        batches += [deletes[i : i + BATCH] for i in range(0, len(deletes), BATCH)]
        for batch in batches:
            try:
                table.submit_transaction(batch)
            except TableTransactionError as exc:
                said = exc.message.splitlines()[0] if exc.message else ""
                raise StoreError(
                    f"table {table.table_name}: weekly snapshot {stamp} not stored ({said})",
                    table=table.table_name,
                    operation="save weekly snapshot",
                ) from exc

    @guarded("read weekly snapshots", "weeklysnapshots")
    def snapshots(
        self, tenant_id: str, before: datetime | None = None, limit: int = 10
    ) -> list[StoredSnapshot]:
        query, parameters = "PartitionKey eq @pk", {"pk": tenant_id}
        if before is not None:
            query += " and RowKey lt @hi"
            parameters["hi"] = f"{_second_key(before)}_"
        parts: dict[str, dict[int, tuple[str, str]]] = defaultdict(dict)
        heads: dict[str, Any] = {}
        for entity in self._tables["weeklysnapshots"].query_entities(query, parameters=parameters):
            stamp = entity["RowKey"].rsplit("_", 1)[0]
            part = int(entity["Part"])
            parts[stamp][part] = (str(entity.get("Version", "")), entity["Text"])
            if part == 0:
                heads[stamp] = entity
        found = []
        for stamp in sorted(heads, reverse=True):
            head = heads[stamp]
            version, count = str(head.get("Version", "")), int(head["Parts"])
            pieces = [parts[stamp].get(n) for n in range(count)]
            if any(piece is None or piece[0] != version for piece in pieces):
                log.warning("weekly snapshot %s of tenant %s is being rewritten; skipped", stamp, tenant_id)
                continue
            text = zlib.decompress(base64.b64decode("".join(piece[1] for piece in pieces if piece)))
            end = datetime.fromtimestamp(head["PeriodEnd"].timestamp(), UTC)
            found.append(StoredSnapshot(tenant_id, end, orjson.loads(text)))
            if len(found) == limit:
                break
        return found

    @guarded("save recovery chains", "taprecoveries")
    def save_recoveries(self, tenant_id: str, chains: Mapping[str, JSON]) -> None:
        rows = [
            (
                "upsert",
                {
                    "PartitionKey": tenant_id,
                    "RowKey": safe_key(audit_id),
                    "AuditId": audit_id,
                    "Chain": _text(chain),
                },
                {"mode": UpdateMode.REPLACE},
            )
            for audit_id, chain in chains.items()
        ]
        table = self._tables["taprecoveries"]
        for start in range(0, len(rows), BATCH):
            try:
                table.submit_transaction(rows[start : start + BATCH])
            except TableTransactionError as exc:
                said = exc.message.splitlines()[0] if exc.message else ""
                raise StoreError(
                    f"table {table.table_name}: recovery chains not stored ({said})",
                    table=table.table_name,
                    operation="save recovery chains",
                ) from exc

    @guarded("read recovery chains", "taprecoveries")
    def recoveries(self, tenant_id: str) -> dict[str, JSON]:
        found = self._tables["taprecoveries"].query_entities(
            "PartitionKey eq @pk", parameters={"pk": tenant_id}
        )
        return {e["AuditId"]: orjson.loads(e["Chain"]) for e in found}


def _text(chain: JSON) -> str:
    text = orjson.dumps(chain).decode()
    if len(text) > MAX_TEXT:
        # A chain holds a handful of audits; only a flood of them gets here. Keep its stage and steps'
        # counts rather than refuse the write.
        short = {k: chain[k] for k in ("stage", "issued", "signedIn") if k in chain}
        text = orjson.dumps(short | {"truncated": True}).decode()
    return text
