"""Each alert reads like a message designed for its rule: named things, labelled IDs, counts, one
time form, one primary action and one "Why", short button titles; the email says it is machine-made."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from typing import Any

import orjson
import pytest

from monitor.alerts import facts, wording
from monitor.alerts.channels import email, teams
from monitor.entra import CONSENT_URLS, PIN_RESET_CLIENT_APP_ID, PIN_RESET_SERVICE_APP_ID
from monitor.rules import load_catalog
from monitor.store.base import RunRecord
from monitor.store.memory import MemoryStore
from tests.alerts.support import TENANT
from tests.alerts.test_cards import NOTICES

ITEMS: list[dict[str, Any]] = [p.values[0] for p in NOTICES]
OPENED = [i for i in ITEMS if i["event"] == "opened"]
GUID = re.compile(r"[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}")
# A GUID a person can read is labelled: "App ID …", "appId …", "tenant …".
LABELLED = re.compile(r"(?:ID|Id|\btenant|client_id=|/)\s*\{?$")
BUTTON_CHARS = 14  # what fits three buttons side by side on a 360 px Teams card


def card_texts(card: dict[str, Any]) -> list[str]:
    texts: list[str] = []
    for block in card["body"]:
        if block["type"] == "TextBlock":
            texts.append(block["text"])
        if block["type"] == "FactSet":
            texts += [f"{f['title']}: {f['value']}" for f in block["facts"]]
    return texts + [a["title"] for a in card.get("actions", [])]


def unlabelled_guids(text: str) -> list[str]:
    return [m.group() for m in GUID.finditer(text) if not LABELLED.search(text[: m.start()][-12:])]


def test_every_rule_has_a_designed_message() -> None:
    rules = {e.rule.id for e in load_catalog()}
    without = sorted(rules - set(facts.RULE_MESSAGES))
    unknown = sorted(set(facts.RULE_MESSAGES) - rules)
    assert not without, f"rules without an entry in RULE_MESSAGES (monitor/alerts/facts.py): {without}"
    assert not unknown, f"RULE_MESSAGES (monitor/alerts/facts.py) names rules the catalog lacks: {unknown}"


@pytest.mark.parametrize("item", OPENED, ids=lambda i: i["alert"]["rule"])
def test_an_opened_card_has_one_primary_action_then_why_with_short_titles(item: dict[str, Any]) -> None:
    actions = teams.alert_card(item)["actions"]

    assert [a["title"] for a in actions][-1] == "Why"
    assert len(actions) == 2
    assert actions[0]["title"] in {"Grant consent", "Open in Entra", "Open in Intune", "Open sign-ins"}
    assert all(len(a["title"]) <= BUTTON_CHARS for a in actions)
    assert not any(a["title"].startswith("Reference") for a in actions)


@pytest.mark.parametrize("item", ITEMS, ids=lambda i: f"{i['alert']['rule']}/{i['event']}")
def test_no_card_or_email_shows_none_an_empty_value_or_an_unlabelled_guid(item: dict[str, Any]) -> None:
    texts = card_texts(teams.alert_card(item))
    mail = email.plain_text([item])

    assert not [t for t in texts if re.search(r"\bNone\b", t)]
    assert "None" not in re.sub(r"https://\S+", "", mail)
    assert not [t for t in texts if t.rstrip().endswith(":")]
    assert [g for t in texts for g in unlabelled_guids(t)] == []
    assert unlabelled_guids(re.sub(r"https://\S+", "", mail)) == []
    assert not re.search(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}", " ".join(texts))


def test_app_ids_in_the_evidence_are_shown_by_name_with_counts() -> None:
    item = next(i for i in OPENED if i["alert"]["rule"] == "signin.pin-reset.failure-spike")
    shown = {f.label: f.value for f in facts.message(item).facts}

    assert shown["Failures"] == "60 failures in 6 h"
    assert shown["Apps"] == "Pin Reset Client Production (60)"
    assert shown["Errors"] == "53003 (60)"
    assert shown["Since"] == "20 Nov 2026, 09:30 UTC"


def test_a_privileged_tap_card_names_roles_and_the_pass_without_raw_keys() -> None:
    item = next(i for i in OPENED if i["alert"]["rule"] == "tap.issued.privileged-user")
    text = " | ".join(card_texts(teams.alert_card(item)))

    assert "User: a11ce@contoso.com" in text
    assert "Roles: Global Administrator (direct)" in text
    assert "Valid for: 1 hour, one-time" in text
    assert "auditId" not in text
    assert "startDateTime" not in text
    assert "how direct" not in text


def stream_notice(display_name: str, consent: dict[str, str]) -> dict[str, Any]:
    """A consent-errors notice as the log stream queues it: the store's consent as last polled."""
    item = next(i for i in OPENED if i["alert"]["rule"] == "signin.pin-reset.consent-errors")
    evidence = {**item["alert"]["evidence"], "consent": consent}
    evidence["window"] = {**evidence["window"], "byApp": {PIN_RESET_SERVICE_APP_ID: 69}}
    return {
        **item,
        "tenant": {"id": TENANT.id, "displayName": display_name},
        "alert": {**item["alert"], "evidence": evidence},
    }


