"""The SOC view read from the store page by page (newest rows first, counted by key) gives exactly the
rows, tokens and counts of the view over every sign-in of the window, in memory and in Table Storage."""

from __future__ import annotations

import os
from collections.abc import Iterator
from dataclasses import replace
from datetime import timedelta

import pytest

from monitor.records import TapSignIn
from monitor.rules.cases._builders import ALICE, BOB, NOW, tap_signin
from monitor.soc.review import new_review
from monitor.store.base import StateStore
from monitor.store.memory import MemoryStore
from monitor.store.tables import _tap_signin_entity, open_table_store
from monitor.views.tap_signins import (
    BURST_RULE,
    PageRequest,
    TapSignInPage,
    notes_by_signin,
    page,
    parse_filters,
    stored_page,
)
from tests.conftest import _prefixes

TENANTS = ("4b1c5b67-3f1e-4e38-9d5e-2a2f3c1d0e9a", "0c0ffee0-0000-4000-8000-00000000beef")
START, END = NOW - timedelta(days=14), NOW


def signins() -> dict[str, list[TapSignIn]]:
    """Two tenants' sign-ins over 14 days and around both edges: some in the same second, some a
    microsecond apart, some just outside the window."""
    moments = [
        START - timedelta(microseconds=1),  # outside
        START,
        START + timedelta(microseconds=1),
        START + timedelta(minutes=3),
        END - timedelta(days=13, hours=5),
        END - timedelta(days=6),
        END - timedelta(days=6) + timedelta(microseconds=250),  # same second as the one before
        END - timedelta(hours=3),
        END - timedelta(minutes=59, seconds=59, microseconds=999_999),  # the first window's edge
        END - timedelta(hours=1),
        END - timedelta(hours=1, microseconds=1),
        END - timedelta(seconds=1),
        END,
        END + timedelta(microseconds=1),  # outside
    ]
    kept: dict[str, list[TapSignIn]] = {t: [] for t in TENANTS}
    for n, moment in enumerate(moments * 3):
        user, code = (ALICE, 0) if n % 3 else (BOB, 130504)
        signin = replace(tap_signin(user, n=n, error_code=code), created=moment + timedelta(seconds=n // 14))
        kept[TENANTS[n % 2]].append(signin)
    return kept


STORES = ["memory", "tables", "tables written before the hours were counted"]


def filled(kind: str, request: pytest.FixtureRequest, prefix: str) -> StateStore:
    if kind == "memory":
        kept: StateStore = MemoryStore()
        for tenant, found in signins().items():
            kept.save_tap_signins(tenant, found)
        return kept
    tables = open_table_store(request.getfixturevalue("azurite"), prefix=prefix)
    for tenant, found in signins().items():
        if kind == "tables":
            tables.save_tap_signins(tenant, found)
        else:  # as the previous code wrote them: the sign-ins' rows, no hourly counts
            tables._submit("tapsignins", (("upsert", _tap_signin_entity(tenant, s)) for s in found))
    return tables


@pytest.fixture(scope="module", params=STORES)
def store(request: pytest.FixtureRequest) -> Iterator[StateStore]:
    """Filled once per kind for the tests that only read it (its own tables, so no other test sees them)."""
    kept = filled(request.param, request, f"t{os.getpid()}m{next(_prefixes)}")
    yield kept
    kept.close()


@pytest.fixture(params=STORES)
def own_store(request: pytest.FixtureRequest, table_prefix: str) -> Iterator[StateStore]:
    """Filled for one test that writes more into it."""
    kept = filled(request.param, request, table_prefix)
    yield kept
    kept.close()


def every_page(store: StateStore, raw: dict[str, str], whole: bool) -> list[TapSignInPage]:
    everything = [s for t in TENANTS for s in store.tap_signins(t, START, END)]
    burst = {"userId": BOB, "first": "2026-11-06T00:00:00Z", "last": "2026-11-20T12:00:00Z"}
    notes = notes_by_signin(
        [
            ("tap.signin.risky", "high", "Risky", "open", {"signInId": everything[3].id}),
            (BURST_RULE, "medium", "Burst", "open", burst),
        ]
    )
    reviewed = everything[5]
    review = replace(new_review(TENANTS[0], reviewed.id, "true-positive", "soc", NOW), review_id="r1")
    histories = {reviewed.id: [review]}
    pages: list[TapSignInPage] = []
    token = ""
    while True:
        request: PageRequest = parse_filters(raw | ({"continuation": token} if token else {}))
        if whole:
            found = page(everything, notes, {}, request, histories)
        else:
            found = stored_page(
                TENANTS, store.tap_signins, store.count_tap_signins, notes, {}, request, START, END, histories
            )
        pages.append(found)
        if found.continuation is None:
            return pages
        token = found.continuation


@pytest.mark.parametrize("limit", ["1", "4", "100"])
@pytest.mark.parametrize("filters", [{}, {"result": "failure"}, {"flagged": "true"}, {"review": "new"}])
def test_the_stored_pages_are_the_pages_of_the_whole_window(
    store: StateStore, limit: str, filters: dict[str, str]
) -> None:
    raw = filters | {"limit": limit}
    expected = every_page(store, raw, whole=True)

    assert every_page(store, raw, whole=False) == expected
    assert sum(len(p.rows) for p in expected) == expected[0].matched


def test_the_count_by_key_is_the_number_of_sign_ins_read_for_every_window(store: StateStore) -> None:
    edges = sorted({s.created for found in signins().values() for s in found})
    windows = [(START, END)] + [(a, b) for a in edges[::3] for b in edges[1::4] if a <= b]
    for start, end in windows:
        for tenant in TENANTS:
            assert store.count_tap_signins(tenant, start, end) == len(store.tap_signins(tenant, start, end))


def test_sign_ins_bunched_in_a_few_hours_long_ago_page_as_the_whole_window_does(
    own_store: StateStore,
) -> None:
    store = own_store
    bunched = [
        replace(
            tap_signin(BOB, n=1000 + n),
            created=END - timedelta(days=9, minutes=n % 3, microseconds=n // 7),
        )
        for n in range(60)
    ]
    store.save_tap_signins(TENANTS[1], bunched)
    for raw in ({"limit": "7"}, {"limit": "1"}, {"limit": "50"}):
        expected = every_page(store, raw, whole=True)

        assert every_page(store, raw, whole=False) == expected
        assert sum(len(p.rows) for p in expected) == expected[0].matched == 95
