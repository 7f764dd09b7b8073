"""The alert table and the notification outbox, in Table Storage (Azurite locally) or in memory.

| table  | PartitionKey | RowKey                             | read as                                  |
|--------|--------------|------------------------------------|------------------------------------------|
| alerts | tenant id    | rule _ subject                     | the tenant's partition; by AlertId       |
| outbox | tenant id    | alert.cycle.event.target (the key) | the tenant's partition, by Status        |

Alerts are written with ETags: a write that lost a race with another pass raises AlertConflict, and
the caller reads the alert again. Outbox rows are created only if absent, so a pass that queues a
notice a second time (after dying before its alert write) changes nothing; delivery results replace
the row. No row holds a webhook URL, key or email address: destinations are names, email targets a
hash of the address. Rows are mapped from the Alert and Notification records (monitor/store/entities.py).
"""

from __future__ import annotations

import contextlib
from collections import defaultdict
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import replace
from datetime import datetime
from typing import Any, Protocol

from azure.core import MatchConditions
from azure.core.exceptions import ResourceExistsError, ResourceModifiedError, ResourceNotFoundError
from azure.data.tables import TableTransactionError, UpdateMode

from monitor.alerts.model import Alert, DeliveryStatus, Notification
from monitor.store.account import TableAccount, guarded
from monitor.store.entities import Layout, from_entity, json_text, to_entity
from monitor.store.tables import BATCH, safe_key

TRANSACTION_BYTES = 3_000_000  # an entity group transaction takes at most 4 MiB


class AlertConflict(Exception):
    """The alert changed (or was created) since it was read: read it again and redo the change."""


class AlertStore(Protocol):
    def alerts(self, tenant_id: str) -> list[Alert]: ...

    def all_alerts(self) -> list[Alert]: ...

    def alert_by_id(self, alert_id: str) -> Alert | None: ...

    def save_alert(self, alert: Alert) -> Alert:
        """Create (etag "") or replace (If-Match its etag); return it with its new etag.
        Raises AlertConflict when another writer got there first."""
        ...

    def queue(self, notifications: Sequence[Notification]) -> None:
        """Add each notification unless a row with its key exists (whatever that row's status)."""
        ...

    def claim(self, notifications: Sequence[Notification], until: datetime) -> list[Notification]:
        """Take these rows for one delivery attempt: each is rewritten as given (with the delivery it
        was composed into), If-Match its etag, to be due only at `until`, so a concurrent pass that
        read them too cannot claim (or send) them. Returns the rows won, with their new etags; a pass
        that dies after claiming leaves them due at `until`, in the same delivery."""
        ...

    def record(self, notifications: Sequence[Notification]) -> None:
        """Store the outcome of delivery attempts (replaces the rows)."""
        ...

    def notifications(self, tenant_id: str, status: DeliveryStatus | None = None) -> list[Notification]: ...

    def close(self) -> None: ...


def open_alerts(store: AlertStore, tenant_id: str) -> list[Alert]:
    """Alerts of a tenant that are open now (health, weekly report)."""
    return [a for a in store.alerts(tenant_id) if a.state == "open"]


def dead_notifications(store: AlertStore, tenant_id: str) -> list[Notification]:
    """Notifications of a tenant that will never be delivered, with the reason (health, weekly report)."""
    return store.notifications(tenant_id, "dead")


# -- memory ------------------------------------------------------------------------------------------


