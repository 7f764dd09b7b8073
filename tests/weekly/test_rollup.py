"""The weekly roll-up across tenants: passes of bundled tenants into memory stores, then the week's
reports and, beside them, rollup.html and rollup.json (a row per tenant: open findings by severity,
change since last week, quarantine, unreviewed TAP sign-ins). A tenant's report goes to its own
destinations only; the roll-up to the provider's only (loopback receivers). Without tenants table rows
the weekly output is what it always was. The page fits a phone in headless chromium."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import orjson
import pytest
from jsonschema import Draft6Validator, Draft202012Validator

from graphsim.receiver import CaptureReceiver
from monitor.alerts.channels import webhook
from monitor.service import tenants
from monitor.service.offline import scan_snapshot
from monitor.service.runtime import Runtime
from monitor.service.weekly import RollupRun, WeeklyRun, send_weekly_reports, weekly_from_store, weekly_rollup
from monitor.settings import Settings
from monitor.store.tenants import TenantRecord
from monitor.weekly.delivery import rollup_card
from monitor.weekly.rollup import to_html
from tests.conftest import ROOT
from tests.rendering.browser import render_cards, render_page

TENANTS = ROOT / "examples" / "tenants"
NOW = datetime(2026, 11, 20, 12, 0, tzinfo=UTC)
CONSENT = "f58ba582-7488-5c32-b359-56c1355b78b0"  # consent-missing: "Northwind Traders"
TAP = "bca5c86d-c158-5b1e-9b74-70574911fbf1"  # tap-suspicious
GONE = "33333333-3333-4333-8333-333333333333"  # in the table, consent revoked, never read
KEY = "rollup-test-hmac-key-0123456789"
CARD_SCHEMA = ROOT / "tests" / "data" / "adaptive-card-1.4.0.schema.json"


def passes(runtime: Runtime, *names: str, now: datetime = NOW) -> None:
    for name in names:
        asyncio.run(scan_snapshot(runtime, TENANTS / name, now))


def provider_settings(receiver: str = "http://127.0.0.1:9") -> Settings:
    """Two webhooks: the provider's operations channel, and one a customer (Northwind) gets its own."""
    return Settings.from_env(
        {
            "MONITOR_ALERT_DESTINATIONS": "ops=webhook,northwind=webhook",
            "MONITOR_ALERT_OPS_URL": f"{receiver}/webhook/ops",
            "MONITOR_ALERT_OPS_HMAC_KEY": KEY,
            "MONITOR_ALERT_NORTHWIND_URL": f"{receiver}/webhook/northwind",
            "MONITOR_ALERT_NORTHWIND_HMAC_KEY": KEY,
        }
    )


@dataclass
class Week:
    runtime: Runtime
    runs: list[WeeklyRun]
    rollup: RollupRun
    output: Path


@pytest.fixture(scope="module")
def week(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Week]:
    runtime = Runtime.in_memory(provider_settings())
    passes(runtime, "consent-missing", "tap-suspicious")
    tenants.save_tenant(runtime, CONSENT, tenants.TenantChanges(destinations=("northwind",)), NOW)
    tenants.save_tenant(runtime, TAP, tenants.TenantChanges(), NOW)
    gone, _ = tenants.save_tenant(runtime, GONE, tenants.TenantChanges(display_name="Gone Ltd"), NOW)
    runtime.tenants.save(gone.quarantine("consent_revoked", "AADSTS7000229", NOW - timedelta(hours=3)))
    output = tmp_path_factory.mktemp("weekly")
    runs = weekly_from_store(runtime, NOW, output)
    rollup = weekly_rollup(runtime, runs, output, NOW)
    assert rollup is not None
    yield Week(runtime, runs, rollup, output)
    runtime.close()


def test_the_rollup_is_written_beside_each_tenants_own_report(week: Week) -> None:
    assert sorted(p.relative_to(week.output).as_posix() for p in week.output.rglob("*.html")) == [
        f"{TAP}/report.html",
        f"{CONSENT}/report.html",
        "rollup.html",
    ]
    assert [p.name for p in week.rollup.written] == ["rollup.html", "rollup.json"]


