"""The reviews store, in memory and on Table Storage (Azurite): reviews are appended, never replaced."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta

import pytest

from monitor.soc.review import new_review
from monitor.store.account import TableAccount
from monitor.store.base import StoreError
from monitor.store.reviews import MemoryReviewStore, ReviewStore
from tests.support import NOW, TENANT_ID


@pytest.fixture(params=["memory", "tables"])
def store(request: pytest.FixtureRequest) -> Iterator[ReviewStore]:
    if request.param == "memory":
        yield MemoryReviewStore()
        return
    azurite = request.getfixturevalue("azurite")
    prefix = request.getfixturevalue("table_prefix")
    tables = TableAccount.shared(azurite, prefix=prefix).reviews()
    yield tables
    tables.close()


def test_a_second_review_of_a_sign_in_is_kept_beside_the_first(store: ReviewStore) -> None:
    first = new_review(TENANT_ID, "signin/1", "undetermined", "ana", NOW, note="looking")
    second = new_review(TENANT_ID, "signin/1", "true-positive", "ben", NOW + timedelta(minutes=5))
    other = new_review("other-tenant", "signin/1", "false-positive", "ana", NOW)
    for review in (second, first, other):
        store.add_review(review)
    assert store.reviews(TENANT_ID) == [first, second]


def test_the_same_review_stored_twice_is_refused_not_doubled(store: ReviewStore) -> None:
    review = new_review(TENANT_ID, "signin-2", "benign-positive", "ana", NOW, note="travel\nplanned")
    store.add_review(review)
    with pytest.raises(StoreError, match="is already stored"):
        store.add_review(review)
    assert store.reviews(TENANT_ID) == [review]


def test_the_backlog_kept_for_health_is_the_last_one_saved_per_tenant(store: ReviewStore) -> None:
    store.save_backlog(TENANT_ID, {"unreviewed": 3, "countedAt": "2026-11-20T12:00:00Z"})
    store.save_backlog(TENANT_ID, {"unreviewed": 2, "countedAt": "2026-11-20T12:15:00Z"})
    store.save_backlog("other-tenant", {"unreviewed": 7})
    assert store.backlogs() == {
        TENANT_ID: {"unreviewed": 2, "countedAt": "2026-11-20T12:15:00Z"},
        "other-tenant": {"unreviewed": 7},
    }
    assert store.reviews(TENANT_ID) == []