class MemoryAlertStore:
    def __init__(self) -> None:
        self._alerts: dict[tuple[str, str, str], tuple[Alert, int]] = {}
        self._outbox: dict[tuple[str, str], tuple[Notification, int]] = {}

    def alerts(self, tenant_id: str) -> list[Alert]:
        return sorted((a for a in self.all_alerts() if a.tenant_id == tenant_id), key=lambda a: a.key)

    def all_alerts(self) -> list[Alert]:
        found = [replace(alert, etag=str(version)) for alert, version in self._alerts.values()]
        return sorted(found, key=lambda a: (a.tenant_id, a.key))

    def alert_by_id(self, alert_id: str) -> Alert | None:
        return next((a for a in self.all_alerts() if a.id == alert_id), None)

    def save_alert(self, alert: Alert) -> Alert:
        key = (alert.tenant_id, alert.rule, alert.subject)
        stored = self._alerts.get(key)
        if (stored is None) != (alert.etag == "") or (stored is not None and str(stored[1]) != alert.etag):
            raise AlertConflict(f"alert {alert.id} changed since it was read")
        version = (stored[1] if stored else 0) + 1
        self._alerts[key] = (replace(alert, etag=""), version)
        return replace(alert, etag=str(version))

    def queue(self, notifications: Sequence[Notification]) -> None:
        for n in notifications:
            self._outbox.setdefault((n.tenant_id, n.key), (replace(n, etag=""), 1))

    def claim(self, notifications: Sequence[Notification], until: datetime) -> list[Notification]:
        won = []
        for n in notifications:
            stored = self._outbox.get((n.tenant_id, n.key))
            if stored is None or str(stored[1]) != n.etag:
                continue
            claimed = replace(n, next_attempt_at=until, etag="")
            self._outbox[(n.tenant_id, n.key)] = (claimed, stored[1] + 1)
            won.append(replace(claimed, etag=str(stored[1] + 1)))
        return won

    def record(self, notifications: Sequence[Notification]) -> None:
        for n in notifications:
            version = self._outbox.get((n.tenant_id, n.key), (n, 0))[1]
            self._outbox[(n.tenant_id, n.key)] = (replace(n, etag=""), version + 1)

    def notifications(self, tenant_id: str, status: DeliveryStatus | None = None) -> list[Notification]:
        return sorted(
            (
                replace(n, etag=str(version))
                for (tenant, _), (n, version) in self._outbox.items()
                if tenant == tenant_id and (status is None or n.status == status)
            ),
            key=lambda n: (n.created_at, n.key),
        )

    def close(self) -> None:
        pass


# -- Table Storage -----------------------------------------------------------------------------------


