"""Configuration: defaults, overrides, and every problem reported at once."""

from __future__ import annotations

import pytest

from monitor.settings import Settings, SettingsError
from monitor.thresholds import Thresholds


def test_defaults_need_nothing_for_a_scan() -> None:
    settings = Settings.from_env({})
    assert (settings.graph_endpoint, settings.graph_credential, settings.has_storage) == (
        "https://graph.microsoft.com",
        "managed-identity",
        False,
    )
    assert settings.thresholds == Thresholds()


def test_a_pass_that_keeps_state_requires_storage() -> None:
    with pytest.raises(SettingsError) as failure:
        Settings.from_env({}, require_storage=True)
    assert failure.value.problems == [
        "MONITOR_STORAGE_CONNECTION_STRING or MONITOR_STORAGE_ENDPOINT is required to keep state"
    ]


def test_thresholds_are_overridden_by_app_settings() -> None:
    settings = Settings.from_env({"MONITOR_CONSENT_ERROR_WINDOW_HOURS": "48"})
    assert settings.thresholds.consent_error_window_hours == 48


def test_every_problem_is_reported_at_once() -> None:
    with pytest.raises(SettingsError) as failure:
        Settings.from_env(
            {
                "MONITOR_GRAPH_ENDPOINT": "http://graph.example.com",
                "MONITOR_GRAPH_CREDENTIAL": "simulator",
                "MONITOR_TABLE_PREFIX": "pin-mon",
                "MONITOR_CONSENT_ERROR_WINDOW_HOURS": "a day",
                "MONITOR_SIGNIN_LOOKBACK_DAYS": "45",
            }
        )
    assert failure.value.problems == [
        "MONITOR_GRAPH_CREDENTIAL=simulator only works with a loopback MONITOR_GRAPH_ENDPOINT",
        "MONITOR_GRAPH_ENDPOINT must use https unless it is on loopback",
        "MONITOR_TABLE_PREFIX must be letters and digits, starting with a letter, got 'pin-mon'",
        "MONITOR_CONSENT_ERROR_WINDOW_HOURS must be an integer, got 'a day'",
        "MONITOR_SIGNIN_LOOKBACK_DAYS cannot exceed 30: Entra keeps sign-ins 30 days at most",
    ]


def test_the_connection_string_is_not_shown_in_repr() -> None:
    settings = Settings.from_env({"MONITOR_STORAGE_CONNECTION_STRING": "AccountName=a;AccountKey=secret"})
    assert "secret" not in repr(settings)


@pytest.mark.parametrize(
    ("value", "problem"),
    [
        ("AccountKey=secret", "MONITOR_STORAGE_CONNECTION_STRING names no AccountName"),
        (
            "not a connection string",
            "MONITOR_STORAGE_CONNECTION_STRING must be key=value pairs separated by ';'",
        ),
        ("AccountName=a;Password=secret", "MONITOR_STORAGE_CONNECTION_STRING has unknown keys: password"),
    ],
)
def test_a_malformed_connection_string_is_a_configuration_problem_that_quotes_none_of_it(
    value: str, problem: str
) -> None:
    with pytest.raises(SettingsError) as raised:
        Settings.from_env({"MONITOR_STORAGE_CONNECTION_STRING": value})
    assert raised.value.problems == [problem]
    assert "secret" not in str(raised.value)


@pytest.mark.parametrize(
    ("raw", "entra_auth", "client_id"),
    [
        ("", False, ""),
        ("Authorization=AAD", True, ""),
        (
            "ClientId=4f1c2a9e-0000-4000-8000-000000000001;Authorization=AAD",
            True,
            "4f1c2a9e-0000-4000-8000-000000000001",
        ),
    ],
    ids=["key-based", "system-assigned", "user-assigned"],
)
def test_the_application_insights_authentication_string_names_the_identity(
    raw: str, entra_auth: bool, client_id: str
) -> None:
    settings = Settings.from_env({"APPLICATIONINSIGHTS_AUTHENTICATION_STRING": raw})
    assert (settings.applicationinsights_entra_auth, settings.applicationinsights_client_id) == (
        entra_auth,
        client_id,
    )