def test_a_row_per_tenant_most_in_need_first(week: Week) -> None:
    document = orjson.loads((week.output / "rollup.json").read_bytes())

    rows = [
        (t["tenantId"], t["displayName"], t["quarantine"]["state"], t["report"], t["changes"]["summary"])
        for t in document["tenants"]
    ]
    assert rows == [
        (GONE, "Gone Ltd", "quarantined", None, "no report this week"),
        (TAP, "Trey Research", "active", f"{TAP}/report.html", "first report"),  # 3 high findings open
        (CONSENT, "Northwind Traders", "active", f"{CONSENT}/report.html", "first report"),  # 2 high
    ]
    by_id = {t["tenantId"]: t for t in document["tenants"]}
    for run in week.runs:
        counted = run.report.to_json()["findings"]["bySeverity"]
        assert by_id[run.report.snapshot.tenant.id]["openFindings"] == counted
    assert by_id[GONE]["quarantine"] == {
        "state": "quarantined",
        "problem": "consent_revoked",
        "since": "2026-11-20T09:00:00Z",
        "nextProbe": "2026-11-20T10:00:00Z",
    }
    assert document["totals"]["tenants"] == 3
    assert document["totals"]["quarantined"] == 1


def test_unreviewed_tap_signins_come_from_each_tenants_report(week: Week) -> None:
    document = orjson.loads((week.output / "rollup.json").read_bytes())
    by_id = {t["tenantId"]: t for t in document["tenants"]}

    for run in week.runs:
        backlog = run.report.to_json()["tap"]["reviews"]
        assert by_id[run.report.snapshot.tenant.id]["tapSignIns"] == {
            "unreviewed": backlog["unreviewed"],
            "flaggedUnreviewed": backlog["flaggedUnreviewed"],
        }
    assert by_id[TAP]["tapSignIns"]["unreviewed"] > 0
    assert by_id[GONE]["tapSignIns"] == {"unreviewed": None, "flaggedUnreviewed": None}


def test_the_next_week_says_what_changed_since_the_last(tmp_path: Path) -> None:
    runtime = Runtime.in_memory(Settings())
    passes(runtime, "consent-missing")
    tenants.save_tenant(runtime, CONSENT, tenants.TenantChanges(), NOW)
    weekly_from_store(runtime, NOW, tmp_path / "first")
    later = NOW + timedelta(days=7)
    passes(runtime, "consent-missing-fixed", now=later)

    runs = weekly_from_store(runtime, later, tmp_path / "second")
    rollup = weekly_rollup(runtime, runs, tmp_path / "second", later)

    assert rollup is not None
    [row] = rollup.rollup.rows
    fixed = len(runs[0].report.changes.fixed_findings)
    assert fixed > 0
    assert (row.new_findings, row.fixed_findings) == (len(runs[0].report.changes.new_findings), fixed)
    assert row.change_text() == f"{row.new_findings} new, {fixed} fixed"


def test_without_tenant_rows_the_weekly_output_is_what_it_always_was(tmp_path: Path) -> None:
    runtime = Runtime.in_memory(Settings())
    passes(runtime, "consent-missing")

    runs = weekly_from_store(runtime, NOW, tmp_path)

    assert weekly_rollup(runtime, runs, tmp_path, NOW) is None
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(p.name for p in runs[0].written)
    assert not (tmp_path / "rollup.html").exists()


def test_a_tenants_report_goes_to_its_own_destinations_and_the_rollup_to_the_providers_only(
    week: Week,
) -> None:
    with CaptureReceiver() as receiver:
        settings = provider_settings(receiver.url)
        said = asyncio.run(send_weekly_reports(week.runtime.with_settings(settings), week.runs, week.rollup))
        received = [(d.name, orjson.loads(d.body)) for d in receiver.deliveries]
        raw = [d for d in receiver.deliveries if d.name == "ops"]

    assert said == [
        "Trey Research: weekly report to webhook destination ops: sent",
        "Northwind Traders: weekly report to webhook destination northwind: sent",
        "weekly roll-up to webhook destination ops: sent",
    ]
    assert [(name, d["kind"], d.get("report", {}).get("tenant", {}).get("id")) for name, d in received] == [
        ("ops", "weeklyReport", TAP),
        ("northwind", "weeklyReport", CONSENT),
        ("ops", "weeklyRollup", None),
    ]
    rollup = received[2][1]
    Draft202012Validator(orjson.loads((ROOT / "docs" / "webhook-schema-v1.2.json").read_bytes())).validate(
        rollup
    )
    assert rollup["schemaVersion"] == "1.2"
    assert rollup["rollup"] == orjson.loads((week.output / "rollup.json").read_bytes())
    assert raw[1].headers[webhook.DELIVERY_HEADER] == rollup["deliveryId"]
    assert webhook.verify(KEY.encode(), raw[1].body, raw[1].headers[webhook.SIGNATURE_HEADER])