class TableAlertStore:
    def __init__(self, account: TableAccount) -> None:
        self._account = account
        self._tables = account.tables(("alerts", "outbox"))

    def close(self) -> None:
        """Nothing to close: the table clients are the account's, shared with its other stores."""

    def _alerts(self, query: str, **parameters: Any) -> list[Alert]:
        entities = self._tables["alerts"].query_entities(query, parameters=parameters)
        return sorted((_alert_record(e) for e in entities), key=lambda a: (a.tenant_id, a.key))

    @guarded("read alerts", "alerts")
    def alerts(self, tenant_id: str) -> list[Alert]:
        return self._alerts("PartitionKey eq @pk", pk=tenant_id)

    @guarded("read alerts", "alerts")
    def all_alerts(self) -> list[Alert]:
        return sorted(
            (_alert_record(e) for e in self._tables["alerts"].list_entities()),
            key=lambda a: (a.tenant_id, a.key),
        )

    @guarded("find alert", "alerts")
    def alert_by_id(self, alert_id: str) -> Alert | None:
        found = self._alerts("AlertId eq @id", id=alert_id)
        return found[0] if found else None

    @guarded("save alert", "alerts")
    def save_alert(self, alert: Alert) -> Alert:
        table = self._tables["alerts"]
        entity = _alert_entity(alert)
        try:
            if not alert.etag:
                written = table.create_entity(entity)
            else:
                written = table.update_entity(
                    entity,
                    mode=UpdateMode.REPLACE,
                    etag=alert.etag,
                    match_condition=MatchConditions.IfNotModified,
                )
        except (ResourceExistsError, ResourceModifiedError, ResourceNotFoundError) as exc:
            raise AlertConflict(f"alert {alert.id} changed since it was read ({type(exc).__name__})") from exc
        return replace(alert, etag=str(written.get("etag", "")))

    def _chunks(self, rows: Sequence[Notification]) -> Iterator[list[Notification]]:
        """Rows of one partition at a time, at most BATCH per entity group transaction and well under
        its 4 MiB payload limit."""
        by_tenant: dict[str, list[Notification]] = defaultdict(list)
        for row in rows:
            by_tenant[row.tenant_id].append(row)
        for tenant_rows in by_tenant.values():
            chunk: list[Notification] = []
            size = 0
            for row in tenant_rows:
                row_size = len(json_text(row.payload)) + 2_000
                if chunk and (len(chunk) == BATCH or size + row_size > TRANSACTION_BYTES):
                    yield chunk
                    chunk, size = [], 0
                chunk.append(row)
                size += row_size
            if chunk:
                yield chunk

    @guarded("queue notifications", "outbox")
    def queue(self, notifications: Sequence[Notification]) -> None:
        table = self._tables["outbox"]
        for chunk in self._chunks(notifications):
            try:
                table.submit_transaction([("create", _notification_entity(n)) for n in chunk])
            except TableTransactionError:
                # Some were queued by an earlier attempt: create the rest one by one, keeping those.
                for n in chunk:
                    with contextlib.suppress(ResourceExistsError):
                        table.create_entity(_notification_entity(n))

    @guarded("claim notifications", "outbox")
    def claim(self, notifications: Sequence[Notification], until: datetime) -> list[Notification]:
        table = self._tables["outbox"]
        won: list[Notification] = []
        for chunk in self._chunks(notifications):
            claimed = [replace(n, next_attempt_at=until) for n in chunk]
            condition = {"mode": UpdateMode.REPLACE, "match_condition": MatchConditions.IfNotModified}
            try:
                answers = table.submit_transaction(
                    [
                        ("update", _notification_entity(c), condition | {"etag": n.etag})
                        for c, n in zip(claimed, chunk, strict=True)
                    ]
                )
            except TableTransactionError:
                # Another pass claimed some of them: claim one by one, skipping those.
                for c, n in zip(claimed, chunk, strict=True):
                    try:
                        written = table.update_entity(
                            _notification_entity(c),
                            mode=UpdateMode.REPLACE,
                            etag=n.etag,
                            match_condition=MatchConditions.IfNotModified,
                        )
                    except (ResourceModifiedError, ResourceNotFoundError):
                        continue
                    won.append(replace(c, etag=str(written.get("etag", ""))))
                continue
            won += [replace(c, etag=str(a.get("etag", ""))) for c, a in zip(claimed, answers, strict=True)]
        return won

    @guarded("record deliveries", "outbox")
    def record(self, notifications: Sequence[Notification]) -> None:
        table = self._tables["outbox"]
        for chunk in self._chunks(notifications):
            table.submit_transaction(
                [("upsert", _notification_entity(n), {"mode": UpdateMode.REPLACE}) for n in chunk]
            )

    @guarded("read notifications", "outbox")
    def notifications(self, tenant_id: str, status: DeliveryStatus | None = None) -> list[Notification]:
        query = "PartitionKey eq @pk" + (" and Status eq @status" if status else "")
        entities: Iterable[Any] = self._tables["outbox"].query_entities(
            query, parameters={"pk": tenant_id, "status": status or ""}
        )
        return sorted((_notification_record(e) for e in entities), key=lambda n: (n.created_at, n.key))


# The rows were mapped by hand before the mapper existed; the layout keeps their properties as they
# were: the tenant is the PartitionKey only, the ETag is the row's own, and the alert's id (computed from
# tenant, rule and subject) is kept as AlertId so an alert can be found by it.
BY_TENANT = Layout(partition="tenant_id", etag="etag")
LAST_ERROR = 1000  # characters of a delivery's last error kept in the outbox


def _alert_entity(a: Alert) -> dict[str, Any]:
    return to_entity(a, a.tenant_id, safe_key(f"{a.rule}_{a.subject}"), BY_TENANT) | {"AlertId": a.id}


def _alert_record(e: Mapping[str, Any]) -> Alert:
    return from_entity(Alert, e, BY_TENANT)


def _notification_entity(n: Notification) -> dict[str, Any]:
    entity = to_entity(n, n.tenant_id, safe_key(n.key), BY_TENANT)
    return entity | {"LastError": n.last_error[:LAST_ERROR]}


def _notification_record(e: Mapping[str, Any]) -> Notification:
    return from_entity(Notification, e, BY_TENANT)
