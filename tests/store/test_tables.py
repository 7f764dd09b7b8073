"""What only the Table Storage store has to get right: keys, ETag conflicts, refused transactions."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest

from monitor.records import TapSignIn
from monitor.rules.base import Finding, RuleResult
from monitor.rules.cases._builders import tap_signin
from monitor.store.entities import from_entity
from monitor.store.tables import StoreError, TableStore, _tap_signin_entity, open_table_store, safe_key
from tests.store.test_contract import TENANT, signin

T0 = datetime(2026, 11, 20, 9, 0, tzinfo=UTC)
RULE = "consent.pin-reset-service.missing"
SUBJECT = "b8456c59-1230-44c7-a4a2-99b085333e84"


@pytest.fixture
def tables(azurite: str, table_prefix: str) -> Iterator[TableStore]:
    store = open_table_store(azurite, prefix=table_prefix)
    yield store
    store.close()


def fail(detail: str) -> list[RuleResult]:
    found = Finding(RULE, "high", SUBJECT, "title", detail, {}, "fix", ())
    return [RuleResult(RULE, "fail", "r", (found,))]


def test_safe_key_escapes_what_table_storage_refuses_in_keys() -> None:
    assert safe_key("tap.policy.disabled_TemporaryAccessPass") == "tap.policy.disabled_TemporaryAccessPass"
    assert safe_key("a/b\\c#d?e%f\tg") == "a%2Fb%5Cc%23d%3Fe%25f%09g"


def test_a_write_with_a_stale_etag_rereads_and_reapplies(
    tables: TableStore, azurite: str, table_prefix: str
) -> None:
    tables.save_findings(TENANT, fail("first"), T0)
    ((stale, stale_etag),) = tables._finding_entities(TENANT).values()
    # Another pass (another process) updates the same finding in between.
    other = open_table_store(azurite, prefix=table_prefix)
    other.save_findings(TENANT, fail("from the other pass"), T0 + timedelta(minutes=5))
    other.close()

    written = tables._write_finding(
        TENANT, stale.key, fail("ours")[0].findings[0], (stale, stale_etag), T0 + timedelta(minutes=10)
    )

    assert written is not None
    (kept,) = tables.findings(TENANT)
    assert (kept.detail, kept.first_seen, kept.last_seen) == ("ours", T0, T0 + timedelta(minutes=10))


def test_creating_a_finding_another_pass_just_created_becomes_an_update(
    tables: TableStore, azurite: str, table_prefix: str
) -> None:
    other = open_table_store(azurite, prefix=table_prefix)
    other.save_findings(TENANT, fail("theirs"), T0)
    other.close()

    tables._write_finding(
        TENANT, (RULE, SUBJECT), fail("ours")[0].findings[0], None, T0 + timedelta(minutes=1)
    )

    (kept,) = tables.findings(TENANT)
    assert (kept.detail, kept.first_seen, kept.times_seen) == ("ours", T0, 1)


def test_a_refused_transaction_is_a_store_error_naming_table_and_partition(tables: TableStore) -> None:
    # The same row twice in one entity group transaction: Table Storage refuses the whole transaction.
    twice = [signin(2, T0), replace(signin(2, T0), user_principal_name="again@contoso.com")]
    with pytest.raises(StoreError, match=rf"table \w+signins, partition {TENANT}_20261120: transaction of 2"):
        tables.save_pin_reset_signins(TENANT, twice)
    assert tables.pin_reset_signins(TENANT, T0 - timedelta(hours=1), T0 + timedelta(hours=1)) == []


def test_a_text_longer_than_a_property_holds_is_cut_rather_than_refused(tables: TableStore) -> None:
    long = replace(signin(1, T0), failure_reason="x" * 70_000)
    tables.save_pin_reset_signins(TENANT, [long])
    (kept,) = tables.pin_reset_signins(TENANT, T0 - timedelta(hours=1), T0 + timedelta(hours=1))
    assert kept == replace(long, failure_reason="x" * 30_000)


# -- TAP sign-ins counted by hour ---------------------------------------------------------------------


def tap_signins_at(*moments: datetime) -> list[TapSignIn]:
    return [replace(tap_signin(n=n), created=moment) for n, moment in enumerate(moments, start=100)]


WEEK = (T0 - timedelta(days=7), T0)
SPREAD = [T0 - timedelta(minutes=97 * n, microseconds=n) for n in range(104)]  # 7 days, every 97 minutes


def counts_of(tables: TableStore) -> list[int]:
    """The count of the week and of windows that cut hours and seconds at either end."""
    windows = [WEEK, (SPREAD[50], SPREAD[3]), (SPREAD[90] + timedelta(minutes=5), SPREAD[10])]
    windows += [(SPREAD[7], SPREAD[7]), (SPREAD[7] + timedelta(microseconds=1), SPREAD[7])]
    return [tables.count_tap_signins(TENANT, start, end) for start, end in windows]


def test_tap_signins_stored_before_the_hours_were_counted_are_counted_by_key(tables: TableStore) -> None:
    # As the previous code wrote them: the sign-ins' rows only, no hour counted.
    tables._submit("tapsignins", (("upsert", _tap_signin_entity(TENANT, s)) for s in tap_signins_at(*SPREAD)))

    assert counts_of(tables) == [104, 48, 80, 1, 0]
    assert len(tables.tap_signins(TENANT, *WEEK)) == 104


def test_an_hour_left_uncounted_by_a_write_that_died_is_counted_by_key(tables: TableStore) -> None:
    tables.save_tap_signins(TENANT, tap_signins_at(*SPREAD))
    # A write that died after marking its hours and writing its rows, before counting them.
    late = tap_signins_at(SPREAD[3] + timedelta(seconds=1), SPREAD[4] + timedelta(seconds=2))
    tables._save_hour_counts(TENANT, {T0.replace(minute=0) - timedelta(hours=h): -1 for h in range(10)})
    tables._submit("tapsignins", (("upsert", _tap_signin_entity(TENANT, s)) for s in late))

    # SPREAD[4] + 2 s falls in the first window, SPREAD[3] + 1 s after it; both after the second.
    assert counts_of(tables) == [106, 49, 80, 1, 0]


def test_writing_to_an_hour_already_counted_counts_it_again_and_a_rewrite_doubles_nothing(
    tables: TableStore,
) -> None:
    tables.save_tap_signins(TENANT, tap_signins_at(*SPREAD))
    tables.save_tap_signins(TENANT, tap_signins_at(*SPREAD))
    assert counts_of(tables) == [104, 48, 80, 1, 0]

    tables.save_tap_signins(TENANT, tap_signins_at(SPREAD[4] + timedelta(seconds=2)))

    assert counts_of(tables) == [105, 49, 80, 1, 0]


def test_a_page_read_without_the_sdks_entity_decoding_gives_the_records_the_sdk_gives(
    tables: TableStore,
) -> None:
    odd = replace(
        tap_signin(n=7, error_code=2**40, risk="high", prior=None),
        created=T0 - timedelta(microseconds=123_457),
    )
    signins = [odd, *tap_signins_at(T0 - timedelta(days=1), T0 - timedelta(minutes=5))]
    tables.save_tap_signins(TENANT, signins)
    raw = tables._tables["tapsignins"].query_entities("PartitionKey eq @pk", parameters={"pk": TENANT})
    through_the_sdk = sorted((from_entity(TapSignIn, e) for e in raw), key=lambda s: (s.created, s.id))

    assert tables.tap_signins(TENANT, T0 - timedelta(days=2), T0) == through_the_sdk
    assert through_the_sdk == sorted(signins, key=lambda s: (s.created, s.id))
