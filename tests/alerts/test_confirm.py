"""The confirmation page behind the link in an alert message, through the azure-functions library with the
alerts in Azurite: GET shows the alert and changes nothing (the alert tables are byte-identical after it),
only a same-site POST with the link's token acknowledges or snoozes, every refusal is a page with its
reason (403, 404, 409, 503), never a 500. Then the messages: the link is in Teams cards and emails only when
configured, and never in the outbox."""

from __future__ import annotations

import asyncio
import re
from collections.abc import Iterator
from dataclasses import replace
from datetime import timedelta
from email import policy
from email.parser import BytesParser
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlencode, urlsplit

import azure.functions as func
import orjson
import pytest
from azure.data.tables import TableServiceClient

from graphsim import GraphSimulator
from graphsim.receiver import CaptureReceiver
from monitor.alerts import links
from monitor.alerts.model import Alert
from monitor.alerts.process import process_alerts
from monitor.alerts.settings import AlertDestination, AlertSettings
from monitor.graph.session import GraphSession
from monitor.records import utcnow
from monitor.store.alerts import AlertStore
from tests import entry as service
from tests.alerts.support import MAILBOX, T0, TENANT, alert_settings, failing, passing
from tests.support import indexed_functions, simulator_settings

KEY = "a-link-key-of-at-least-32-characters"
PUBLIC = "https://pinmon-abc.azurewebsites.net"
SAME_SITE = {"Origin": PUBLIC, "Content-Type": "application/x-www-form-urlencoded"}


@pytest.fixture(scope="module")
def route() -> Any:
    return indexed_functions()["alert_confirm"].get_user_function()


@pytest.fixture
def configured(azurite: str, table_prefix: str, monkeypatch: pytest.MonkeyPatch) -> dict[str, str]:
    environ = {
        "MONITOR_STORAGE_CONNECTION_STRING": azurite,
        "MONITOR_TABLE_PREFIX": table_prefix,
        "MONITOR_ALERT_LINK_KEY": KEY,
        "MONITOR_PUBLIC_URL": PUBLIC,
    }
    for name, value in environ.items():
        monkeypatch.setenv(name, value)
    return environ


@pytest.fixture
def opened(alert_store: AlertStore, configured: dict[str, str]) -> Alert:
    """An open alert in the same Azurite tables the route reads (no destinations: nothing is sent)."""
    asyncio.run(process_alerts(alert_store, [failing()], TENANT, T0, AlertSettings(), graph=None))
    [alert] = alert_store.alerts(TENANT.id)
    return alert


def token_for(alert: Alert, channel: str = "teams", at: Any = None) -> str:
    return links.sign(KEY.encode(), alert.id, alert.cycle, channel, at or utcnow())


def call(
    route: Any,
    method: str,
    alert_id: str,
    token: str | None,
    form: dict[str, str] | None = None,
    **headers: str,
) -> tuple[int, str, dict[str, str]]:
    params = {"token": token} if token is not None and method == "GET" else {}
    body = urlencode({**({"token": token} if token is not None else {}), **(form or {})}).encode()
    request = func.HttpRequest(
        method,
        f"http://localhost/api/confirm/{alert_id}",
        headers=headers,
        params=params,
        route_params={"alert_id": alert_id},
        body=body if method == "POST" else b"",
    )
    response = route(request)
    return response.status_code, response.get_body().decode(), dict(response.headers)


def tables(connection: str, prefix: str) -> bytes:
    """Every entity of the test's tables with its ETag and timestamp: what 'nothing changed' means."""
    client = TableServiceClient.from_connection_string(connection)
    dump = []
    for table in sorted(t.name for t in client.list_tables() if t.name.startswith(prefix)):
        for entity in client.get_table_client(table).list_entities():
            dump.append((table, sorted((k, repr(v)) for k, v in entity.items()), repr(entity.metadata)))
    return orjson.dumps(sorted(dump, key=repr))


