"""Mapping Graph sign-ins into PinResetSignIn, hourly tallies, and the polling window."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from monitor.collectors.signins import (
    HourlyTally,
    pin_reset_signin,
    polling_window,
    signin_queries,
)
from monitor.entra import PIN_RESET_CLIENT_APP_ID as CLIENT
from monitor.entra import PIN_RESET_SERVICE_APP_ID as SERVICE
from monitor.records import SignInHour

NOW = datetime(2026, 11, 20, 12, 0, tzinfo=UTC)


def graph_signin(**changes: Any) -> dict[str, Any]:
    item: dict[str, Any] = {
        "id": "66ea54eb-6301-4ee5-be62-ff5a759b0100",
        "createdDateTime": "2026-11-20T10:15:30.1234567Z",
        "userDisplayName": "Adele Vance",
        "userPrincipalName": "adelev@contoso.com",
        "userId": "8a7c1e4b-0000-4000-8000-000000000001",
        "appId": CLIENT,
        "appDisplayName": "Microsoft Pin Reset Client Production",
        "resourceId": SERVICE,
        "resourceDisplayName": "Microsoft Pin Reset Service Production",
        "ipAddress": "203.0.113.7",
        "status": {
            "errorCode": 500011,
            "failureReason": "The resource principal was not found.",
            "additionalDetails": None,
        },
        "deviceDetail": {
            "deviceId": "d-1",
            "displayName": "PC-1",
            "operatingSystem": "Windows10",
            "trustType": "Azure AD joined",
        },
        "location": {"city": "Berlin", "countryOrRegion": "DE"},
        "signInEventTypes": ["nonInteractiveUser"],
        "isInteractive": False,
        "correlationId": "c-1",
    }
    item.update(changes)
    return item


def test_a_full_signin_maps_every_field() -> None:
    signin = pin_reset_signin(graph_signin())
    assert signin is not None
    assert signin.created == datetime(2026, 11, 20, 10, 15, 30, 123456, tzinfo=UTC)
    assert (signin.app_id, signin.resource_id, signin.user_principal_name) == (
        CLIENT,
        SERVICE,
        "adelev@contoso.com",
    )
    assert (signin.error_code, signin.error_class, signin.succeeded) == (500011, "consent-missing", False)
    assert (signin.device_id, signin.device_name, signin.operating_system) == ("d-1", "PC-1", "Windows10")
    assert (signin.ip_address, signin.country, signin.interactive, signin.correlation_id) == (
        "203.0.113.7",
        "DE",
        False,
        "c-1",
    )


def test_missing_optional_parts_become_defaults_not_crashes() -> None:
    signin = pin_reset_signin(
        graph_signin(
            deviceDetail=None,
            location="nowhere",
            userPrincipalName=None,
            signInEventTypes=None,
            isInteractive=None,
        )
    )
    assert signin is not None
    assert (signin.device_id, signin.country, signin.user_principal_name, signin.interactive) == (
        "",
        "",
        "",
        True,
    )


def test_a_signin_without_id_time_or_result_is_refused() -> None:
    assert pin_reset_signin(graph_signin(id=None)) is None
    assert pin_reset_signin(graph_signin(createdDateTime="yesterday")) is None
    assert pin_reset_signin(graph_signin(status={"failureReason": "x"})) is None
    assert pin_reset_signin(graph_signin(status={"errorCode": "500011"})) is None
    assert pin_reset_signin(graph_signin(status={"errorCode": True})) is None


def test_tally_counts_by_hour_app_and_code_with_first_last_and_sample_users() -> None:
    tally = HourlyTally()
    for minute, code, user in [(5, 0, "a"), (50, 0, "b"), (20, 0, "a"), (59, 65001, "c")]:
        signin = pin_reset_signin(
            graph_signin(
                id=f"id-{minute}",
                createdDateTime=f"2026-11-20T10:{minute:02d}:00Z",
                status={"errorCode": code},
                userPrincipalName=user,
            )
        )
        assert signin is not None
        tally.add(signin)
    start = datetime(2026, 11, 20, 10, tzinfo=UTC)
    assert tally.hours() == (
        SignInHour(
            start, CLIENT, 0, 3, start + timedelta(minutes=5), start + timedelta(minutes=50), ("a", "b")
        ),
        SignInHour(
            start, CLIENT, 65001, 1, start + timedelta(minutes=59), start + timedelta(minutes=59), ("c",)
        ),
    )


def test_first_pass_reads_the_lookback_from_an_hour_boundary() -> None:
    now = NOW + timedelta(minutes=17)
    assert polling_window(None, now, timedelta(hours=3), timedelta(days=14)) == (
        datetime(2026, 11, 6, 12, tzinfo=UTC),
        now,
    )


def test_later_passes_reread_the_overlap_from_an_hour_boundary() -> None:
    checkpoint = NOW - timedelta(minutes=15)
    assert polling_window(checkpoint, NOW, timedelta(hours=3), timedelta(days=14)) == (
        datetime(2026, 11, 20, 8, tzinfo=UTC),
        NOW,
    )


def test_an_old_checkpoint_is_capped_at_the_lookback() -> None:
    assert polling_window(NOW - timedelta(days=60), NOW, timedelta(hours=3), timedelta(days=14))[
        0
    ] == NOW - timedelta(days=14)


def test_four_queries_one_per_app_and_field_each_asking_for_both_signin_kinds() -> None:
    queries = signin_queries(datetime(2026, 11, 20, 9, tzinfo=UTC), NOW)
    assert [(field, app) for field, app, _ in queries] == [
        ("appId", SERVICE),
        ("appId", CLIENT),
        ("resourceId", SERVICE),
        ("resourceId", CLIENT),
    ]
    assert queries[1][2]["$filter"] == (
        "createdDateTime ge 2026-11-20T09:00:00Z and createdDateTime le 2026-11-20T12:00:00Z"
        f" and appId eq '{CLIENT}'"
        " and signInEventTypes/any(t: t eq 'interactiveUser' or t eq 'nonInteractiveUser')"
    )
    assert queries[1][2]["$top"] == 1000


def test_a_checkpoint_after_now_reads_the_overlap_before_now() -> None:
    assert polling_window(NOW + timedelta(days=2), NOW, timedelta(hours=3), timedelta(days=14)) == (
        datetime(2026, 11, 20, 9, tzinfo=UTC),
        NOW,
    )
