"""The weekly report as people and channels get it: a self-contained page that a real browser renders
without errors, the email body, and a Teams card that is a valid Adaptive Card 1.4."""

from __future__ import annotations

import asyncio
import re
import subprocess
from datetime import UTC, datetime
from pathlib import Path

import orjson
import pytest
from jsonschema import Draft6Validator

from monitor.service.weekly import WeeklyRun
from monitor.weekly.delivery import email_body, email_subject, teams_card
from monitor.weekly.report import to_html
from tests.chromium import CHROMIUM, chromium_command
from tests.conftest import ROOT
from tests.entry import weekly_from_snapshot

TENANT = ROOT / "examples" / "tenants" / "tap-suspicious"
NOW = datetime(2026, 11, 20, 12, 0, tzinfo=UTC)
CARD_SCHEMA = ROOT / "tests" / "data" / "adaptive-card-1.4.0.schema.json"


@pytest.fixture(scope="module")
def run(tmp_path_factory: pytest.TempPathFactory) -> WeeklyRun:
    return asyncio.run(weekly_from_snapshot(TENANT, NOW, tmp_path_factory.mktemp("weekly"), environ={}))


def test_the_page_loads_nothing_from_anywhere(run: WeeklyRun) -> None:
    html = to_html(run.report)
    assert "<script" not in html
    assert re.findall(r"""(?:src|href)\s*=""", html) == []
    assert "@import" not in html
    assert "url(" not in html
    # Five charts, each an inline SVG.
    assert html.count("<svg ") == 5


def test_the_page_escapes_what_the_tenant_named(run: WeeklyRun) -> None:
    from dataclasses import replace

    from monitor.records import Tenant

    hostile = replace(
        run.report, snapshot=replace(run.report.snapshot, tenant=Tenant("t", "<img onerror=x>"))
    )
    html = to_html(hostile)
    assert "<img onerror" not in html
    assert "&lt;img onerror=x&gt;" in html


def test_the_teams_card_is_a_valid_adaptive_card_1_4_with_the_headline(run: WeeklyRun) -> None:
    message = teams_card(run.report)
    (attachment,) = message["attachments"]
    card = attachment["content"]
    schema = orjson.loads(CARD_SCHEMA.read_bytes())
    assert sorted(e.message for e in Draft6Validator(schema).iter_errors(card)) == []
    assert (message["type"], attachment["contentType"], card["version"]) == (
        "message",
        "application/vnd.microsoft.card.adaptive",
        "1.4",
    )
    [fact_set] = [b for b in card["body"] if b["type"] == "FactSet"]
    facts = {f["title"]: f["value"] for f in fact_set["facts"]}
    assert facts["Open findings"] == "3"
    assert facts["TAPs issued, used"] == "2 / 2"


def test_the_email_has_the_headline_and_points_at_the_attached_report(run: WeeklyRun) -> None:
    body = email_body(run.report)
    assert (
        email_subject(run.report) == "Weekly PIN reset and TAP compliance: Trey Research, week to 2026-11-20"
    )
    assert "<svg" not in body
    assert 'font-weight:700">2 of 2</td>' in body
    assert "attached to the weekly email (report.html)" in body


def test_chromium_renders_the_page_without_console_errors(run: WeeklyRun, tmp_path: Path) -> None:
    if not Path(CHROMIUM).exists():
        pytest.fail("chromium is not installed: run scripts/bootstrap.sh (it installs Debian's chromium)")
    page = run.written[0].parent / "report.html"
    shot = ROOT / ".run" / "weekly-report.png"
    shot.parent.mkdir(exist_ok=True)
    done = subprocess.run(
        chromium_command(
            tmp_path / "profile",
            "--enable-logging=stderr",
            "--v=0",
            f"--screenshot={shot}",
            "--window-size=1280,2000",
            page.as_uri(),
        ),
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    # Page errors reach chromium's log as CONSOLE lines ("Uncaught ...", failed loads); dbus noise does not.
    console = [line for line in done.stderr.splitlines() if "CONSOLE" in line or "Uncaught" in line]
    assert console == []
    assert shot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert shot.stat().st_size > 50_000  # a rendered page, not a blank one