def test_telemetry_settings_that_cannot_work_are_listed() -> None:
    with pytest.raises(SettingsError) as failure:
        Settings.from_env(
            {
                "APPLICATIONINSIGHTS_CONNECTION_STRING": "not-a-connection-string",
                "APPLICATIONINSIGHTS_AUTHENTICATION_STRING": "ClientId=abc",
                "OTEL_EXPORTER_OTLP_ENDPOINT": "collector:4318",
            }
        )
    assert failure.value.problems == [
        "APPLICATIONINSIGHTS_CONNECTION_STRING must be a key=value;... connection string",
        "APPLICATIONINSIGHTS_AUTHENTICATION_STRING must be 'Authorization=AAD' "
        "or 'ClientId=<client id>;Authorization=AAD'",
        "OTEL_EXPORTER_OTLP_ENDPOINT must be an http(s) URL, got 'collector:4318'",
    ]


def test_the_application_insights_connection_string_is_not_shown_in_repr() -> None:
    settings = Settings.from_env({"APPLICATIONINSIGHTS_CONNECTION_STRING": "InstrumentationKey=secret-key"})
    assert "secret-key" not in repr(settings)


def test_the_pass_queue_is_on_the_function_apps_own_storage() -> None:
    by_identity = Settings.from_env({"AzureWebJobsStorage__accountName": "pinmonstore"})
    local = Settings.from_env(
        {
            "MONITOR_STORAGE_CONNECTION_STRING": "AccountName=devstoreaccount1;QueueEndpoint=http://127.0.0.1:1/x"
        }
    )

    assert (by_identity.queue_endpoint, by_identity.queue_connection_string) == (
        "https://pinmonstore.queue.core.windows.net",
        "",
    )
    assert local.queue_connection_string == "AccountName=devstoreaccount1;QueueEndpoint=http://127.0.0.1:1/x"
    assert Settings.from_env({"AzureWebJobsStorage": "UseDevelopmentStorage=true"}).has_queue is False


def test_ingestion_limits_and_key_digests_are_checked() -> None:
    with pytest.raises(SettingsError) as failure:
        Settings.from_env(
            {"MONITOR_INGEST_KEY_SHA256": "abc, " + "0" * 64, "MONITOR_INGEST_MAX_BODY_BYTES": "10"}
        )
    assert failure.value.problems == [
        "MONITOR_INGEST_KEY_SHA256 must be SHA-256 digests in hex, comma-separated (1 are not)",
        "MONITOR_INGEST_MAX_BODY_BYTES must be at least 1024, got '10'",
    ]


# -- bad values get one line with the bounds, never a traceback or a secret ------------------------


