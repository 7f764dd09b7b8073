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

from collections.abc import Mapping
from datetime import UTC
from typing import TYPE_CHECKING, Any, Protocol

import orjson
from azure.core.exceptions import ResourceExistsError
from azure.data.tables import UpdateMode

from monitor.soc.review import TapSignInReview
from monitor.store.account import StoreError, TableAccount, guarded
from monitor.store.entities import from_entity, to_entity
from monitor.store.pages import query_filter, query_rows
from monitor.store.tables import BATCH, safe_key

if TYPE_CHECKING:
    pass

BACKLOG = "backlog"  # the partition of the backlog rows; tenant ids are GUIDs, never this


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
    def __init__(self, account: TableAccount) -> None:
        self._account = account
        self._table = account.table("tapreviews")

    def close(self) -> None:
        """Nothing to close: the table client is the account's, shared with its other stores."""

    @guarded("add review", "tapreviews")
    def add_review(self, review: TapSignInReview) -> None:
        try:
            self._table.create_entity(to_entity(review, review.tenant_id, review_row(review)))
        except ResourceExistsError:
            name = self._account.table_name("tapreviews")
            raise StoreError(
                f"table {name}: review {review.review_id} is already stored",
                table=name,
                operation="add review",
            ) from None

    @guarded("read reviews", "tapreviews")
    def reviews(self, tenant_id: str) -> list[TapSignInReview]:
        found = query_rows(self._table, query_filter("PartitionKey eq @pk", pk=tenant_id))
        return _order([from_entity(TapSignInReview, e) for e in found])

    @guarded("save the review backlog", "tapreviews")
    def save_backlog(self, tenant_id: str, document: Mapping[str, Any]) -> None:
        entity = {"PartitionKey": BACKLOG, "RowKey": safe_key(tenant_id), "TenantId": tenant_id}
        self._table.upsert_entity(
            entity | {"Backlog": orjson.dumps(document).decode()}, mode=UpdateMode.REPLACE
        )

    @guarded("read the review backlogs", "tapreviews")
    def backlogs(self) -> dict[str, dict[str, Any]]:
        found = self._table.query_entities("PartitionKey eq @pk", parameters={"pk": BACKLOG})
        return {str(e["TenantId"]): orjson.loads(e["Backlog"]) for e in found}


# -- what was shipped to Log Analytics (monitor.soc.sentinel) ---------------------------------------
#
# | table           | PartitionKey       | RowKey | read as                          |
# |-----------------|--------------------|--------|----------------------------------|
# | sentineluploads | tenant id _ stream | RowId  | the partition: RowId -> hash     |


class LedgerStore(Protocol):
    """What was uploaded to Log Analytics, per tenant and stream (monitor.soc.sentinel.UploadLedger)."""

    def uploaded(self, tenant_id: str, stream: str) -> dict[str, str]: ...

    def record(self, tenant_id: str, stream: str, rows: Mapping[str, str]) -> None: ...

    def close(self) -> None: ...


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
    def __init__(self, account: TableAccount) -> None:
        self._account = account
        self._table = account.table("sentineluploads")

    def close(self) -> None:
        """Nothing to close: the table client is the account's, shared with its other stores."""

    @guarded("read uploaded rows", "sentineluploads")
    def uploaded(self, tenant_id: str, stream: str) -> dict[str, str]:
        found = self._table.query_entities(
            "PartitionKey eq @pk",
            parameters={"pk": safe_key(f"{tenant_id}_{stream}")},
            select=["RowKey", "Hash"],
        )
        return {e["RowKey"]: str(e["Hash"]) for e in found}

    @guarded("record uploaded rows", "sentineluploads")
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
        for start in range(0, len(operations), BATCH):
            self._table.submit_transaction(operations[start : start + BATCH])
