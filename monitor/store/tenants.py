"""The tenants a many-tenant deployment watches (docs/msp.md): who they are, where their alerts go,
their own thresholds, and whether the monitor can reach them (quarantine).

A single-tenant deployment has no rows here and never reads this table.

| table   | PartitionKey | RowKey    | read as                                   |
|---------|--------------|-----------|-------------------------------------------|
| tenants | "tenant"     | tenant id | the partition: every tenant, one query    |
| tenants | "cycle"      | "last"    | the poll timer's last fan-out (health)    |

Rows are changed with ETags: a pass recording its outcome and a person changing the tenant's routing
never overwrite each other (TenantConflict, then re-read).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any, Literal, Protocol

from monitor.store.account import guarded

if TYPE_CHECKING:
    from monitor.store.account import TableAccount

TABLE = "tenants"
PARTITION = "tenant"
CYCLE = "cycle"
TenantState = Literal["active", "quarantined"]
# Between probes of a quarantined tenant: doubling from the first, never longer than the last. A probe is
# one token request, no report request (a quarantined tenant costs no report budget).
QUARANTINE_BACKOFF = (timedelta(hours=1), timedelta(hours=24))


class TenantConflict(Exception):
    """The tenant's row changed between read and write."""


@dataclass(frozen=True)
class TenantRecord:
    """One watched tenant. `destinations`: names of configured alert destinations that get this
    tenant's alerts (empty: the deployment's routes); `thresholds`: this tenant's own values of
    `monitor.thresholds.Thresholds` fields."""

    tenant_id: str
    display_name: str = ""
    tags: tuple[str, ...] = ()
    destinations: tuple[str, ...] = ()
    thresholds: Mapping[str, float] = field(default_factory=dict)
    added: datetime | None = None
    state: TenantState = "active"
    problem: str = ""  # monitor.tenants.onboarding.AccessProblem while quarantined
    detail: str = ""  # one line: what Entra or Graph said
    quarantined_since: datetime | None = None
    restored_at: datetime | None = None  # when the last quarantine ended
    probes: int = 0  # failed probes since quarantined
    next_probe: datetime | None = None
    last_pass: datetime | None = None
    last_outcome: str = ""
    queued: datetime | None = None  # when the poll timer last put its pass on the queue
    etag: str = field(default="", compare=False)

    def quarantine(self, problem: str, detail: str, now: datetime) -> TenantRecord:
        """Quarantined (or still): the next probe after the backoff of this many failed probes."""
        probes = self.probes + 1 if self.state == "quarantined" else 0
        first, longest = QUARANTINE_BACKOFF
        wait = min(first * (2 ** min(probes, 16)), longest)
        return replace(
            self,
            state="quarantined",
            problem=problem,
            detail=detail[:300],
            quarantined_since=self.quarantined_since if self.state == "quarantined" else now,
            restored_at=None,
            probes=probes,
            next_probe=now + wait,
        )

    def restored(self, now: datetime) -> TenantRecord:
        """Active again. The last quarantine's problem and times stay, so its alert is resolved."""
        return replace(self, state="active", probes=0, next_probe=None, restored_at=now)

    def to_json(self) -> dict[str, Any]:
        from monitor.records import optional_iso as at

        return {
            "tenantId": self.tenant_id,
            "displayName": self.display_name,
            "tags": list(self.tags),
            "destinations": list(self.destinations),
            "thresholds": dict(self.thresholds),
            "added": at(self.added),
            "state": self.state,
            "problem": (self.problem or None) if self.state == "quarantined" else None,
            "detail": (self.detail or None) if self.state == "quarantined" else None,
            "restoredAt": at(self.restored_at),
            "quarantinedSince": at(self.quarantined_since) if self.state == "quarantined" else None,
            "nextProbe": at(self.next_probe),
            "lastPass": at(self.last_pass),
            "lastOutcome": self.last_outcome or None,
        }


class TenantStore(Protocol):
    def tenants(self) -> list[TenantRecord]: ...
    def tenant(self, tenant_id: str) -> TenantRecord | None: ...
    def save(self, record: TenantRecord) -> TenantRecord:
        """Insert, or replace if its ETag still matches (TenantConflict otherwise)."""
        ...

    def remove(self, tenant_id: str) -> bool: ...
    def save_cycle(self, document: Mapping[str, Any]) -> None:
        """The poll timer's last fan-out: how many tenants were due, sent, left waiting."""
        ...

    def last_cycle(self) -> Mapping[str, Any] | None: ...
    def close(self) -> None: ...


def change_tenant(
    store: TenantStore, tenant_id: str, change: Callable[[TenantRecord], TenantRecord]
) -> TenantRecord | None:
    """Apply `change` to the stored row, re-reading when another writer got there first; None for a
    tenant that is not (or no longer) stored."""
    for _ in range(5):
        record = store.tenant(tenant_id)
        if record is None:
            return None
        try:
            return store.save(change(record))
        except TenantConflict:
            continue
    raise TenantConflict(f"tenant {tenant_id} kept changing; try again")


