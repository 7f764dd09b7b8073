"""The contract both stores keep: the same calls give the same state in memory and in Table Storage
(Azurite, through the real azure-data-tables client)."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest

from monitor.entra import PIN_RESET_CLIENT_APP_ID as CLIENT
from monitor.entra import PIN_RESET_SERVICE_APP_ID as SERVICE
from monitor.records import ConsentState, PinResetSignIn, ServicePrincipal, SignInHour
from monitor.rules.base import Finding, RuleResult
from monitor.store.base import RunRecord, StateStore
from monitor.store.memory import MemoryStore
from monitor.store.tables import open_table_store

TENANT = "4b1c5b67-3f1e-4e38-9d5e-2a2f3c1d0e9a"
T0 = datetime(2026, 11, 20, 9, 0, tzinfo=UTC)


@pytest.fixture(params=["memory", "tables"])
def store(request: pytest.FixtureRequest) -> Iterator[StateStore]:
    if request.param == "memory":
        yield MemoryStore()
        return
    connection = request.getfixturevalue("azurite")
    prefix = request.getfixturevalue("table_prefix")
    table_store = open_table_store(connection, prefix=prefix)
    yield table_store
    table_store.close()


def signin(n: int, at: datetime, code: int = 0, app: str = CLIENT) -> PinResetSignIn:
    return PinResetSignIn(
        id=f"00000000-0000-0000-0000-{n:012d}",
        created=at,
        app_id=app,
        app_display_name="Microsoft Pin Reset Client Production",
        resource_id=SERVICE,
        resource_display_name="Microsoft Pin Reset Service Production",
        user_id=f"user-{n % 7}",
        user_principal_name=f"user{n % 7}@contoso.com",
        error_code=code,
        failure_reason="" if code == 0 else "Resource principal not found",
        device_id=f"device-{n % 5}",
        device_name=f"PC-{n % 5}",
        operating_system="Windows10",
        ip_address="203.0.113.7",
        country="DE",
        interactive=True,
        correlation_id=f"corr-{n}",
    )


def finding(rule: str, subject: str, detail: str = "detail") -> Finding:
    return Finding(rule, "high", subject, "title", detail, {"count": 3}, "fix it", ("https://example.test",))


def test_checkpoint_is_absent_until_saved_then_returns_what_was_saved(store: StateStore) -> None:
    assert store.checkpoint(TENANT, "signins.pin-reset") is None
    store.save_checkpoint(TENANT, "signins.pin-reset", T0)
    store.save_checkpoint(TENANT, "signins.pin-reset", T0 + timedelta(minutes=15))
    assert store.checkpoint(TENANT, "signins.pin-reset") == T0 + timedelta(minutes=15)
    assert store.checkpoint("another-tenant", "signins.pin-reset") is None


def test_saving_the_same_signins_twice_stores_them_once(store: StateStore) -> None:
    batch = [signin(n, T0 + timedelta(minutes=n)) for n in range(5)]
    store.save_pin_reset_signins(TENANT, batch)
    store.save_pin_reset_signins(TENANT, batch[2:])
    assert store.pin_reset_signins(TENANT, T0, T0 + timedelta(hours=1)) == batch


def test_a_batch_larger_than_one_transaction_spanning_days_is_stored_whole(store: StateStore) -> None:
    # 250 sign-ins across midnight: three transactions in one day's partition, one in the next.
    start = datetime(2026, 11, 19, 20, 0, tzinfo=UTC)
    batch = [signin(n, start + timedelta(minutes=n)) for n in range(250)]
    store.save_pin_reset_signins(TENANT, batch)
    kept = store.pin_reset_signins(TENANT, start, start + timedelta(days=1))
    assert len(kept) == 250
    assert kept == sorted(batch, key=lambda s: (s.created, s.id))


def test_signins_are_read_back_by_time_window(store: StateStore) -> None:
    batch = [signin(n, T0 + timedelta(hours=n)) for n in range(6)]
    store.save_pin_reset_signins(TENANT, batch)
    assert [
        s.id for s in store.pin_reset_signins(TENANT, T0 + timedelta(hours=2), T0 + timedelta(hours=4))
    ] == [
        batch[2].id,
        batch[3].id,
        batch[4].id,
    ]


def hour(h: int, code: int = 0, count: int = 1, app: str = CLIENT) -> SignInHour:
    start = T0 + timedelta(hours=h)
    return SignInHour(
        start, app, code, count, start + timedelta(minutes=5), start + timedelta(minutes=50), ("a@x",)
    )


def test_replacing_hours_overwrites_counts_and_drops_hours_no_longer_seen(store: StateStore) -> None:
    store.replace_signin_hours(
        TENANT, T0, T0 + timedelta(hours=3), [hour(0, count=2), hour(1, 65001), hour(2)]
    )
    # The same window read again: hour 1's failure turned out to be a success, hour 2 has more.
    store.replace_signin_hours(
        TENANT, T0 + timedelta(hours=1), T0 + timedelta(hours=3), [hour(1), hour(2, count=4)]
    )
    assert store.signin_hours(TENANT, T0, T0 + timedelta(hours=3)) == (
        hour(0, count=2),
        hour(1),
        hour(2, count=4),
    )


def test_hours_outside_the_replaced_window_are_kept(store: StateStore) -> None:
    store.replace_signin_hours(TENANT, T0, T0 + timedelta(hours=2), [hour(0), hour(1)])
    store.replace_signin_hours(TENANT, T0 + timedelta(hours=1), T0 + timedelta(hours=2), [])
    assert store.signin_hours(TENANT, T0 - timedelta(days=1), T0 + timedelta(days=1)) == (hour(0),)


def test_consent_remembers_when_the_state_last_changed(store: StateStore) -> None:
    sp = ServicePrincipal("sp-1", SERVICE, "Microsoft Pin Reset Service Production", True)
    store.save_consent(TENANT, {SERVICE: ConsentState(SERVICE, sp), CLIENT: ConsentState(CLIENT, None)}, T0)
    later = T0 + timedelta(hours=1)
    store.save_consent(
        TENANT,
        {
            SERVICE: ConsentState(SERVICE, sp),
            CLIENT: ConsentState(CLIENT, replace(sp, app_id=CLIENT, object_id="sp-2")),
        },
        later,
    )
    kept = store.consent(TENANT)
    assert (kept[SERVICE].consented, kept[SERVICE].changed_at, kept[SERVICE].checked_at) == (True, T0, later)
    assert (kept[CLIENT].consented, kept[CLIENT].object_id, kept[CLIENT].changed_at) == (True, "sp-2", later)


def test_findings_open_stay_open_then_resolve_when_the_rule_passes(store: StateStore) -> None:
    rule = "consent.pin-reset-service.missing"
    first = store.save_findings(TENANT, [RuleResult(rule, "fail", "r", (finding(rule, SERVICE),))], T0)
    assert [f.key for f in first.opened] == [(rule, SERVICE)]
    second = store.save_findings(
        TENANT, [RuleResult(rule, "fail", "r", (finding(rule, SERVICE, "newer"),))], T0 + timedelta(hours=1)
    )
    assert [f.key for f in second.still_open] == [(rule, SERVICE)]
    assert second.opened == ()
    third = store.save_findings(TENANT, [RuleResult(rule, "pass", "ok")], T0 + timedelta(hours=2))
    assert [f.key for f in third.resolved] == [(rule, SERVICE)]
    (kept,) = store.findings(TENANT)
    assert (kept.status, kept.detail, kept.first_seen, kept.last_seen, kept.resolved_at) == (
        "resolved",
        "newer",
        T0,
        T0 + timedelta(hours=1),
        T0 + timedelta(hours=2),
    )
    assert kept.evidence == {"count": 3}


def test_a_skipped_rule_leaves_its_open_findings_alone(store: StateStore) -> None:
    rule = "signin.pin-reset.consent-errors"
    store.save_findings(TENANT, [RuleResult(rule, "fail", "r", (finding(rule, TENANT),))], T0)
    changes = store.save_findings(
        TENANT, [RuleResult(rule, "skipped", "licence missing")], T0 + timedelta(hours=1)
    )
    assert changes.resolved == ()
    assert [f.status for f in store.findings(TENANT)] == ["open"]


def test_a_finding_that_comes_back_is_reopened_and_counted(store: StateStore) -> None:
    rule = "consent.pin-reset-app.disabled"
    fail = [RuleResult(rule, "fail", "r", (finding(rule, CLIENT),))]
    store.save_findings(TENANT, fail, T0)
    store.save_findings(TENANT, [RuleResult(rule, "pass", "ok")], T0 + timedelta(hours=1))
    changes = store.save_findings(TENANT, fail, T0 + timedelta(hours=2))
    assert [f.key for f in changes.opened] == [(rule, CLIENT)]
    (kept,) = store.findings(TENANT)
    assert (kept.status, kept.times_seen, kept.first_seen, kept.resolved_at) == (
        "open",
        2,
        T0 + timedelta(hours=2),
        None,
    )


def test_runs_come_back_newest_first_and_latest_per_tenant(store: StateStore) -> None:
    for n in range(3):
        started = T0 + timedelta(minutes=15 * n)
        store.save_run(RunRecord(TENANT, f"run-{n}", started, started, started, "ok", {"findings": n}))
    assert [r.run_id for r in store.runs(TENANT, limit=2)] == ["run-2", "run-1"]
    (latest,) = store.latest_runs()
    assert (latest.run_id, latest.summary) == ("run-2", {"findings": 2})


def test_tap_issuances_upsert_by_audit_id_and_come_back_oldest_first(store: StateStore) -> None:
    from monitor.rules.cases._builders import ALICE, BOB, issuance

    older, newer = issuance(BOB, 40, n=2, lifetime=None, once=None), issuance(ALICE, 30)
    store.save_tap_issuances(TENANT, [newer, older])
    # A later pass sees the pass spent: the same audit id, new usability.
    spent = replace(newer, usability="OneTimeUsed")
    store.save_tap_issuances(TENANT, [spent])
    assert store.tap_issuances(TENANT, T0 - timedelta(days=3)) == [older, spent]
    assert store.tap_issuances(TENANT, newer.issued_at) == [spent]


def test_tap_signins_round_trip_with_their_issuance_and_history(store: StateStore) -> None:
    from monitor.rules.cases._builders import ALICE, BOB, tap_signin

    first = tap_signin(ALICE, 29, n=1, prior=())
    second = tap_signin(BOB, 2, n=2, country="NG", prior=("DE", "FR"), risk="high")
    no_history = replace(tap_signin(ALICE, 1, n=3), prior_countries=None, issuance=None)
    store.save_tap_signins(TENANT, [second, first, no_history])
    store.save_tap_signins(TENANT, [second])
    assert store.tap_signins(TENANT, T0 - timedelta(days=2), T0 + timedelta(hours=3)) == [
        first,
        second,
        no_history,
    ]
    assert store.tap_signins(TENANT, T0, T0 + timedelta(hours=3)) == [second, no_history]


def test_inventory_records_what_changed_and_when(store: StateStore) -> None:
    first = store.save_inventory(
        TENANT, "device", {"d1": {"edition": "Pro"}, "d2": {"edition": "Enterprise"}}, T0
    )
    assert (first.added, first.changed, first.removed) == (("d1", "d2"), (), ())

    later = T0 + timedelta(hours=1)
    second = store.save_inventory(
        TENANT, "device", {"d1": {"edition": "Enterprise"}, "d3": {"edition": "Pro"}}, later
    )
    assert (second.added, second.changed, second.removed) == (("d3",), ("d1",), ("d2",))

    kept = store.inventory(TENANT, "device")
    assert {k: (v.state, v.first_seen, v.changed_at, v.present) for k, v in kept.items()} == {
        "d1": ({"edition": "Enterprise"}, T0, later, True),
        "d2": ({"edition": "Enterprise"}, T0, later, False),
        "d3": ({"edition": "Pro"}, later, later, True),
    }
    assert store.inventory(TENANT, "policy") == {}


def test_an_unchanged_inventory_changes_nothing(store: StateStore) -> None:
    items = {"TemporaryAccessPass": {"state": "enabled", "includeTargets": ["all_users"]}}
    store.save_inventory(TENANT, "tap-policy", items, T0)
    again = store.save_inventory(TENANT, "tap-policy", items, T0 + timedelta(hours=1))
    assert (again.added, again.changed, again.removed) == ((), (), ())
    assert store.inventory(TENANT, "tap-policy")["TemporaryAccessPass"].changed_at == T0