def test_a_log_stream_alert_keeps_the_consent_button_for_the_failing_app() -> None:
    stale = {PIN_RESET_SERVICE_APP_ID: "enabled", PIN_RESET_CLIENT_APP_ID: "enabled"}
    card = teams.alert_card(stream_notice("", stale))

    assert card["actions"][0] == {
        "type": "Action.OpenUrl",
        "title": "Grant consent",
        "url": CONSENT_URLS[PIN_RESET_SERVICE_APP_ID],
    }
    assert card["body"][1]["text"] == "High severity"  # no "id (id)" for a tenant without a name
    assert f"Tenant ID {TENANT.id}" in card["body"][-1]["text"]


def test_a_log_stream_alert_takes_the_tenant_name_of_the_last_pass() -> None:
    from monitor.service.passes import known_tenant_name

    store = MemoryStore()
    moment = datetime(2026, 11, 20, 12, tzinfo=UTC)
    store.save_run(
        RunRecord(TENANT.id, "r1", moment, moment, moment, "ok", {"tenantName": "Northwind Traders"})
    )

    assert known_tenant_name(store, TENANT.id) == "Northwind Traders"
    assert known_tenant_name(store, "another-tenant") == ""
    card = teams.alert_card(stream_notice("Northwind Traders", {}))
    assert card["body"][1]["text"] == "High severity · Northwind Traders"


@pytest.mark.parametrize("item", ITEMS, ids=lambda i: f"{i['alert']['rule']}/{i['event']}")
def test_no_card_or_email_asks_for_a_command_line(item: dict[str, Any]) -> None:
    mail = email.build_message([item], "monitor@contoso.com", "alex@contoso.com", datetime.now(UTC), "mail.k")

    assert "python -m" not in orjson.dumps(teams.alert_card(item)).decode()
    assert "python -m" not in mail.as_string()
    assert "acknowledge" not in mail.as_string().lower()


def test_alert_email_is_marked_machine_made_and_its_subject_names_the_problems() -> None:
    items = [
        next(i for i in OPENED if i["alert"]["rule"] == "consent.pin-reset-service.missing"),
        next(i for i in OPENED if i["alert"]["rule"] == "tap.signin.failure-burst"),
    ]
    mail = email.build_message(items, "monitor@contoso.com", "alex@contoso.com", datetime.now(UTC), "mail.ab")

    assert mail["Auto-Submitted"] == "auto-generated"
    assert mail["X-Auto-Response-Suppress"] == "All"
    assert email.subject_line(items) == (
        "2 alerts need attention at Contoso: PIN reset service app is not consented; "
        "Burst of failed Temporary Access Pass sign-ins"
    )


def test_the_html_email_hides_the_consent_url_behind_its_button() -> None:
    item = next(i for i in OPENED if i["alert"]["rule"] == "consent.pin-reset-client.missing")
    markup = email.html_text([item])
    url = CONSENT_URLS[PIN_RESET_CLIENT_APP_ID].replace("&", "&amp;")

    assert markup.count(url) == 1
    assert f'href="{url}"' in markup


def test_times_have_one_readable_form() -> None:
    assert wording.when("2026-11-20T09:30:00Z") == "20 Nov 2026, 09:30 UTC"
    assert wording.span("2026-11-20T11:32:00Z", "2026-11-20T11:39:00Z") == "20 Nov 2026, 11:32–11:39 UTC"
    assert wording.readable_times("began 2026-11-20T10:00:00Z;") == "began 20 Nov 2026, 10:00 UTC;"
    assert wording.when(None) == ""
