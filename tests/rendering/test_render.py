"""Every Teams card kind drawn by Microsoft's Adaptive Cards renderer at a phone's width, and the alert
email and the weekly report at 390 px, in headless chromium: no cut button title, nothing wider than
the screen, no `None`, no unlabelled GUID. Screenshots: .run/rendering/ (cards/ holds one per rule)."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import orjson
import pytest
from jsonschema import Draft6Validator

from monitor.alerts.channels import email, teams
from monitor.service.weekly import WeeklyRun
from monitor.weekly.delivery import teams_card
from monitor.weekly.report import to_html
from tests.alerts.test_cards import NOTICES
from tests.conftest import ROOT
from tests.entry import weekly_from_snapshot
from tests.rendering.browser import render_cards, render_page, screenshot_cards

ITEMS: dict[str, dict[str, Any]] = {p.id: p.values[0] for p in NOTICES}
CARD_SCHEMA = Draft6Validator(
    orjson.loads((ROOT / "tests/data/adaptive-card-1.4.0.schema.json").read_bytes())
)
WEEKLY_TENANT = ROOT / "examples" / "tenants" / "tap-suspicious"
NOW = datetime(2026, 11, 20, 12, 0, tzinfo=UTC)


def _unique(name: str) -> str:
    return name.replace("/", "_").replace(".", "-")


@pytest.fixture(scope="module")
def weekly(tmp_path_factory: pytest.TempPathFactory) -> WeeklyRun:
    return asyncio.run(
        weekly_from_snapshot(WEEKLY_TENANT, NOW, tmp_path_factory.mktemp("weekly"), environ={})
    )


@pytest.fixture(scope="module")
def cards(weekly: WeeklyRun) -> dict[str, dict[str, Any]]:
    """Every kind of card: each rule's opened, reminder and resolved notice, a digest, the weekly card."""
    every = {_unique(name): teams.alert_card(item) for name, item in ITEMS.items()}
    every["digest"] = teams.digest_card(list(ITEMS.values())[:25])
    every["weekly"] = teams_card(weekly.report)["attachments"][0]["content"]
    return every


@pytest.fixture(scope="module")
def rendered(cards: dict[str, dict[str, Any]], tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    return render_cards(cards, tmp_path_factory.mktemp("cards"))


def test_every_card_kind_is_a_valid_adaptive_card_1_4(cards: dict[str, dict[str, Any]]) -> None:
    invalid = {name: [e.message for e in CARD_SCHEMA.iter_errors(card)] for name, card in cards.items()}
    assert {name: errors for name, errors in invalid.items() if errors} == {}


def test_every_card_renders(rendered: dict[str, Any], cards: dict[str, dict[str, Any]]) -> None:
    assert set(rendered) == set(cards)
    assert {name: r["errors"] for name, r in rendered.items() if r["errors"]} == {}


def test_no_button_title_is_cut_at_phone_width(rendered: dict[str, Any]) -> None:
    assert {name: r["cut"] for name, r in rendered.items() if r["cut"]} == {}


def test_no_card_is_wider_than_a_phone(rendered: dict[str, Any]) -> None:
    assert {name: r["wide"] for name, r in rendered.items() if r["wide"] or r["scroll"]} == {}


def test_no_card_says_none_or_shows_an_unlabelled_guid(rendered: dict[str, Any]) -> None:
    assert [name for name, r in rendered.items() if r["none"]] == []
    assert {name: r["guids"] for name, r in rendered.items() if r["guids"]} == {}


def test_the_checks_catch_the_cards_people_complained_about(tmp_path: Path) -> None:
    consent = "https://login.windows.net/common/oauth2/authorize?response_type=code&client_id=b8456c59"
    old = {
        "type": "AdaptiveCard",
        "version": "1.4",
        "body": [
            {"type": "TextBlock", "text": "Subject: b8456c59-1230-44c7-a4a2-99b085333e84", "wrap": True},
            {"type": "FactSet", "facts": [{"title": "Issuances", "value": "startDateTime None"}]},
            {"type": "FactSet", "facts": [{"title": "Link", "value": consent + "&resource=https%3A%2F%2F"}]},
        ],
        "actions": [
            {"type": "Action.OpenUrl", "title": f"Grant admin consent: {app}", "url": "https://example.com"}
            for app in ("Microsoft Pin Reset Service Production", "Microsoft Pin Reset Client Production")
        ]
        + [{"type": "Action.OpenUrl", "title": "Reference 2", "url": "https://example.com"}],
    }

    [result] = render_cards({"old": old}, tmp_path).values()

    assert len(result["cut"]) == 3
    assert result["wide"] != []
    assert result["none"] is True
    assert result["guids"] == ["b8456c59-1230-44c7-a4a2-99b085333e84"]


def test_one_card_per_rule_is_kept_as_a_screenshot(cards: dict[str, dict[str, Any]], tmp_path: Path) -> None:
    chosen = {name: card for name, card in cards.items() if name.endswith("_opened")}
    chosen |= {"digest": cards["digest"], "weekly": cards["weekly"]}
    rules = {name.rsplit("_", 1)[0] for name in chosen if name.endswith("_opened")}
    first = {}
    for name, card in chosen.items():
        key = name.rsplit("_", 1)[0] if name.endswith("_opened") else name
        first.setdefault(key, (name, card))

    shots = screenshot_cards(dict(first.values()), tmp_path)

    assert len(shots) == len(rules) + 2
    assert all(shot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" for shot in shots)


def test_the_alert_email_fits_a_phone(tmp_path: Path) -> None:
    opened = [item for name, item in ITEMS.items() if name.endswith("/opened")]
    markup = email.html_text(opened)

    page = render_page(markup, tmp_path, "alert-email-390")

    assert (page["width"], page["wide"]) == (page["viewport"], [])
    assert page["none"] is False
    assert page["guids"] == []


def test_the_weekly_report_fits_a_phone_with_readable_chart_labels(weekly: WeeklyRun, tmp_path: Path) -> None:
    page = render_page(to_html(weekly.report), tmp_path, "weekly-report-390")

    assert (page["width"], page["wide"]) == (page["viewport"], [])
    assert page["smallestLabel"] is None or page["smallestLabel"] >= 9
    assert page["none"] is False


def test_the_page_check_catches_a_raw_consent_url_that_widens_an_email(tmp_path: Path) -> None:
    url = "https://login.windows.net/common/oauth2/authorize?response_type=code&client_id=" + "b8456c59" * 12
    page = render_page(f"<!DOCTYPE html><html><body><p>{url}</p></body></html>", tmp_path, "check-old-email")

    assert page["width"] > page["viewport"] == 390
