"""The signed links in alert messages: a token grants acknowledging or snoozing one alert's cycle until
it expires, and nothing else; links are made only when configured, only for notices that ask for action.
The clock is injected: these tests never read the time."""

from __future__ import annotations

from datetime import timedelta

import pytest

from monitor.alerts import links
from monitor.settings import Settings, SettingsError
from tests.alerts.support import T0

KEY = b"k" * 32
ALERT = "3f9c0a1b2c4d"
OTHER = "77a126504e36"
PUBLIC = "https://pinmon-abc.azurewebsites.net"


def test_a_token_round_trips_to_its_grant() -> None:
    token = links.sign(KEY, ALERT, 2, "teams", T0)

    grant = links.verify(KEY, token, ALERT, T0 + timedelta(days=6, hours=23))

    assert grant == links.Grant(ALERT, 2, "teams", ("ack", "snooze"), T0 + links.LINK_LIFETIME)
    assert grant.acknowledger == "link in Teams"
    assert (
        links.verify(KEY, links.sign(KEY, ALERT, 1, "email", T0), ALERT, T0).acknowledger == "link in email"
    )


def test_a_token_expires_after_its_lifetime() -> None:
    token = links.sign(KEY, ALERT, 1, "teams", T0)

    with pytest.raises(links.LinkError) as refused:
        links.verify(KEY, token, ALERT, T0 + links.LINK_LIFETIME)

    assert str(refused.value) == (
        "this link expired on 27 Nov 2026, 12:00 UTC; the next reminder about this alert brings a fresh one"
    )


def test_a_token_for_another_alert_grants_nothing() -> None:
    token = links.sign(KEY, OTHER, 1, "teams", T0)

    with pytest.raises(links.LinkError, match=r"^this link is not valid for this alert"):
        links.verify(KEY, token, ALERT, T0)


def test_a_token_signed_with_another_key_grants_nothing() -> None:
    token = links.sign(b"x" * 32, ALERT, 1, "teams", T0)

    with pytest.raises(links.LinkError, match=r"^this link is not valid for this alert"):
        links.verify(KEY, token, ALERT, T0)


@pytest.mark.parametrize(
    ("part", "value"),
    [(0, "3"), (1, "99999999999"), (2, "email"), (3, "ack"), (4, "A" * 43)],
    ids=["cycle", "expiry", "channel", "actions", "signature"],
)
def test_changing_any_part_of_a_token_voids_it(part: int, value: str) -> None:
    parts = links.sign(KEY, ALERT, 1, "teams", T0).split(".")
    parts[part] = value

    with pytest.raises(links.LinkError, match=r"^this link is not valid for this alert"):
        links.verify(KEY, ".".join(parts), ALERT, T0)


@pytest.mark.parametrize("token", ["", "abc", "1.2.teams.ack.short", "1.2.teams.ack." + "é" * 43, "x" * 5000])
def test_a_damaged_token_is_refused_with_a_reason(token: str) -> None:
    with pytest.raises(links.LinkError, match=r"^this link is incomplete or damaged"):
        links.verify(KEY, token, ALERT, T0)


def test_a_token_can_allow_fewer_actions() -> None:
    token = links.sign(KEY, ALERT, 1, "teams", T0, actions=["snooze"])

    assert links.verify(KEY, token, ALERT, T0).actions == ("snooze",)


def test_no_key_makes_no_token_and_verifies_none() -> None:
    with pytest.raises(links.LinkError):
        links.sign(b"", ALERT, 1, "teams", T0)
    with pytest.raises(links.LinkError, match="not configured"):
        links.verify(b"", links.sign(KEY, ALERT, 1, "teams", T0), ALERT, T0)


def item(alert_id: str, event: str, cycle: int = 1) -> dict[str, object]:
    return {"event": event, "alert": {"id": alert_id, "cycle": cycle}}


def test_links_go_to_opened_and_reminder_notices_only() -> None:
    made = links.alert_links(
        [item(ALERT, "opened"), item(OTHER, "resolved"), item("0123456789ab", "reminder", 3)],
        KEY,
        PUBLIC + "/",
        "teams",
        T0,
    )

    assert sorted(made) == ["0123456789ab", ALERT]
    token = links.sign(KEY, ALERT, 1, "teams", T0).replace("+", "%2B")
    assert made[ALERT] == f"{PUBLIC}/api/confirm/{ALERT}?token={token}"


@pytest.mark.parametrize(("key", "url"), [(b"", PUBLIC), (KEY, ""), (KEY, "not a url")])
def test_no_links_without_both_the_key_and_the_public_url(key: bytes, url: str) -> None:
    assert links.alert_links([item(ALERT, "opened")], key, url, "teams", T0) == {}


def test_a_damaged_notice_gets_no_link() -> None:
    damaged = [{"event": "opened"}, item("not-an-id", "opened"), {"event": "opened", "alert": {"id": ALERT}}]

    assert links.alert_links(damaged, KEY, PUBLIC, "teams", T0) == {}


def test_the_settings_read_the_link_key_and_the_public_url() -> None:
    alerts = Settings.from_env(
        {"MONITOR_ALERT_LINK_KEY": "k" * 32, "MONITOR_PUBLIC_URL": PUBLIC + "/"}
    ).alerts

    assert (alerts.link_key, alerts.public_url) == (KEY, PUBLIC)
    assert "k" * 32 not in repr(alerts)


def test_an_unresolved_key_vault_reference_is_no_key() -> None:
    reference = "@Microsoft.KeyVault(VaultName=kv-pinmon;SecretName=alert-link-key)"

    alerts = Settings.from_env({"MONITOR_ALERT_LINK_KEY": reference, "MONITOR_PUBLIC_URL": PUBLIC}).alerts

    assert alerts.link_key == b""


def test_a_short_link_key_or_a_bad_public_url_is_a_settings_problem() -> None:
    with pytest.raises(SettingsError) as bad:
        Settings.from_env({"MONITOR_ALERT_LINK_KEY": "short", "MONITOR_PUBLIC_URL": "http://example.com"})

    assert bad.value.problems == [
        "MONITOR_ALERT_LINK_KEY must be at least 32 characters",
        "MONITOR_PUBLIC_URL must use https unless it is on loopback",
    ]
    assert "short" not in str(bad.value)