class MemoryTenantStore:
    def __init__(self) -> None:
        self._rows: dict[str, tuple[TenantRecord, int]] = {}
        self._cycle: Mapping[str, Any] | None = None

    def tenants(self) -> list[TenantRecord]:
        return [self._stamped(r, v) for r, v in sorted(self._rows.values(), key=lambda rv: rv[0].tenant_id)]

    def tenant(self, tenant_id: str) -> TenantRecord | None:
        found = self._rows.get(tenant_id.lower())
        return self._stamped(*found) if found else None

    @staticmethod
    def _stamped(record: TenantRecord, version: int) -> TenantRecord:
        return replace(record, etag=str(version))

    def save(self, record: TenantRecord) -> TenantRecord:
        key = record.tenant_id.lower()
        current = self._rows.get(key)
        if current is not None and record.etag and record.etag != str(current[1]):
            raise TenantConflict(f"tenant {key} changed")
        version = (current[1] + 1) if current else 1
        self._rows[key] = (replace(record, tenant_id=key, etag=""), version)
        return self._stamped(self._rows[key][0], version)

    def remove(self, tenant_id: str) -> bool:
        return self._rows.pop(tenant_id.lower(), None) is not None

    def save_cycle(self, document: Mapping[str, Any]) -> None:
        self._cycle = dict(document)

    def last_cycle(self) -> Mapping[str, Any] | None:
        return self._cycle

    def close(self) -> None:
        pass


class TableTenantStore:
    def __init__(self, account: TableAccount) -> None:
        self._account = account
        self._table = account.table(TABLE)

    @guarded("list tenants", TABLE)
    def tenants(self) -> list[TenantRecord]:
        entities = self._table.query_entities("PartitionKey eq @p", parameters={"p": PARTITION})
        return sorted((_record(e) for e in entities), key=lambda r: r.tenant_id)

    @guarded("read tenant", TABLE)
    def tenant(self, tenant_id: str) -> TenantRecord | None:
        from azure.core.exceptions import ResourceNotFoundError

        try:
            return _record(self._table.get_entity(PARTITION, tenant_id.lower()))
        except ResourceNotFoundError:
            return None

    @guarded("save tenant", TABLE)
    def save(self, record: TenantRecord) -> TenantRecord:
        from azure.core import MatchConditions
        from azure.core.exceptions import ResourceExistsError, ResourceModifiedError
        from azure.data.tables import UpdateMode

        record = replace(record, tenant_id=record.tenant_id.lower())
        entity = _entity(record)
        try:
            if record.etag:
                answer = self._table.update_entity(
                    entity,
                    UpdateMode.REPLACE,
                    etag=record.etag,
                    match_condition=MatchConditions.IfNotModified,
                )
            else:
                answer = self._table.create_entity(entity)
        except (ResourceModifiedError, ResourceExistsError) as exc:
            raise TenantConflict(f"tenant {record.tenant_id} changed") from exc
        return replace(record, etag=str(answer.get("etag", "")))

    @guarded("remove tenant", TABLE)
    def remove(self, tenant_id: str) -> bool:
        existed = self.tenant(tenant_id) is not None
        self._table.delete_entity(PARTITION, tenant_id.lower())
        return existed

    @guarded("save the fan-out cycle", TABLE)
    def save_cycle(self, document: Mapping[str, Any]) -> None:
        import orjson

        entity = {"PartitionKey": CYCLE, "RowKey": "last", "Document": orjson.dumps(dict(document)).decode()}
        self._table.upsert_entity(entity)

    @guarded("read the fan-out cycle", TABLE)
    def last_cycle(self) -> Mapping[str, Any] | None:
        import orjson
        from azure.core.exceptions import ResourceNotFoundError

        try:
            entity = self._table.get_entity(CYCLE, "last")
        except ResourceNotFoundError:
            return None
        document: Mapping[str, Any] = orjson.loads(entity["Document"])
        return document

    def close(self) -> None:
        """Nothing to close: the table client is the account's, shared with its other stores."""


def _entity(record: TenantRecord) -> dict[str, Any]:
    from monitor.store.entities import to_entity

    entity = to_entity(record, PARTITION, record.tenant_id)
    entity.pop("Etag", None)  # the row's ETag is the service's, not a property
    return entity


def _record(entity: Mapping[str, Any]) -> TenantRecord:
    from monitor.store.entities import from_entity

    record = from_entity(TenantRecord, entity)
    etag = getattr(entity, "metadata", {}).get("etag", "")
    return replace(record, etag=str(etag or ""))


FIELDS = tuple(f.name for f in dataclasses.fields(TenantRecord) if f.name != "etag")
