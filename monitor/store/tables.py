"""State in Azure Table Storage (Azurite locally), through azure-data-tables.

Tables and keys, chosen for the queries the monitor makes:

| table       | PartitionKey         | RowKey                  | read as                              |
|-------------|----------------------|-------------------------|--------------------------------------|
| checkpoints | tenant id            | stream name             | point read per stream                |
| signins     | tenant id _ yyyymmdd | sign-in id              | a day's PIN reset sign-ins (reports) |
| signinhours | tenant id            | yyyymmddTHH_app_code    | RowKey range = a time window         |
| consent     | tenant id            | appId                   | the tenant's partition               |
| findings    | tenant id            | rule _ subject          | the tenant's partition               |
| inventory   | tenant id            | kind _ key              | RowKey range = one kind (devices...) |
| tapissuances| tenant id            | audit id                | the tenant's partition, by time      |
| tapsignins  | tenant id            | yyyymmddTHHMMSS_id      | RowKey range = a time window         |
| tapsigninhours | tenant id         | yyyymmddTHH             | the TAP sign-ins of an hour, counted |
| runs        | tenant id            | inverted ms _ run id    | newest first: the partition's top    |
|             | "latest"             | tenant id               | health: every tenant's last run      |
| leases      | tenant id            | "pass"                  | one pass per tenant at a time (ETag) |
| unusable    | tenant id            | stream _ item id        | RowKey range = one stream            |

Writes are upserts keyed by what they record (a sign-in's id, an hour), so doing a write twice stores
what doing it once stores; they go in entity group transactions of up to 100 operations per partition.
Findings are written with ETags: a pass that races another gets ResourceModifiedError, re-reads the
entry and applies its change again.
"""

from __future__ import annotations

import contextlib
import logging
from collections import defaultdict
from collections.abc import Iterable, Iterator, Mapping, Sequence
from datetime import UTC, datetime, timedelta
from typing import Any

from azure.core import MatchConditions
from azure.core.exceptions import (
    ResourceExistsError,
    ResourceModifiedError,
    ResourceNotFoundError,
)
from azure.data.tables import TableClient, TableTransactionError, UpdateMode

from monitor.records import (
    ConsentState,
    PinResetSignIn,
    SignInHour,
    TapIssuance,
    TapSignIn,
    UnusableItem,
)
from monitor.rules.base import RuleResult
from monitor.store.account import TableAccount, guarded
from monitor.store.base import (
    FindingChanges,
    FindingKey,
    InventoryChanges,
    InventoryItem,
    Lease,
    RunRecord,
    StoreConfigError,
    StoredConsent,
    StoredFinding,
    StoreError,
    inventory_updates,
    next_finding,
    planned_findings,
    sort_changes,
)
from monitor.store.entities import Layout, from_entity, to_entity
from monitor.store.pages import query_filter, query_rows

log = logging.getLogger(__name__)

BATCH = 100  # the most operations an entity group transaction takes
CONFLICT_RETRIES = 3
_TABLES = (
    "checkpoints",
    "signins",
    "signinhours",
    "consent",
    "findings",
    "runs",
    "inventory",
    "tapissuances",
    "tapsignins",
    "tapsigninhours",
    "leases",
    "unusable",
)

__all__ = ["StoreConfigError", "StoreError", "TableStore", "open_table_store", "safe_key"]


def safe_key(value: str) -> str:
    """A key Table Storage accepts: '/', '\\', '#', '?' and control characters are percent-escaped."""
    return "".join(
        f"%{ord(c):02X}" if c in "/\\#?%" or ord(c) < 0x20 or 0x7F <= ord(c) <= 0x9F else c for c in value
    )


def _hour_key(hour: datetime) -> str:
    return hour.astimezone(UTC).strftime("%Y%m%dT%H")


def _utc(value: Any) -> datetime:
    assert isinstance(value, datetime), value
    return datetime.fromtimestamp(value.timestamp(), UTC)


def _utc_text(value: Any) -> datetime:
    """A time as a page read without the SDK gives it (ISO 8601 text), as the records keep it."""
    moment = datetime.fromisoformat(value) if isinstance(value, str) else value
    return _utc(moment)


