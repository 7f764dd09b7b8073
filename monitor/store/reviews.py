"""The SOC's reviews of TAP sign-ins: one row per review, appended and never replaced.

| table      | PartitionKey | RowKey                                 | read as                    |
|------------|--------------|----------------------------------------|----------------------------|
| tapreviews | tenant id    | sign-in id _ yyyymmddTHHMMSSffffff _ id | the tenant's partition     |
|            | "backlog"    | tenant id                               | health: each tenant's count |

A review is created, not upserted: a second review of a sign-in is a new row, so a changed verdict
keeps the earlier one as history. The review id (random) keeps two reviews in the same microsecond
apart; creating the same review twice is refused by the table, never doubled.
"""

from __future__ import annotations

import contextlib
import functools
from collections.abc import Callable, Mapping
from datetime import UTC
from typing import Any, ParamSpec, Protocol, TypeVar

import orjson
from azure.core.exceptions import AzureError, ResourceExistsError
from azure.data.tables import TableServiceClient, TableTransactionError, UpdateMode

from monitor.settings import Settings
from monitor.soc.review import TapSignInReview
from monitor.store.base import StoreConfigError, StoreError
from monitor.store.entities import from_entity, to_entity
from monitor.store.tables import BATCH, RETRY, TIMEOUTS, describe, query_filter, query_rows, safe_key

BACKLOG = "backlog"  # the partition of the backlog rows; tenant ids are GUIDs, never this
P = ParamSpec("P")
R = TypeVar("R")


def _guarded(operation: str) -> Callable[[Callable[P, R]], Callable[P, R]]:
    def wrap(method: Callable[P, R]) -> Callable[P, R]:
        @functools.wraps(method)
        def run(*args: P.args, **kwargs: P.kwargs) -> R:
            try:
                return method(*args, **kwargs)
            except AzureError as exc:
                raise StoreError(f"table tapreviews: {operation} failed ({describe(exc)})") from exc

        return run

    return wrap


class ReviewStore(Protocol):
    def add_review(self, review: TapSignInReview) -> None:
        """Append one review (a second review of a sign-in is kept beside the first)."""
        ...

    def reviews(self, tenant_id: str) -> list[TapSignInReview]:
        """Every review of the tenant, oldest first."""
        ...

    def save_backlog(self, tenant_id: str, document: Mapping[str, Any]) -> None:
        """Keep the tenant's review backlog as last counted (by a pass or a review), for health."""
        ...

    def backlogs(self) -> dict[str, dict[str, Any]]: ...

    def close(self) -> None: ...


def _order(reviews: list[TapSignInReview]) -> list[TapSignInReview]:
    return sorted(reviews, key=lambda r: (r.reviewed_at, r.sequence, r.review_id))


class MemoryReviewStore:
    def __init__(self) -> None:
        self._reviews: dict[str, dict[str, TapSignInReview]] = {}
        self._backlogs: dict[str, dict[str, Any]] = {}

    def add_review(self, review: TapSignInReview) -> None:
        kept = self._reviews.setdefault(review.tenant_id, {})
        if review.review_id in kept:
            raise StoreError(f"table tapreviews: review {review.review_id} is already stored")
        kept[review.review_id] = review

    def reviews(self, tenant_id: str) -> list[TapSignInReview]:
        return _order(list(self._reviews.get(tenant_id, {}).values()))

    def save_backlog(self, tenant_id: str, document: Mapping[str, Any]) -> None:
        self._backlogs[tenant_id] = orjson.loads(orjson.dumps(document))

    def backlogs(self) -> dict[str, dict[str, Any]]:
        return dict(self._backlogs)

    def close(self) -> None:
        return None


def review_row(review: TapSignInReview) -> str:
    moment = review.reviewed_at.astimezone(UTC).strftime("%Y%m%dT%H%M%S%f")
    return safe_key(f"{review.signin_id}_{moment}_{review.review_id}")


class TableReviewStore:
    def __init__(self, service: TableServiceClient, prefix: str) -> None:
        self._service = service
        name = f"{prefix}tapreviews"
        try:
            with contextlib.suppress(ResourceExistsError):  # made by an earlier process: fine
                service.create_table(name)
        except AzureError as exc:
            raise StoreError(f"table {name}: create failed ({describe(exc)})") from exc
        self._table = service.get_table_client(name)

    def close(self) -> None:
        self._table.close()
        self._service.close()

    @_guarded("add review")
    def add_review(self, review: TapSignInReview) -> None:
        try:
            self._table.create_entity(to_entity(review, review.tenant_id, review_row(review)))
        except ResourceExistsError:
            raise StoreError(f"table tapreviews: review {review.review_id} is already stored") from None

    @_guarded("read reviews")
    def reviews(self, tenant_id: str) -> list[TapSignInReview]:
        found = query_rows(self._table, query_filter("PartitionKey eq @pk", pk=tenant_id))
        return _order([from_entity(TapSignInReview, e) for e in found])

    @_guarded("save the review backlog")
    def save_backlog(self, tenant_id: str, document: Mapping[str, Any]) -> None:
        entity = {"PartitionKey": BACKLOG, "RowKey": safe_key(tenant_id), "TenantId": tenant_id}
        self._table.upsert_entity(
            entity | {"Backlog": orjson.dumps(document).decode()}, mode=UpdateMode.REPLACE
        )

    @_guarded("read the review backlogs")
    def backlogs(self) -> dict[str, dict[str, Any]]:
        found = self._table.query_entities("PartitionKey eq @pk", parameters={"pk": BACKLOG})
        return {str(e["TenantId"]): orjson.loads(e["Backlog"]) for e in found}