def text_of(page: str) -> str:
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", page)).strip()


def test_the_route_is_an_anonymous_get_and_post_outside_the_function_key_alert_routes() -> None:
    binding = orjson.loads(indexed_functions()["alert_confirm"].get_function_json())["bindings"][0]

    assert (binding["route"], sorted(binding["methods"]), binding["authLevel"]) == (
        "confirm/{alert_id}",
        ["GET", "POST"],
        "ANONYMOUS",
    )


def test_get_shows_the_alert_and_its_buttons_and_changes_nothing(
    route: Any, opened: Alert, configured: dict[str, str]
) -> None:
    before = tables(configured["MONITOR_STORAGE_CONNECTION_STRING"], configured["MONITOR_TABLE_PREFIX"])

    status, page, headers = call(route, "GET", opened.id, token_for(opened))

    assert status == 200
    assert (
        tables(configured["MONITOR_STORAGE_CONNECTION_STRING"], configured["MONITOR_TABLE_PREFIX"]) == before
    )
    text = text_of(page)
    assert "PIN reset service app is not consented Tenant Contoso Severity High State open since" in text
    assert re.findall(r'<button[^>]*value="([^"]+)">([^<]+)</button>', page) == [
        ("ack", "Acknowledge"),
        ("snooze-1d", "Snooze for 1 day"),
        ("snooze-7d", "Snooze for 1 week"),
    ]
    assert "Opening this page changed nothing" in text
    assert "the alert records who acted as “link in Teams”" in text
    assert f'<form method="post" action="/api/confirm/{opened.id}">' in page
    assert (headers["Cache-Control"], headers["X-Frame-Options"], headers["Referrer-Policy"]) == (
        "no-store",
        "DENY",
        "same-origin",
    )
    assert "frame-ancestors 'none'" in headers["Content-Security-Policy"]


def test_get_twice_as_a_link_scanner_would_changes_nothing(
    route: Any, opened: Alert, configured: dict[str, str]
) -> None:
    before = tables(configured["MONITOR_STORAGE_CONNECTION_STRING"], configured["MONITOR_TABLE_PREFIX"])
    token = token_for(opened)

    for _ in range(2):
        assert call(route, "GET", opened.id, token, User_Agent="Safe Links scanner")[0] == 200

    assert (
        tables(configured["MONITOR_STORAGE_CONNECTION_STRING"], configured["MONITOR_TABLE_PREFIX"]) == before
    )


def test_post_acknowledges_the_alert_as_the_link_in_its_channel(
    route: Any, opened: Alert, alert_store: AlertStore
) -> None:
    status, page, _ = call(
        route, "POST", opened.id, token_for(opened, "email"), {"action": "ack"}, **SAME_SITE
    )

    assert status == 200
    assert "Acknowledged: no more reminders about this alert" in text_of(page)
    after = alert_store.alert_by_id(opened.id)
    assert after is not None
    assert after.acknowledged_at is not None
    assert after.acknowledged_by == "link in email"
    assert "Acknowledged" in text_of(page)
    assert ">Acknowledge</button>" not in page


@pytest.mark.parametrize(("action", "days"), [("snooze-1d", 1), ("snooze-7d", 7)])
def test_post_snoozes_the_alert_for_a_day_or_a_week(
    opened: Alert, alert_store: AlertStore, configured: dict[str, str], action: str, days: int
) -> None:
    now = T0 + timedelta(hours=1)
    body = urlencode({"token": token_for(opened, at=now), "action": action}).encode()

    status, page, _ = service.alert_confirm_page("POST", opened.id, {}, SAME_SITE, body, configured, now)

    assert status == 200
    after = alert_store.alert_by_id(opened.id)
    assert after is not None
    assert after.snoozed_until == now + timedelta(days=days)
    assert after.acknowledged_at is None
    until = "21 Nov 2026, 13:00 UTC" if days == 1 else "27 Nov 2026, 13:00 UTC"
    assert f"Snoozed until {until}: no notices about this alert until then." in page.decode()


