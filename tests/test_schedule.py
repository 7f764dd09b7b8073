"""NCRONTAB schedules as the Functions timer takes them, and the staleness health derives from them."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from monitor.schedule import Schedule, ScheduleError
from monitor.service.health import stale_after
from monitor.settings import Settings, SettingsError

MONDAY = datetime(2026, 11, 16, 0, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    ("text", "gap"),
    [
        ("0 */15 * * * *", timedelta(minutes=15)),
        ("0 0 * * * *", timedelta(hours=1)),
        ("0 30 9 * * 1-5", timedelta(days=3)),  # Friday 09:30 to Monday 09:30
        ("0 0 6 * * Mon", timedelta(days=7)),
        ("*/30 * * * * *", timedelta(seconds=30)),
        ("0 5,35 * * * *", timedelta(minutes=30)),
    ],
)
def test_the_longest_gap_between_runs(text: str, gap: timedelta) -> None:
    assert Schedule.parse(text).longest_gap(MONDAY) == gap


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (
            "every tuesday",
            "an NCRONTAB schedule has six fields (second minute hour day month day-of-week), got 2",
        ),
        (
            "0 */15 * * *",
            "an NCRONTAB schedule has six fields (second minute hour day month day-of-week), got 5",
        ),
        ("0 61 * * * *", "minute '61' is outside 0-59"),
        ("0 */0 * * * *", "minute step '0' is not a positive number"),
        ("0 0 * * Smarch *", "month 'Smarch' is not a number"),
    ],
)
def test_a_schedule_that_is_not_ncrontab_is_refused_with_the_reason(text: str, message: str) -> None:
    with pytest.raises(ScheduleError) as raised:
        Schedule.parse(text)
    assert str(raised.value) == message


def test_settings_list_a_bad_schedule_with_the_other_problems() -> None:
    with pytest.raises(SettingsError) as raised:
        Settings.from_env({"MONITOR_POLL_SCHEDULE": "every tuesday", "MONITOR_TAP_SIGNIN_MODE": "psychic"})
    assert raised.value.problems == [
        "MONITOR_POLL_SCHEDULE 'every tuesday' is not an NCRONTAB schedule: an NCRONTAB schedule has six "
        "fields (second minute hour day month day-of-week), got 2",
        "MONITOR_TAP_SIGNIN_MODE must be one of targeted, full-scan, got 'psychic'",
    ]


@pytest.mark.parametrize("setting", ["MONITOR_POLL_SCHEDULE", "MONITOR_WEEKLY_SCHEDULE"])
@pytest.mark.parametrize(
    ("text", "reason"),
    [
        (
            "0 0 7 * Mon",
            "an NCRONTAB schedule has six fields (second minute hour day month day-of-week), got 5",
        ),
        ("0 0 7 * * Funday", "day of week 'Funday' is not a number"),
        ("0 0 25 * * Mon", "hour '25' is outside 0-23"),
    ],
)
def test_both_schedules_are_checked_by_the_same_parser(setting: str, text: str, reason: str) -> None:
    with pytest.raises(SettingsError) as raised:
        Settings.from_env({setting: text})
    assert raised.value.problems == [f"{setting} {text!r} is not an NCRONTAB schedule: {reason}"]


def test_a_weekly_schedule_with_day_names_is_taken() -> None:
    assert Settings.from_env({"MONITOR_WEEKLY_SCHEDULE": "0 0 7 * * Mon"}).weekly_schedule == "0 0 7 * * Mon"


def test_health_calls_a_pass_stale_after_two_intervals_and_ten_minutes() -> None:
    every_quarter = Settings(poll_schedule="0 */15 * * * *")
    assert stale_after(every_quarter, MONDAY) == timedelta(minutes=40)
    assert stale_after(Settings(), MONDAY) == timedelta(hours=2)
