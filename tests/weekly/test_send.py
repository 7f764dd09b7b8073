"""The weekly report through the alert channels: a Teams card with the headline figures, a signed
webhook with the report's JSON, and an email per recipient with report.html attached, each to a real
loopback receiver (Graph sendMail through the simulator)."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime
from pathlib import Path

import orjson
import pytest
from jsonschema import Draft6Validator

from graphsim import GraphSimulator
from graphsim.receiver import Answer, CaptureReceiver
from monitor.alerts.channels import webhook
from monitor.graph.session import GraphSession
from monitor.service.weekly import WeeklyRun
from monitor.settings import Settings
from monitor.weekly.report import to_html
from monitor.weekly.send import send_weekly
from tests.conftest import ROOT
from tests.entry import weekly_from_snapshot
from tests.support import simulator_settings

TENANT = ROOT / "examples" / "tenants" / "consent-missing"
NOW = datetime(2026, 11, 20, 12, 0, tzinfo=UTC)
CARD_SCHEMA = ROOT / "tests" / "data" / "adaptive-card-1.4.0.schema.json"
KEY = "weekly-test-hmac-key-0123456789"
# Graph sends from a mailbox of the tenant: its first user's.
SENDER = orjson.loads((TENANT / "v1.0" / "users.json").read_bytes())["value"][0]["userPrincipalName"]


@pytest.fixture(scope="module")
def run(tmp_path_factory: pytest.TempPathFactory) -> WeeklyRun:
    return asyncio.run(weekly_from_snapshot(TENANT, NOW, tmp_path_factory.mktemp("weekly"), environ={}))


def settings_for(receiver: str) -> Settings:
    return Settings.from_env(
        {
            "MONITOR_ALERT_DESTINATIONS": "ops=teams,siem=webhook,owners=email",
            "MONITOR_ALERT_OPS_URL": f"{receiver}/teams/ops",
            "MONITOR_ALERT_SIEM_URL": f"{receiver}/webhook/siem",
            "MONITOR_ALERT_SIEM_HMAC_KEY": KEY,
            "MONITOR_ALERT_OWNERS_RECIPIENTS": "compliance@contoso.com,ciso@contoso.com",
            "MONITOR_ALERT_EMAIL_SENDER": SENDER,
        }
    )


def send(run: WeeklyRun, receiver: CaptureReceiver, simulator: GraphSimulator) -> list[str]:
    async def go() -> list[str]:
        async with GraphSession(simulator_settings(simulator.url)) as graph:
            alerts = settings_for(receiver.url).alerts
            return await send_weekly(run.report, to_html(run.report), alerts, graph, NOW)

    return asyncio.run(go())


def test_every_destination_gets_the_weekly_report_in_its_own_form(run: WeeklyRun, tmp_path: Path) -> None:
    with CaptureReceiver() as receiver, GraphSimulator(TENANT, mail_dir=tmp_path / "mail") as simulator:
        said = send(run, receiver, simulator)
        deliveries = {d.channel: d for d in receiver.deliveries}
        mails = simulator.mail.sent

    assert said == [
        "teams destination ops: sent",
        "webhook destination siem: sent",
        "email destination owners (compliance@contoso.com): sent",
        "email destination owners (ciso@contoso.com): sent",
    ]
    card = orjson.loads(deliveries["teams"].body)["attachments"][0]["content"]
    Draft6Validator(orjson.loads(CARD_SCHEMA.read_bytes())).validate(card)
    hook = deliveries["webhook"]
    assert webhook.verify(KEY.encode(), hook.body, hook.headers[webhook.SIGNATURE_HEADER])
    document = orjson.loads(hook.body)
    assert (document["kind"], document["report"]["tenant"]["displayName"]) == (
        "weeklyReport",
        "Northwind Traders",
    )
    assert [m.message["To"] for m in mails] == ["compliance@contoso.com", "ciso@contoso.com"]
    message = mails[0].message
    assert message.get_body(("plain",)) is not None
    assert message.get_body(("html",)) is not None
    (attachment,) = list(message.iter_attachments())
    assert attachment.get_filename() == "report.html"
    assert attachment.get_content().startswith("<!DOCTYPE html>")


def test_a_destination_that_refuses_is_said_in_one_line_and_the_others_still_get_it(
    run: WeeklyRun, tmp_path: Path
) -> None:
    with CaptureReceiver() as receiver, GraphSimulator(TENANT, mail_dir=tmp_path / "mail") as simulator:
        receiver.script("/teams/ops", Answer(404))
        said = send(run, receiver, simulator)

    assert said[0] == (
        "teams destination ops: not sent (teams destination ops answered 404: not retried, check the "
        "destination's settings)"
    )
    assert said[1:] == [
        "webhook destination siem: sent",
        "email destination owners (compliance@contoso.com): sent",
        "email destination owners (ciso@contoso.com): sent",
    ]


def test_the_weekly_webhook_validates_against_its_published_schema_with_its_delivery_id(
    run: WeeklyRun, tmp_path: Path
) -> None:
    from jsonschema import Draft202012Validator

    v1 = Draft202012Validator(orjson.loads((ROOT / "docs" / "webhook-schema-v1.json").read_bytes()))
    v11 = Draft202012Validator(orjson.loads((ROOT / "docs" / "webhook-schema-v1.1.json").read_bytes()))
    with CaptureReceiver() as receiver, GraphSimulator(TENANT, mail_dir=tmp_path / "mail") as simulator:
        send(run, receiver, simulator)
        send(run, receiver, simulator)
        hooks = [d for d in receiver.deliveries if d.channel == "webhook"]

    document = orjson.loads(hooks[0].body)
    assert [e.message for e in v11.iter_errors(document)] == []
    assert document["schemaVersion"] == "1.1"
    # A version 1 receiver refuses it by its version, not by a field it cannot read.
    assert "$.schemaVersion" in [e.json_path for e in v1.iter_errors(document)]
    assert hooks[0].headers[webhook.DELIVERY_HEADER] == document["deliveryId"]
    assert hooks[1].headers[webhook.DELIVERY_HEADER] == document["deliveryId"]  # the same on a resend
    # Every version 1 alert body is a version 1.1 body.
    alert = orjson.loads(webhook.body("k1", [{"event": "opened"}], NOW, False))
    assert [e.json_path for e in v11.iter_errors(alert)] == [e.json_path for e in v1.iter_errors(alert)]


def test_the_weekly_card_says_where_the_report_is_and_what_needs_attention_first(run: WeeklyRun) -> None:
    from monitor.weekly.delivery import report_location, teams_card

    where = report_location(emailed=True, saved_to="/reports/northwind/report.html")
    card = teams_card(run.report, where)["attachments"][0]["content"]
    texts = [b for b in card["body"] if b["type"] == "TextBlock"]

    assert texts[-1]["text"] == (
        "The full report with its charts is attached to the weekly email (report.html) "
        "and saved as /reports/northwind/report.html."
    )
    [alarm] = [b for b in texts if b["text"].startswith("Needs attention")]
    assert alarm["color"] == "Attention"
    assert "PIN reset apps consented and enabled: 1 of 2" in alarm["text"]
    assert "PIN reset failure rate: 100.0%" in alarm["text"]


def test_the_weekly_email_is_marked_machine_made(run: WeeklyRun) -> None:
    from monitor.alerts.channels.email import weekly_email

    message = weekly_email(run.report, to_html(run.report), SENDER, "ciso@contoso.com", NOW)

    assert message["Auto-Submitted"] == "auto-generated"
    assert message["X-Auto-Response-Suppress"] == "All"


def test_an_empty_week_says_what_is_absent_instead_of_drawing_empty_charts(run: WeeklyRun) -> None:
    html = to_html(run.report)

    assert '<p class="empty">No TAP sign-ins this week.</p>' in html
    assert '<p class="empty">No Temporary Access Pass was issued this week.</p>' in html
    assert "None." not in html
    assert html.count("<svg ") == 3  # attempts, failure rate, device readiness; no empty TAP charts
