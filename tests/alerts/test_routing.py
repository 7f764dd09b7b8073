"""Alert routing and destinations from app settings: severities and rule globs to destinations,
several destinations per channel, a default route, and every problem listed at once."""

from __future__ import annotations

import pytest

from monitor.alerts.settings import AlertRoute
from monitor.settings import Settings, SettingsError

BASE = {
    "MONITOR_ALERT_DESTINATIONS": "identity=teams, helpdesk=teams, soc=webhook, admins=email",
    "MONITOR_ALERT_IDENTITY_URL": "https://contoso.westeurope.logic.azure.com/workflows/1",
    "MONITOR_ALERT_HELPDESK_URL": "https://default.environment.api.powerplatform.com/workflows/2",
    "MONITOR_ALERT_SOC_URL": "https://siem.contoso.com/hooks/pin-reset",
    "MONITOR_ALERT_SOC_HMAC_KEY": "a-long-random-shared-secret",
    "MONITOR_ALERT_ADMINS_RECIPIENTS": "alex@contoso.com, sam@contoso.com",
    "MONITOR_ALERT_EMAIL_SENDER": "pinreset-monitor@contoso.com",
    "MONITOR_ALERT_ROUTES": '[{"severities": ["critical", "high"], "rules": ["consent.*"], '
    '"to": ["identity"]}, {"rules": ["device.*"], "to": ["helpdesk"]}, '
    '{"rules": ["tap.*"], "to": ["soc", "admins"]}]',
    "MONITOR_ALERT_DEFAULT_ROUTE": "admins",
}


def settings(**changes: str) -> Settings:
    return Settings.from_env(BASE | changes)


def test_destinations_are_read_with_their_secrets_kept_out_of_repr() -> None:
    alerts = settings().alerts

    assert [(d.name, d.channel) for d in alerts.destinations] == [
        ("identity", "teams"),
        ("helpdesk", "teams"),
        ("soc", "webhook"),
        ("admins", "email"),
    ]
    assert alerts.destination("admins") is not None
    assert alerts.destination("admins").recipients == ("alex@contoso.com", "sam@contoso.com")  # type: ignore[union-attr]
    assert "logic.azure.com" not in repr(alerts)
    assert "shared-secret" not in repr(alerts)
    assert "alex@contoso.com" not in repr(alerts)


@pytest.mark.parametrize(
    ("rule", "severity", "destinations"),
    [
        ("consent.pin-reset-service.missing", "high", ("identity",)),
        ("consent.pin-reset-app.disabled", "medium", ("admins",)),  # severity not routed: default
        ("device.pin-reset.unsupported-os", "medium", ("helpdesk",)),
        ("tap.signin.risky", "high", ("soc", "admins")),
        ("policy.pin-recovery.not-configured", "high", ("admins",)),
    ],
)
def test_each_finding_goes_where_its_routes_say_or_to_the_default(
    rule: str, severity: str, destinations: tuple[str, ...]
) -> None:
    assert settings().alerts.route(rule, severity) == destinations


def test_every_matching_route_adds_its_destinations_once() -> None:
    alerts = settings(
        MONITOR_ALERT_ROUTES='[{"rules": ["tap.*"], "to": ["soc"]}, '
        '{"severities": ["high"], "to": ["soc", "identity"]}]'
    ).alerts

    assert alerts.routes == (
        AlertRoute(("soc",), (), ("tap.*",)),
        AlertRoute(("soc", "identity"), ("high",), ()),
    )
    assert alerts.route("tap.signin.risky", "high") == ("soc", "identity")


def test_destinations_without_any_routing_receive_everything() -> None:
    alerts = settings(MONITOR_ALERT_ROUTES="", MONITOR_ALERT_DEFAULT_ROUTE="").alerts

    assert alerts.route("tap.policy.disabled", "low") == ("admins", "helpdesk", "identity", "soc")


def test_no_destinations_means_no_notices() -> None:
    alerts = Settings.from_env({}).alerts

    assert (alerts.destinations, alerts.route("tap.policy.disabled", "high")) == ((), ())
    assert (alerts.reminder_hours, alerts.settle_minutes, alerts.digest_threshold) == (24.0, 30.0, 5)


def test_every_alert_setting_problem_is_listed_at_once_without_its_secret_value() -> None:
    with pytest.raises(SettingsError) as failure:
        Settings.from_env(
            BASE
            | {
                "MONITOR_ALERT_DESTINATIONS": "identity=teams, soc=webhook, admins=email, Pager=sms, "
                "ops=pager",
                "MONITOR_ALERT_IDENTITY_URL": "http://contoso.logic.azure.com/workflows/1",
                "MONITOR_ALERT_SOC_HMAC_KEY": "short",
                "MONITOR_ALERT_ADMINS_RECIPIENTS": "alex@contoso.com, not-an-address",
                "MONITOR_ALERT_ROUTES": '[{"severities": ["urgent"], "to": ["identity"]}, '
                '{"to": ["nobody"]}]',
                "MONITOR_ALERT_REMINDER_HOURS": "soon",
                "MONITOR_ALERT_EMAIL_TRANSPORT": "smtp",
            }
        )
    assert failure.value.problems == [
        "MONITOR_ALERT_IDENTITY_URL must use https unless it is on loopback",
        "MONITOR_ALERT_SOC_HMAC_KEY must be set to at least 16 characters for soc",
        "MONITOR_ALERT_ADMINS_RECIPIENTS: entries [2] are not email addresses",
        "MONITOR_ALERT_DESTINATIONS: destination name 'Pager' must be lower-case letters, digits and '-', "
        "starting with a letter",
        "MONITOR_ALERT_DESTINATIONS: ops needs a channel (teams, email, webhook), got 'pager'",
        "MONITOR_ALERT_ROUTES route 1: severities must be a list of critical, high, medium, low, info",
        "MONITOR_ALERT_ROUTES route 2: unknown destination(s) nobody",
        "MONITOR_ALERT_EMAIL_TRANSPORT must be one of graph, acs, got 'smtp'",
        "MONITOR_ALERT_REMINDER_HOURS must be a number, got 'soon'",
    ]
    assert "contoso.logic.azure.com" not in str(failure.value)


def test_acs_needs_its_connection_string() -> None:
    with pytest.raises(SettingsError) as failure:
        settings(MONITOR_ALERT_EMAIL_TRANSPORT="acs")
    assert failure.value.problems == [
        "MONITOR_ALERT_ACS_CONNECTION_STRING is required with MONITOR_ALERT_EMAIL_TRANSPORT=acs"
    ]