@pytest.mark.parametrize(
    "headers",
    [
        {"Origin": "https://evil.example"},
        {"Origin": "null"},
        {"Referer": "https://evil.example/page"},
        {},
    ],
    ids=["other-origin", "opaque-origin", "other-referer", "neither"],
)
def test_a_cross_site_post_is_refused_and_changes_nothing(
    route: Any, opened: Alert, configured: dict[str, str], headers: dict[str, str]
) -> None:
    before = tables(configured["MONITOR_STORAGE_CONNECTION_STRING"], configured["MONITOR_TABLE_PREFIX"])

    status, page, _ = call(route, "POST", opened.id, token_for(opened), {"action": "ack"}, **headers)

    assert status == 403
    assert "This form was sent from another site, so it was refused." in page
    assert (
        tables(configured["MONITOR_STORAGE_CONNECTION_STRING"], configured["MONITOR_TABLE_PREFIX"]) == before
    )


def test_a_post_with_only_a_referer_from_its_own_page_is_accepted(
    route: Any, opened: Alert, alert_store: AlertStore
) -> None:
    referer = f"{PUBLIC}/api/confirm/{opened.id}?token=x"

    status, _, _ = call(route, "POST", opened.id, token_for(opened), {"action": "ack"}, Referer=referer)

    assert status == 200
    after = alert_store.alert_by_id(opened.id)
    assert after is not None
    assert after.acknowledged_by == "link in Teams"


def test_a_post_without_the_token_in_its_form_is_refused(route: Any, opened: Alert) -> None:
    status, page, _ = call(route, "POST", opened.id, None, {"action": "ack"}, **SAME_SITE)

    assert (status, "This link is incomplete or damaged" in page) == (403, True)


def tampered(token: str) -> str:
    head, signature = token.rsplit(".", 1)
    return f"{head}.{'A' if signature[0] != 'A' else 'B'}{signature[1:]}"


@pytest.mark.parametrize("kind", ["tampered", "expired", "other-alert", "missing"])
def test_a_bad_link_gets_a_403_page_with_the_reason(
    route: Any, opened: Alert, configured: dict[str, str], kind: str
) -> None:
    before = tables(configured["MONITOR_STORAGE_CONNECTION_STRING"], configured["MONITOR_TABLE_PREFIX"])
    token = {
        "tampered": tampered(token_for(opened)),
        "expired": token_for(opened, at=utcnow() - links.LINK_LIFETIME - timedelta(minutes=1)),
        "other-alert": links.sign(KEY.encode(), "77a126504e36", 1, "teams", utcnow()),
        "missing": "",
    }[kind]
    reason = {
        "tampered": "This link is not valid for this alert",
        "expired": "This link expired on ",
        "other-alert": "This link is not valid for this alert",
        "missing": "This link is incomplete or damaged",
    }[kind]

    for method in ("GET", "POST"):
        status, page, headers = call(route, method, opened.id, token, {"action": "ack"}, **SAME_SITE)
        assert (status, reason in page, headers["Content-Type"]) == (403, True, "text/html; charset=utf-8")
        assert "Nothing was changed." in page
    assert (
        tables(configured["MONITOR_STORAGE_CONNECTION_STRING"], configured["MONITOR_TABLE_PREFIX"]) == before
    )


def test_an_unknown_alert_gets_a_404_page(route: Any, configured: dict[str, str]) -> None:
    unknown = "0123456789ab"
    token = links.sign(KEY.encode(), unknown, 1, "teams", utcnow())

    assert call(route, "GET", unknown, token)[0] == 404
    assert call(route, "GET", "not-an-alert", token)[:1] == (404,)