@pytest.mark.parametrize(
    ("name", "value", "problem"),
    [
        (
            "MONITOR_PASS_LEASE_MINUTES",
            "1000000000000",
            "MONITOR_PASS_LEASE_MINUTES must be between 1 and 1440, got '1000000000000'",
        ),
        (
            "MONITOR_PASS_LEASE_MINUTES",
            "10**12",
            "MONITOR_PASS_LEASE_MINUTES must be an integer, got '10**12'",
        ),
        (
            "MONITOR_ALERT_REMINDER_HOURS",
            "1e308",
            "MONITOR_ALERT_REMINDER_HOURS must be between 0.25 and 8760, got '1e308'",
        ),
        (
            "MONITOR_ALERT_REMINDER_HOURS",
            "inf",
            "MONITOR_ALERT_REMINDER_HOURS must be a finite number, got 'inf'",
        ),
        (
            "MONITOR_GRAPH_RETRY_DELAY_SECONDS",
            "nan",
            "MONITOR_GRAPH_RETRY_DELAY_SECONDS must be a finite number, got 'nan'",
        ),
        (
            "MONITOR_PASS_BUDGET_SECONDS",
            "nan",
            "MONITOR_PASS_BUDGET_SECONDS must be a finite number, got 'nan'",
        ),
        (
            "MONITOR_ALERT_REQUEST_TIMEOUT_SECONDS",
            "NaN",
            "MONITOR_ALERT_REQUEST_TIMEOUT_SECONDS must be a finite number, got 'NaN'",
        ),
        (
            "MONITOR_ALERT_REQUEST_TIMEOUT_SECONDS",
            "-inf",
            "MONITOR_ALERT_REQUEST_TIMEOUT_SECONDS must be a finite number, got '-inf'",
        ),
        (
            "MONITOR_ALERT_RETRY_MAX_MINUTES",
            "1e20",
            "MONITOR_ALERT_RETRY_MAX_MINUTES must be between 0 and 43200, got '1e20'",
        ),
        (
            "MONITOR_ALERT_SETTLE_MINUTES",
            "1e20",
            "MONITOR_ALERT_SETTLE_MINUTES must be between 0 and 10080, got '1e20'",
        ),
        (
            "MONITOR_PASS_DEBOUNCE_SECONDS",
            "99999999999",
            "MONITOR_PASS_DEBOUNCE_SECONDS must be between 0 and 86400, got '99999999999'",
        ),
        (
            "MONITOR_PASS_WAIT_SECONDS",
            "99999999999",
            "MONITOR_PASS_WAIT_SECONDS must be between 0 and 3600, got '99999999999'",
        ),
        (
            "MONITOR_SIGNIN_OVERLAP_MINUTES",
            "99999999999",
            "MONITOR_SIGNIN_OVERLAP_MINUTES must be between 0 and 43200, got '99999999999'",
        ),
        (
            "MONITOR_TAP_HISTORY_DAYS",
            "99999999999",
            "MONITOR_TAP_HISTORY_DAYS must be between 1 and 3650, got '99999999999'",
        ),
        (
            "MONITOR_DEVICE_INACTIVE_DAYS",
            "99999999999",
            "MONITOR_DEVICE_INACTIVE_DAYS must be between 0 and 3650, got '99999999999'",
        ),
        ("MONITOR_SPIKE_RATIO", "inf", "MONITOR_SPIKE_RATIO must be a finite number, got 'inf'"),
        ("MONITOR_ALERT_MAX_ATTEMPTS", "²", "MONITOR_ALERT_MAX_ATTEMPTS must be an integer, got '²'"),
    ],
)
def test_a_value_out_of_bounds_is_one_line_with_the_bounds(name: str, value: str, problem: str) -> None:
    with pytest.raises(SettingsError) as failure:
        Settings.from_env({name: value})

    assert failure.value.problems == [problem]


def test_a_value_at_a_bound_is_accepted() -> None:
    settings = Settings.from_env(
        {"MONITOR_PASS_LEASE_MINUTES": "1440", "MONITOR_ALERT_REMINDER_HOURS": "8760"}
    )

    assert (settings.pass_lease_minutes, settings.alerts.reminder_hours) == (1440, 8760.0)


@pytest.mark.parametrize(
    "endpoint",
    [
        "ftp://admin:hunter2secret@graph.example.com",
        "https://admin:hunter2secret@graph.example.com",
        "http://admin:hunter2secret@[::1",
        "https://admin:hunter2secret@graph.example.com:notaport",
    ],
)
def test_a_password_in_the_graph_endpoint_is_never_echoed(endpoint: str) -> None:
    from tests import entry as service

    with pytest.raises(SettingsError) as failure:
        Settings.from_env({"MONITOR_GRAPH_ENDPOINT": endpoint})

    assert "hunter2secret" not in str(failure.value)
    assert len(failure.value.problems) == 1
    report = service.health({"MONITOR_GRAPH_ENDPOINT": endpoint})
    assert report.status == "unhealthy"
    assert "hunter2secret" not in str(report.to_json())