def open_table_store(connection_string: str = "", endpoint: str = "", prefix: str = "pinmon") -> TableStore:
    """The state store over the process's account for this storage (see TableAccount.shared). Raises
    StoreConfigError for a connection string the SDK cannot parse, StoreError when the service cannot
    be reached to create the tables."""
    return TableAccount.shared(connection_string, endpoint, prefix).state()


class TableStore:
    def __init__(self, account: TableAccount) -> None:
        self._account = account
        self._prefix = account.prefix
        self._tables: dict[str, TableClient] = account.tables(_TABLES)

    def close(self) -> None:
        """Nothing to close: the table clients are the account's, shared with its other stores."""

    # -- helpers -------------------------------------------------------------------------------

    def _submit(self, table: str, operations: Iterable[tuple[str, Mapping[str, Any]]]) -> None:
        """Run operations grouped by partition, BATCH at a time."""
        by_partition: dict[str, list[tuple[str, Mapping[str, Any]]]] = defaultdict(list)
        for operation in operations:
            by_partition[str(operation[1]["PartitionKey"])].append(operation)
        client = self._tables[table]
        for partition, ops in by_partition.items():
            for start in range(0, len(ops), BATCH):
                chunk = [
                    (kind, entity, {"mode": UpdateMode.REPLACE}) if kind == "upsert" else (kind, entity)
                    for kind, entity in ops[start : start + BATCH]
                ]
                try:
                    client.submit_transaction(chunk)
                except TableTransactionError as exc:
                    said = exc.message.splitlines()[0] if exc.message else ""
                    raise StoreError(
                        f"table {client.table_name}, partition {partition}: transaction of {len(chunk)} "
                        f"operations refused ({said})",
                        table=client.table_name,
                        operation="transaction",
                    ) from exc

    def _query(self, table: str, query: str, **parameters: Any) -> Iterator[Any]:
        return iter(self._tables[table].query_entities(query, parameters=parameters))

    # -- checkpoints ---------------------------------------------------------------------------

    @guarded("read checkpoint", "checkpoints")
    def checkpoint(self, tenant_id: str, stream: str) -> datetime | None:
        try:
            entity = self._tables["checkpoints"].get_entity(tenant_id, safe_key(stream))
        except ResourceNotFoundError:
            return None
        return _utc(entity["At"])

    @guarded("save checkpoint", "checkpoints")
    def save_checkpoint(self, tenant_id: str, stream: str, at: datetime) -> None:
        self._tables["checkpoints"].upsert_entity(
            {"PartitionKey": tenant_id, "RowKey": safe_key(stream), "At": at}, mode=UpdateMode.REPLACE
        )

    # -- PIN reset sign-ins --------------------------------------------------------------------

    @guarded("save sign-ins", "signins")
    def save_pin_reset_signins(self, tenant_id: str, signins: Sequence[PinResetSignIn]) -> None:
        self._submit("signins", (("upsert", _signin_entity(tenant_id, s)) for s in signins))

    @guarded("read sign-ins", "signins")
    def pin_reset_signins(self, tenant_id: str, start: datetime, end: datetime) -> list[PinResetSignIn]:
        found: list[PinResetSignIn] = []
        day = start.astimezone(UTC).date()
        while day <= end.astimezone(UTC).date():
            partition = f"{tenant_id}_{day:%Y%m%d}"
            found.extend(
                s
                for s in (
                    from_entity(PinResetSignIn, e)
                    for e in self._query("signins", "PartitionKey eq @pk", pk=partition)
                )
                if start <= s.created <= end
            )
            day = day.fromordinal(day.toordinal() + 1)
        return sorted(found, key=lambda s: (s.created, s.id))

    # -- hourly counts -------------------------------------------------------------------------

    @guarded("replace hourly counts", "signinhours")
    def replace_signin_hours(
        self, tenant_id: str, start: datetime, end: datetime, hours: Sequence[SignInHour]
    ) -> None:
        new = {_hour_row(h): h for h in hours}
        for attempt in range(CONFLICT_RETRIES):
            stale = [
                e["RowKey"]
                for e in self._hour_rows(tenant_id, start, end, select=["RowKey"])
                if e["RowKey"] not in new
            ]
            operations: list[tuple[str, Mapping[str, Any]]] = [
                ("delete", {"PartitionKey": tenant_id, "RowKey": row}) for row in stale
            ]
            operations += [("upsert", to_entity(h, tenant_id, row)) for row, h in new.items()]
            try:
                self._submit("signinhours", operations)
                return
            except StoreError as exc:
                # A delete of a row another pass removed first fails the transaction: read again.
                if attempt == CONFLICT_RETRIES - 1:
                    raise
                log.warning("replacing sign-in hours conflicted, retrying: %s", exc)

    def _hour_rows(
        self, tenant_id: str, start: datetime, end: datetime, select: list[str] | None = None
    ) -> Iterator[dict[str, Any]]:
        return query_rows(
            self._tables["signinhours"],
            query_filter(
                "PartitionKey eq @pk and RowKey ge @lo and RowKey lt @hi",
                pk=tenant_id,
                lo=_hour_key(start),
                hi=_hour_key(end) + "~",
            ),
            select=select,
        )

    @guarded("read hourly counts", "signinhours")
    def signin_hours(self, tenant_id: str, start: datetime, end: datetime) -> tuple[SignInHour, ...]:
        hours = (from_entity(SignInHour, e) for e in self._hour_rows(tenant_id, start, end))
        return tuple(
            sorted(
                (h for h in hours if start <= h.hour < end), key=lambda h: (h.hour, h.app_id, h.error_code)
            )
        )

    # -- consent -------------------------------------------------------------------------------

    @guarded("save consent", "consent")
    def save_consent(self, tenant_id: str, states: Mapping[str, ConsentState], at: datetime) -> None:
        before = self.consent(tenant_id)
        stored = (StoredConsent.of(state, at, before.get(app_id)) for app_id, state in states.items())
        self._submit("consent", (("upsert", to_entity(c, tenant_id, c.app_id)) for c in stored))

    @guarded("read consent", "consent")
    def consent(self, tenant_id: str) -> dict[str, StoredConsent]:
        found = (
            from_entity(StoredConsent, e) for e in self._query("consent", "PartitionKey eq @pk", pk=tenant_id)
        )
        return {c.app_id: c for c in found}

    # -- unusable items -------------------------------------------------------------------------

    @guarded("save unusable items", "unusable")
    def save_unusable(self, tenant_id: str, items: Sequence[UnusableItem]) -> None:
        unique = {(i.stream, i.item_id): i for i in items}.values()
        self._submit(
            "unusable",
            (("upsert", to_entity(i, tenant_id, safe_key(f"{i.stream}_{i.item_id}"))) for i in unique),
        )

    @guarded("read unusable items", "unusable")
    def unusable(self, tenant_id: str, stream: str, since: datetime) -> list[UnusableItem]:
        found = self._tables["unusable"].query_entities(
            "PartitionKey eq @pk and RowKey ge @lo and RowKey lt @hi",
            parameters={"pk": tenant_id, "lo": f"{safe_key(stream)}_", "hi": f"{safe_key(stream)}_~"},
        )
        items = (from_entity(UnusableItem, e) for e in found)
        return sorted(
            (i for i in items if i.stream == stream and (i.created or i.seen) >= since),
            key=lambda i: (i.seen, i.item_id),
        )

    # -- inventory ------------------------------------------------------------------------------

    @guarded("save inventory", "inventory")
    def save_inventory(
        self, tenant_id: str, kind: str, items: Mapping[str, Mapping[str, Any]], at: datetime
    ) -> InventoryChanges:
        writes, changes = inventory_updates(kind, self.inventory(tenant_id, kind), items, at)
        self._submit("inventory", (("upsert", _inventory_entity(tenant_id, item)) for item in writes))
        return changes

    @guarded("read inventory", "inventory")
    def inventory(self, tenant_id: str, kind: str) -> dict[str, InventoryItem]:
        found = query_rows(
            self._tables["inventory"],
            query_filter(
                "PartitionKey eq @pk and RowKey ge @lo and RowKey lt @hi",
                pk=tenant_id,
                lo=f"{kind}_",
                hi=f"{kind}_~",
            ),
        )
        items = (from_entity(InventoryItem, e) for e in found)
        return {item.key: item for item in items if item.kind == kind}

    # -- Temporary Access Pass -----------------------------------------------------------------

    @guarded("save TAP issuances", "tapissuances")
    def save_tap_issuances(self, tenant_id: str, issuances: Sequence[TapIssuance]) -> None:
        self._submit(
            "tapissuances", (("upsert", to_entity(i, tenant_id, safe_key(i.audit_id))) for i in issuances)
        )

    @guarded("read TAP issuances", "tapissuances")
    def tap_issuances(self, tenant_id: str, since: datetime) -> list[TapIssuance]:
        found = query_rows(
            self._tables["tapissuances"],
            query_filter("PartitionKey eq @pk and IssuedAt ge @since", pk=tenant_id, since=since),
        )
        return sorted((from_entity(TapIssuance, e) for e in found), key=lambda i: (i.issued_at, i.audit_id))

    @guarded("save TAP sign-ins", "tapsignins")
    def save_tap_signins(self, tenant_id: str, signins: Sequence[TapSignIn]) -> None:
        # The hours written to are marked uncounted first and counted again after: a pass that dies
        # in between leaves them uncounted (counted by key when read), never a count that is short.
        hours = sorted({_hour_start(s.created) for s in signins})
        self._save_hour_counts(tenant_id, dict.fromkeys(hours, UNCOUNTED))
        self._submit("tapsignins", (("upsert", _tap_signin_entity(tenant_id, s)) for s in signins))
        if hours:
            end = hours[-1] + HOUR - timedelta(microseconds=1)
            self._save_hour_counts(tenant_id, self._count_by_hour(tenant_id, hours[0], end, hours))

    def _save_hour_counts(self, tenant_id: str, counts: Mapping[datetime, int]) -> None:
        self._submit(
            "tapsigninhours",
            (
                ("upsert", {"PartitionKey": tenant_id, "RowKey": _hour_key(hour), "Count": count})
                for hour, count in counts.items()
            ),
        )

    def _count_by_hour(
        self, tenant_id: str, start: datetime, end: datetime, hours: Iterable[datetime]
    ) -> dict[datetime, int]:
        """The TAP sign-ins of each whole hour of `hours` (all within [start, end]), read by key."""
        counts = dict.fromkeys(hours, 0)
        query = self._tap_signin_range(tenant_id, start, end)
        for row in query_rows(self._tables["tapsignins"], query, select=["RowKey"]):
            hour = datetime.strptime(str(row["RowKey"])[:11], "%Y%m%dT%H").replace(tzinfo=UTC)
            if hour in counts:
                counts[hour] += 1
        return counts

    def _tap_signin_range(self, tenant_id: str, start: datetime, end: datetime) -> str:
        return query_filter(
            "PartitionKey eq @pk and RowKey ge @lo and RowKey lt @hi",
            pk=tenant_id,
            lo=_second_key(start),
            hi=_second_key(end) + "~",
        )

    @guarded("read TAP sign-ins", "tapsignins")
    def tap_signins(self, tenant_id: str, start: datetime, end: datetime) -> list[TapSignIn]:
        found = query_rows(self._tables["tapsignins"], self._tap_signin_range(tenant_id, start, end))
        signins = (from_entity(TapSignIn, e) for e in found)
        return sorted((s for s in signins if start <= s.created <= end), key=lambda s: (s.created, s.id))

    @guarded("count TAP sign-ins", "tapsignins")
    def count_tap_signins(self, tenant_id: str, start: datetime, end: datetime) -> int:
        """How many TAP sign-ins were created in [start, end]: the counts of the whole hours inside it
        as the writes left them, the rest (the partial hours at either end, and hours not counted:
        rows written before the counts were kept, or by a write that did not finish) by key."""
        if end < start:
            return 0
        first, last = _hour_start(start), _hour_start(end)
        whole = {
            hour: count
            for hour, count in self._hour_counts(tenant_id, first, last).items()
            if count >= 0 and start <= hour and hour + HOUR - timedelta(microseconds=1) <= end
        }
        total = sum(whole.values())
        low = start
        while low <= end:
            # The next run of hours without a count, counted by key in one query.
            if _hour_start(low) in whole:
                low = _hour_start(low) + HOUR
                continue
            high = _hour_start(low)
            while high + HOUR <= end and high + HOUR not in whole:
                high += HOUR
            high = min(end, high + HOUR - timedelta(microseconds=1))
            total += self._count_by_key(tenant_id, low, high)
            low = high + timedelta(microseconds=1)
        return total

    def _hour_counts(self, tenant_id: str, first: datetime, last: datetime) -> dict[datetime, int]:
        query = query_filter(
            "PartitionKey eq @pk and RowKey ge @lo and RowKey le @hi",
            pk=tenant_id,
            lo=_hour_key(first),
            hi=_hour_key(last),
        )
        return {
            datetime.strptime(str(row["RowKey"]), "%Y%m%dT%H").replace(tzinfo=UTC): int(row["Count"])
            for row in query_rows(self._tables["tapsigninhours"], query, select=["RowKey", "Count"])
        }

    def _count_by_key(self, tenant_id: str, start: datetime, end: datetime) -> int:
        """The sign-ins of [start, end] counted by key. The key holds the second: the rows of a first
        or last second the window only partly covers are checked against their time."""
        table = self._tables["tapsignins"]
        partial = {
            _second_key(start) if start.microsecond else "",
            _second_key(end) if end.microsecond != 999_999 else "",
        } - {""}
        count = 0
        query = self._tap_signin_range(tenant_id, start, end)
        for row in query_rows(table, query, select=["RowKey"]):
            count += str(row["RowKey"])[:15] not in partial
        for second in partial:
            moment = datetime.strptime(second, "%Y%m%dT%H%M%S").replace(tzinfo=UTC)
            rows = query_rows(table, self._tap_signin_range(tenant_id, moment, moment), select=["Created"])
            count += sum(1 for row in rows if start <= _utc_text(row["Created"]) <= end)
        return count

    # -- findings ------------------------------------------------------------------------------

    def _finding_entities(self, tenant_id: str) -> dict[FindingKey, tuple[StoredFinding, str]]:
        entries = {}
        for entity in self._query("findings", "PartitionKey eq @pk", pk=tenant_id):
            finding = from_entity(StoredFinding, entity)
            entries[finding.key] = (finding, str(entity.metadata["etag"]))
        return entries

    @guarded("read findings", "findings")
    def findings(self, tenant_id: str) -> list[StoredFinding]:
        return sorted((f for f, _ in self._finding_entities(tenant_id).values()), key=lambda f: f.key)

    @guarded("save findings", "findings")
    def save_findings(
        self, tenant_id: str, results: Sequence[RuleResult], at: datetime, run_id: str = ""
    ) -> FindingChanges:
        current = self._finding_entities(tenant_id)
        before = {key: finding for key, (finding, _) in current.items()}
        written = []
        for key, finding in planned_findings(before, results).items():
            entry = self._write_finding(tenant_id, key, finding, current.get(key), at, run_id)
            if entry is not None:
                written.append(entry)
        return sort_changes(before, written)

    def _write_finding(
        self,
        tenant_id: str,
        key: FindingKey,
        finding: Any,
        existing: tuple[StoredFinding, str] | None,
        at: datetime,
        run_id: str = "",
    ) -> StoredFinding | None:
        table = self._tables["findings"]
        row = safe_key(f"{key[0]}_{key[1]}")
        for _ in range(CONFLICT_RETRIES):
            entry = next_finding(existing[0] if existing else None, finding, at, run_id)
            if entry is None:
                return None
            entity = to_entity(entry, tenant_id, row)
            try:
                if existing is None:
                    table.create_entity(entity)
                else:
                    table.update_entity(
                        entity,
                        mode=UpdateMode.REPLACE,
                        etag=existing[1],
                        match_condition=MatchConditions.IfNotModified,
                    )
                return entry
            except (ResourceExistsError, ResourceModifiedError):
                # Another pass wrote this finding since we read it: read it again and reapply.
                log.warning("finding changed underneath us, re-reading: rule=%s subject=%s", key[0], key[1])
                try:
                    fresh = table.get_entity(tenant_id, row)
                except ResourceNotFoundError:
                    existing = None
                else:
                    existing = (from_entity(StoredFinding, fresh), str(fresh.metadata["etag"]))
        raise StoreError(
            f"table {self._prefix}findings: finding {key[0]} / {key[1]} kept changing under concurrent "
            "passes; not written",
            table=f"{self._prefix}findings",
            operation="save findings",
        )

    # -- runs ----------------------------------------------------------------------------------

    @guarded("save run record", "runs")
    def save_run(self, run: RunRecord) -> None:
        # Two passes can start in the same millisecond: the run id keeps their records apart.
        inverted = f"{10**15 - int(run.started.timestamp() * 1000):015d}_{safe_key(run.run_id)}"
        table = self._tables["runs"]
        table.upsert_entity(to_entity(run, run.tenant_id, inverted), mode=UpdateMode.REPLACE)
        table.upsert_entity(to_entity(run, "latest", run.tenant_id), mode=UpdateMode.REPLACE)

    @guarded("read runs", "runs")
    def runs(self, tenant_id: str, limit: int = 10) -> list[RunRecord]:
        pages = self._tables["runs"].query_entities(
            "PartitionKey eq @pk", parameters={"pk": tenant_id}, results_per_page=limit
        )
        runs: list[RunRecord] = []
        for entity in pages:
            runs.append(from_entity(RunRecord, entity))
            if len(runs) == limit:
                break
        return runs

    @guarded("read latest runs", "runs")
    def latest_runs(self) -> list[RunRecord]:
        return [from_entity(RunRecord, e) for e in self._query("runs", "PartitionKey eq @pk", pk="latest")]

    # -- leases --------------------------------------------------------------------------------

    @guarded("take the tenant's lease", "leases")
    def acquire_lease(self, tenant_id: str, holder: str, until: datetime, now: datetime) -> Lease:
        table = self._tables["leases"]
        entity = to_entity(Lease(tenant_id, holder, until), tenant_id, "pass", LEASE)
        for _ in range(CONFLICT_RETRIES):
            try:
                current = table.get_entity(tenant_id, "pass")
            except ResourceNotFoundError:
                try:
                    created = table.create_entity(entity)
                except ResourceExistsError:
                    continue  # another pass created it first: look again
                return Lease(tenant_id, holder, until, str(created.get("etag", "")))
            held = from_entity(Lease, current, LEASE)
            if held.holder != holder and held.until > now:
                return held
            try:
                updated = table.update_entity(
                    entity,
                    mode=UpdateMode.REPLACE,
                    etag=held.token,
                    match_condition=MatchConditions.IfNotModified,
                )
            except ResourceModifiedError:
                continue  # taken by someone else in between: look again
            return Lease(tenant_id, holder, until, str(updated.get("etag", "")))
        raise StoreError(
            f"table {self._prefix}leases: the lease of tenant {tenant_id} kept changing",
            table=f"{self._prefix}leases",
            operation="take the tenant's lease",
        )

    @guarded("release the tenant's lease", "leases")
    def release_lease(self, lease: Lease) -> None:
        with contextlib.suppress(ResourceModifiedError, ResourceNotFoundError):
            self._tables["leases"].delete_entity(
                lease.tenant_id, "pass", etag=lease.token, match_condition=MatchConditions.IfNotModified
            )