def test_a_link_from_an_earlier_cycle_is_refused(route: Any, opened: Alert, alert_store: AlertStore) -> None:
    earlier = token_for(opened)
    asyncio.run(
        process_alerts(
            alert_store, [passing(failing(), T0)], TENANT, T0 + timedelta(hours=1), AlertSettings(), None
        )
    )
    asyncio.run(
        process_alerts(alert_store, [failing()], TENANT, T0 + timedelta(hours=2), AlertSettings(), None)
    )

    status, page, _ = call(route, "POST", opened.id, earlier, {"action": "ack"}, **SAME_SITE)

    assert status == 403
    assert "This alert resolved and opened again since this link was sent." in page


def test_acknowledging_a_resolved_alert_is_a_409_that_says_why(
    route: Any, opened: Alert, alert_store: AlertStore
) -> None:
    token = token_for(opened)
    alert_store.save_alert(replace(opened, state="resolved", resolved_at=T0))

    status, page, _ = call(route, "POST", opened.id, token, {"action": "ack"}, **SAME_SITE)

    assert status == 409
    assert f"Nothing changed: alert {opened.id} is resolved; there is nothing to acknowledge." in page


def test_an_unknown_action_is_a_400_page(route: Any, opened: Alert) -> None:
    assert call(route, "POST", opened.id, token_for(opened), {"action": "delete"}, **SAME_SITE)[0] == 400


def test_without_the_link_settings_the_page_is_a_404_and_without_storage_a_503(
    route: Any, opened: Alert, monkeypatch: pytest.MonkeyPatch
) -> None:
    token = token_for(opened)
    monkeypatch.delenv("MONITOR_ALERT_LINK_KEY")
    assert call(route, "GET", opened.id, token)[0] == 404
    monkeypatch.delenv("MONITOR_STORAGE_CONNECTION_STRING")
    status, page, _ = call(route, "GET", opened.id, token)
    assert (status, "The monitor is not configured" in page) == (503, True)


# -- the link in the messages --------------------------------------------------------------------------


def confirm_links(text: str) -> list[str]:
    return re.findall(
        r"https://pinmon-abc\.azurewebsites\.net/api/confirm/[0-9a-f]{12}\?token=[^\"\s<]+", text
    )


def outbox_entities(connection: str, prefix: str) -> bytes:
    return tables(connection, prefix)


@pytest.fixture
def receiver() -> Iterator[CaptureReceiver]:
    with CaptureReceiver() as capture:
        yield capture


def test_the_teams_card_carries_a_link_that_verifies_and_the_outbox_holds_none(
    alert_store: AlertStore, receiver: CaptureReceiver, azurite: str, table_prefix: str
) -> None:
    settings = alert_settings(receiver.url, default_route=("ops",), link_key=KEY.encode(), public_url=PUBLIC)

    asyncio.run(process_alerts(alert_store, [failing()], TENANT, T0, settings, graph=None))

    [delivery] = receiver.accepted("/teams/ops")
    [url] = confirm_links(delivery.body.decode())
    [alert] = alert_store.alerts(TENANT.id)
    token = parse_qs(urlsplit(url).query)["token"][0]
    assert links.verify(KEY.encode(), token, alert.id, T0).channel == "teams"
    stored = outbox_entities(azurite, table_prefix)
    assert token.encode() not in stored
    assert b"/api/confirm/" not in stored
    assert b"token=" not in stored


def test_no_link_without_the_settings_and_none_on_a_resolved_notice(
    alert_store: AlertStore, receiver: CaptureReceiver
) -> None:
    plain = alert_settings(receiver.url, default_route=("ops",))
    asyncio.run(process_alerts(alert_store, [failing()], TENANT, T0, plain, graph=None))
    linked = replace(plain, link_key=KEY.encode(), public_url=PUBLIC)
    asyncio.run(
        process_alerts(alert_store, [passing(failing(), T0)], TENANT, T0 + timedelta(hours=1), linked, None)
    )

    bodies = [d.body.decode() for d in receiver.accepted("/teams/ops")]
    assert len(bodies) == 2
    assert "Resolved: " in bodies[1]
    assert [confirm_links(b) for b in bodies] == [[], []]
    assert all("Acknowledge" not in b for b in bodies)


