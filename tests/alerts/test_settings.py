"""The alert settings (monitor/alerts/settings.py): each numeric setting declares its app setting and
bounds on its field, and the parser refuses a value outside them with the same words as every other
numeric setting."""

from __future__ import annotations

import pytest

from monitor.alerts.settings import AlertSettings
from monitor.settings import Settings, SettingsError

NUMERIC = AlertSettings.numeric()


def test_every_numeric_alert_setting_declares_its_app_setting_and_bounds() -> None:
    assert {name: d["setting"] for name, d in NUMERIC.items()} == {
        "reminder_hours": "MONITOR_ALERT_REMINDER_HOURS",
        "settle_minutes": "MONITOR_ALERT_SETTLE_MINUTES",
        "digest_threshold": "MONITOR_ALERT_DIGEST_THRESHOLD",
        "max_attempts": "MONITOR_ALERT_MAX_ATTEMPTS",
        "retry_base_minutes": "MONITOR_ALERT_RETRY_BASE_MINUTES",
        "retry_max_minutes": "MONITOR_ALERT_RETRY_MAX_MINUTES",
        "request_timeout_seconds": "MONITOR_ALERT_REQUEST_TIMEOUT_SECONDS",
    }
    defaults = AlertSettings()
    for name, declared in NUMERIC.items():
        assert declared["minimum"] <= getattr(defaults, name) <= declared["maximum"], name


@pytest.mark.parametrize("name", list(NUMERIC))
def test_a_value_past_its_declared_bound_is_refused(name: str) -> None:
    declared = NUMERIC[name]
    too_big = str(int(declared["maximum"]) + 1)
    with pytest.raises(SettingsError) as raised:
        Settings.from_env({declared["setting"]: too_big})
    assert raised.value.problems == [
        f"{declared['setting']} must be between {declared['minimum']:g} and {declared['maximum']:g}, "
        f"got {too_big!r}"
    ]


@pytest.mark.parametrize("name", list(NUMERIC))
def test_a_value_at_its_declared_bounds_is_taken(name: str) -> None:
    declared = NUMERIC[name]
    kind = type(getattr(AlertSettings(), name))
    for bound in (declared["minimum"], declared["maximum"]):
        text = str(kind(bound))
        assert getattr(Settings.from_env({declared["setting"]: text}).alerts, name) == kind(bound)