def open_review_store(settings: Settings) -> ReviewStore:
    """Table Storage when configured, else memory (kept for this process only)."""
    if not settings.has_storage:
        return MemoryReviewStore()
    if settings.storage_connection_string:
        try:
            service = TableServiceClient.from_connection_string(
                settings.storage_connection_string, **RETRY, **TIMEOUTS
            )
        except ValueError as exc:
            raise StoreConfigError(
                "MONITOR_STORAGE_CONNECTION_STRING is not a valid storage connection string"
            ) from exc
    else:
        from azure.identity import DefaultAzureCredential

        service = TableServiceClient(
            endpoint=settings.storage_endpoint, credential=DefaultAzureCredential(), **RETRY, **TIMEOUTS
        )
    return TableReviewStore(service, settings.table_prefix)


# -- what was shipped to Log Analytics (monitor.soc.sentinel) ---------------------------------------
#
# | table           | PartitionKey       | RowKey | read as                          |
# |-----------------|--------------------|--------|----------------------------------|
# | sentineluploads | tenant id _ stream | RowId  | the partition: RowId -> hash     |


class MemoryUploadLedger:
    def __init__(self) -> None:
        self._hashes: dict[tuple[str, str], dict[str, str]] = {}

    def uploaded(self, tenant_id: str, stream: str) -> dict[str, str]:
        return dict(self._hashes.get((tenant_id, stream), {}))

    def record(self, tenant_id: str, stream: str, rows: Mapping[str, str]) -> None:
        self._hashes.setdefault((tenant_id, stream), {}).update(rows)

    def close(self) -> None:
        return None


class TableUploadLedger:
    def __init__(self, service: TableServiceClient, prefix: str) -> None:
        self._service = service
        name = f"{prefix}sentineluploads"
        try:
            with contextlib.suppress(ResourceExistsError):
                service.create_table(name)
        except AzureError as exc:
            raise StoreError(f"table {name}: create failed ({describe(exc)})") from exc
        self._table = service.get_table_client(name)

    def close(self) -> None:
        self._table.close()
        self._service.close()

    def uploaded(self, tenant_id: str, stream: str) -> dict[str, str]:
        try:
            found = self._table.query_entities(
                "PartitionKey eq @pk",
                parameters={"pk": safe_key(f"{tenant_id}_{stream}")},
                select=["RowKey", "Hash"],
            )
            return {e["RowKey"]: str(e["Hash"]) for e in found}
        except AzureError as exc:
            raise StoreError(f"table sentineluploads: read failed ({describe(exc)})") from exc

    def record(self, tenant_id: str, stream: str, rows: Mapping[str, str]) -> None:
        partition = safe_key(f"{tenant_id}_{stream}")
        operations = [
            (
                "upsert",
                {"PartitionKey": partition, "RowKey": row_id, "Hash": digest},
                {"mode": UpdateMode.REPLACE},
            )
            for row_id, digest in rows.items()
        ]
        try:
            for start in range(0, len(operations), BATCH):
                self._table.submit_transaction(operations[start : start + BATCH])
        except (AzureError, TableTransactionError) as exc:
            said = describe(exc) if isinstance(exc, AzureError) else type(exc).__name__
            raise StoreError(f"table sentineluploads: record failed ({said})") from exc


def _service(settings: Settings) -> TableServiceClient:
    if settings.storage_connection_string:
        try:
            return TableServiceClient.from_connection_string(
                settings.storage_connection_string, **RETRY, **TIMEOUTS
            )
        except ValueError as exc:
            raise StoreConfigError(
                "MONITOR_STORAGE_CONNECTION_STRING is not a valid storage connection string"
            ) from exc
    from azure.identity import DefaultAzureCredential

    return TableServiceClient(
        endpoint=settings.storage_endpoint, credential=DefaultAzureCredential(), **RETRY, **TIMEOUTS
    )


def open_upload_ledger(settings: Settings) -> MemoryUploadLedger | TableUploadLedger:
    if not settings.has_storage:
        return MemoryUploadLedger()
    return TableUploadLedger(_service(settings), settings.table_prefix)