def test_the_email_carries_a_link_per_alert_in_html_and_text_and_the_outbox_holds_none(
    graph: GraphSimulator, alert_store: AlertStore, tmp_path: Path, azurite: str, table_prefix: str
) -> None:
    settings = AlertSettings(
        destinations=(AlertDestination("admins", "email", recipients=("alex@contoso.com",)),),
        default_route=("admins",),
        email_sender=MAILBOX,
        link_key=KEY.encode(),
        public_url=PUBLIC,
    )
    findings = [failing(), failing("tap.signin.risky", "user-1", severity="medium")]

    async def go() -> None:
        async with GraphSession(simulator_settings(graph.url)) as session:
            await process_alerts(alert_store, findings, TENANT, T0, settings, session)

    asyncio.run(go())

    [eml] = (tmp_path / "mail").glob("*.eml")
    message = BytesParser(policy=policy.default).parsebytes(eml.read_bytes())
    text = message.get_body(("plain",))
    markup = message.get_body(("html",))
    assert text is not None
    assert markup is not None
    in_text = confirm_links(text.get_content())
    in_html = [u.replace("&amp;", "&") for u in confirm_links(markup.get_content())]
    alert_ids = sorted(a.id for a in alert_store.alerts(TENANT.id))
    assert sorted(urlsplit(u).path.rsplit("/", 1)[1] for u in in_text) == alert_ids
    assert sorted(in_html) == sorted(in_text)
    assert markup.get_content().count(">Acknowledge or snooze</a>") == 2
    stored = outbox_entities(azurite, table_prefix)
    assert b"/api/confirm/" not in stored
    assert b"token=" not in stored


@pytest.mark.parametrize(
    ("method", "alert_id", "token", "body"),
    [
        ("GET", "ÿÿÿ", "1.2.teams.ack." + "a" * 43, b""),
        ("POST", "0123456789ab", None, b"\xff\xfe" * 10),
        ("POST", "0123456789ab", None, b"token=" + b"x" * 5000),
        ("POST", "0123456789ab", None, b"&".join(b"f%d=1" % n for n in range(50))),
        ("PUT", "0123456789ab", "", b""),
        ("GET", "0123456789AB", "1.99999999999.teams.ack+snooze." + "_" * 43, b""),
    ],
    ids=["unicode-id", "binary-form", "huge-form", "many-fields", "other-method", "forged"],
)
def test_odd_requests_get_a_page_never_a_500(
    route: Any, configured: dict[str, str], method: str, alert_id: str, token: str | None, body: bytes
) -> None:
    request = func.HttpRequest(
        method,
        f"http://localhost/api/confirm/{alert_id}",
        headers=SAME_SITE,
        params={"token": token} if token is not None else {},
        route_params={"alert_id": alert_id},
        body=body,
    )

    response = route(request)

    assert response.status_code in (400, 403, 404, 405)
    assert response.get_body().startswith(b"<!DOCTYPE html>")


def test_an_alert_that_reopened_between_reading_and_writing_is_not_acknowledged(opened: Alert) -> None:
    from monitor.alerts import confirm

    class Reopening:
        """Reads cycle 1; by the time the change is applied, a pass has reopened the alert (cycle 2)."""

        def read(self, alert_id: str) -> Alert | None:
            return opened

        def change(self, alert_id: str, change: Any, now: Any) -> Alert:
            result: Alert = change(replace(opened, cycle=2), now)
            return result

    settings = AlertSettings(link_key=KEY.encode(), public_url=PUBLIC)
    body = urlencode({"token": links.sign(KEY.encode(), opened.id, 1, "teams", T0), "action": "ack"}).encode()
    request = confirm.Request("POST", opened.id, {}, SAME_SITE, body)

    page = confirm.respond(request, settings, Reopening(), T0)

    assert page.status == 409
    assert "Nothing changed: the alert opened again since this link was sent" in page.markup
