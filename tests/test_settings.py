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