def test_with_every_destination_a_tenants_own_the_rollup_is_not_sent_and_says_so(week: Week) -> None:
    records = tuple(TenantRecord(r.tenant_id, destinations=("northwind", "ops")) for r in week.rollup.tenants)
    only_own = RollupRun(week.rollup.rollup, records, week.rollup.written)
    with CaptureReceiver() as receiver:
        settings = provider_settings(receiver.url)
        said = asyncio.run(send_weekly_reports(week.runtime.with_settings(settings), week.runs, only_own))
        kinds = [orjson.loads(d.body)["kind"] for d in receiver.deliveries]

    assert said[-1] == "weekly roll-up: not sent (every configured destination is a tenant's own)"
    assert "weeklyRollup" not in kinds


def test_the_rollup_page_fits_a_phone(week: Week, tmp_path: Path) -> None:
    page = render_page(to_html(week.rollup.rollup), tmp_path, "weekly-rollup-390")

    assert (page["width"], page["wide"]) == (page["viewport"], [])
    assert page["none"] is False
    assert page["guids"] == []
    assert "Gone Ltd" in page["text"]


def test_the_rollup_card_is_a_valid_adaptive_card_that_fits_a_phone(week: Week, tmp_path: Path) -> None:
    card = rollup_card(week.rollup.rollup, "The full roll-up (rollup.html) is saved.")["attachments"][0][
        "content"
    ]
    Draft6Validator(orjson.loads(CARD_SCHEMA.read_bytes())).validate(card)

    [result] = render_cards({"rollup": card}, tmp_path).values()

    assert (result["errors"], result["wide"], result["scroll"], result["none"]) == ([], [], False, False)


def test_schema_1_2_still_takes_the_weekly_report_of_1_1(week: Week) -> None:
    v12 = Draft202012Validator(orjson.loads((ROOT / "docs" / "webhook-schema-v1.2.json").read_bytes()))

    v12.validate(orjson.loads(webhook.weekly_body(week.runs[0].report, NOW)))


def test_teams_and_email_take_the_rollup_with_rollup_html_attached(week: Week, tmp_path: Path) -> None:
    from graphsim import GraphSimulator
    from monitor.graph.session import GraphSession
    from monitor.weekly.send import send_rollup
    from tests.support import simulator_settings

    tenant = TENANTS / "consent-missing"
    sender = orjson.loads((tenant / "v1.0" / "users.json").read_bytes())["value"][0]["userPrincipalName"]
    html = to_html(week.rollup.rollup)
    with CaptureReceiver() as receiver, GraphSimulator(tenant, mail_dir=tmp_path / "mail") as simulator:
        alerts = Settings.from_env(
            {
                "MONITOR_ALERT_DESTINATIONS": "ops=teams,owners=email",
                "MONITOR_ALERT_OPS_URL": f"{receiver.url}/teams/ops",
                "MONITOR_ALERT_OWNERS_RECIPIENTS": "noc@provider.example",
                "MONITOR_ALERT_EMAIL_SENDER": sender,
            }
        ).alerts

        async def go() -> list[str]:
            async with GraphSession(simulator_settings(simulator.url)) as graph:
                return await send_rollup(week.rollup.rollup, html, alerts, graph, NOW, "/reports/rollup.html")

        said = asyncio.run(go())
        [teams] = receiver.deliveries
        [mail] = simulator.mail.sent

    assert said == [
        "teams destination ops: sent",
        "email destination owners (noc@provider.example): sent",
    ]
    card = orjson.loads(teams.body)["attachments"][0]["content"]
    assert [f["title"] for f in card["body"][3]["facts"]] == [
        "Gone Ltd",
        "Trey Research",
        "Northwind Traders",
    ]
    assert card["body"][-1]["text"] == (
        "The full roll-up (rollup.html) is attached to the roll-up email and saved as /reports/rollup.html."
    )
    message = mail.message
    assert message["Subject"] == "Weekly roll-up across 3 tenant(s), week to 2026-11-20"
    assert (
        "Gone Ltd: QUARANTINED (consent_revoked since 2026-11-20 09:00 UTC"
        in message.get_body(("plain",)).get_content()
    )
    [attachment] = list(message.iter_attachments())
    assert (attachment.get_filename(), attachment.get_content()) == ("rollup.html", html)