# A lease's tenant is its PartitionKey, and its token the row's ETag.
LEASE = Layout(partition="tenant_id", etag="token")


# -- keys ----------------------------------------------------------------------------------------
# Entities themselves are mapped from the records' fields (monitor/store/entities.py).


def _hour_row(h: SignInHour) -> str:
    return f"{_hour_key(h.hour)}_{h.app_id}_{h.error_code}"


HOUR = timedelta(hours=1)
UNCOUNTED = -1  # an hour being written: its sign-ins are counted by key until the write is done


def _hour_start(moment: datetime) -> datetime:
    return moment.astimezone(UTC).replace(minute=0, second=0, microsecond=0)


def _second_key(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y%m%dT%H%M%S")


def _signin_entity(tenant_id: str, s: PinResetSignIn) -> dict[str, Any]:
    return to_entity(s, f"{tenant_id}_{s.created.astimezone(UTC):%Y%m%d}", safe_key(s.id))


def _tap_signin_entity(tenant_id: str, s: TapSignIn) -> dict[str, Any]:
    return to_entity(s, tenant_id, f"{_second_key(s.created)}_{safe_key(s.id)}")


def _inventory_entity(tenant_id: str, item: InventoryItem) -> dict[str, Any]:
    return to_entity(item, tenant_id, safe_key(f"{item.kind}_{item.key}"))
