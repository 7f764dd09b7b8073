"""Every Teams card the monitor can produce is a valid Adaptive Card 1.4 (the schema Microsoft
publishes, draft-06), and says what an admin needs: severity, tenant, evidence, what to do, links."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import orjson
import pytest
from jsonschema import Draft6Validator

from monitor.alerts.channels import teams
from monitor.alerts.content import notice
from monitor.alerts.lifecycle import AlertPolicy, Transition, next_alert
from monitor.alerts.model import AlertEvent
from monitor.entra import CONSENT_URLS
from monitor.rules import load_catalog, rule_cases, run_rule
from monitor.store.base import StoredFinding
from tests.alerts.support import T0, TENANT

SCHEMA = Path(__file__).resolve().parents[1] / "data" / "adaptive-card-1.4.0.schema.json"
VALIDATOR = Draft6Validator(orjson.loads(SCHEMA.read_bytes()))


def ledger_entries() -> Iterator[StoredFinding]:
    """A ledger entry for every finding of every rule's own failing cases."""
    for entry in load_catalog():
        for case in rule_cases(entry):
            if case.status != "fail":
                continue
            for f in run_rule(entry, case.facts, case.thresholds).findings:
                yield StoredFinding(
                    f.rule, f.subject, f.severity, f.title, f.detail, f.evidence, "open", T0, T0, None, 1
                )


def notices() -> Iterator[Any]:
    for finding in ledger_entries():
        transition = next_alert(finding, None, TENANT.id, TENANT.display_name, T0, AlertPolicy())
        assert transition is not None
        alert = transition.after
        for event in ("opened", "reminder", "resolved"):
            after = (
                alert if event != "resolved" else alert.__class__(**{**alert.__dict__, "state": "resolved"})
            )
            if event == "reminder":
                after = after.__class__(**{**after.__dict__, "reminders": 2})
            if event == "resolved":
                after = after.__class__(**{**after.__dict__, "resolved_at": T0 + timedelta(hours=3)})
            event_name: AlertEvent = event  # type: ignore[assignment]
            yield pytest.param(notice(Transition(alert, after, event_name)), id=f"{finding.rule}/{event}")


NOTICES = list(notices())


def errors(card: dict[str, Any]) -> list[str]:
    return [f"{'/'.join(map(str, e.path))}: {e.message}" for e in VALIDATOR.iter_errors(card)]


def test_the_schema_is_the_adaptive_card_1_4_schema() -> None:
    assert VALIDATOR.schema["id"] == "http://adaptivecards.io/schemas/adaptive-card.json"
    assert errors({"type": "AdaptiveCard", "version": "1.4", "body": [{"type": "Nope"}]}) != []


@pytest.mark.parametrize("item", NOTICES)
def test_every_alert_card_validates(item: dict[str, Any]) -> None:
    assert errors(teams.alert_card(item)) == []


@pytest.mark.parametrize("count", [2, 25])
def test_digest_cards_validate(count: int) -> None:
    items = [param.values[0] for param in NOTICES][:count]
    assert len(items) == count
    assert errors(teams.digest_card(items)) == []


def test_the_message_wraps_one_adaptive_card_as_workflows_expect() -> None:
    item = NOTICES[0].values[0]
    message = teams.message(teams.alert_card(item))

    assert list(message) == ["type", "attachments"]
    assert message["type"] == "message"
    [attachment] = message["attachments"]
    assert attachment["contentType"] == "application/vnd.microsoft.card.adaptive"
    assert (attachment["content"]["type"], attachment["content"]["version"]) == ("AdaptiveCard", "1.4")


def consent_notice() -> dict[str, Any]:
    return next(p.values[0] for p in NOTICES if p.id == "consent.pin-reset-service.missing/opened")


def _facts_of(card: dict[str, Any]) -> dict[str, str]:
    [fact_set] = [b for b in card["body"] if b["type"] == "FactSet"]
    return {f["title"]: f["value"] for f in fact_set["facts"]}


def test_a_consent_card_names_the_app_and_has_one_grant_consent_button_and_one_why() -> None:
    card = teams.alert_card(consent_notice())

    facts = _facts_of(card)
    assert facts["App"] == "Microsoft Pin Reset Service Production"
    assert facts["First seen"] == "20 Nov 2026, 12:00 UTC"
    assert card["body"][1]["text"] == "High severity · Contoso"
    texts = [b.get("text") for b in card["body"] if b["type"] == "TextBlock"]
    assert "What to do" in texts
    assert [(a["title"], a["url"]) for a in card["actions"]] == [
        ("Grant consent", CONSENT_URLS["b8456c59-1230-44c7-a4a2-99b085333e84"]),
        (
            "Why",
            "https://learn.microsoft.com/windows/security/identity-protection/hello-for-business/pin-reset",
        ),
    ]
    assert card["body"][-1]["text"].startswith(
        "App ID b8456c59-1230-44c7-a4a2-99b085333e84 · Tenant ID 4b1c5b67-3f1e-4e38-9d5e-2a2f3c1d0e9a · "
    )


def test_a_resolved_card_says_so_without_the_remedy() -> None:
    resolved = next(p.values[0] for p in NOTICES if p.id == "consent.pin-reset-service.missing/resolved")
    card = teams.alert_card(resolved)

    assert card["body"][0]["text"] == "Resolved: PIN reset service app is not consented"
    assert card["body"][0]["color"] == "Good"
    assert "What to do" not in [b.get("text") for b in card["body"]]
    assert _facts_of(card)["Resolved"] == "20 Nov 2026, 15:00 UTC"
    assert [a["title"] for a in card["actions"]] == ["Why"]


@pytest.mark.parametrize("item", NOTICES)
def test_cards_cite_public_pages_only(item: dict[str, Any]) -> None:
    text = orjson.dumps(teams.alert_card(item)).decode().lower()

    assert "seed" not in text
    assert all(url.startswith("https://") for url in item["references"])


def test_consent_links_go_with_missing_apps_only() -> None:
    from monitor.alerts.content import consent_links
    from monitor.entra import PIN_RESET_CLIENT_APP_ID, PIN_RESET_SERVICE_APP_ID

    assert [
        link["appId"]
        for link in consent_links("consent.pin-reset-client.missing", PIN_RESET_CLIENT_APP_ID, {})
    ] == [PIN_RESET_CLIENT_APP_ID]
    assert consent_links("consent.pin-reset-app.disabled", PIN_RESET_SERVICE_APP_ID, {}) == []
    evidence = {"consent": {PIN_RESET_SERVICE_APP_ID: "missing", PIN_RESET_CLIENT_APP_ID: "enabled"}}
    assert [
        link["appId"] for link in consent_links("signin.pin-reset.consent-errors", TENANT.id, evidence)
    ] == [PIN_RESET_SERVICE_APP_ID]
    assert consent_links("tap.policy.disabled", "TemporaryAccessPass", {}) == []


def test_every_teams_message_stays_under_the_webhook_size_limit() -> None:
    # Teams takes about 28 KB per webhook message (see the Teams "Create and send messages" page).
    sizes = [len(orjson.dumps(teams.message(teams.alert_card(p.values[0])))) for p in NOTICES]
    digest = len(orjson.dumps(teams.message(teams.digest_card([p.values[0] for p in NOTICES]))))

    assert max(sizes) < 20_000
    assert digest < 20_000
