"""The review workflow end to end on Table Storage (Azurite): a pass over a tenant with suspicious TAP
sign-ins, the late-review alert it raises, a review through the CLI and the route, the filters, the
history, health's count, and the alert resolving once the sign-in is reviewed."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import azure.functions as func
import orjson
import pytest

from graphsim import GraphSimulator
from graphsim.receiver import CaptureReceiver
from monitor import cli
from monitor.soc.workflow import REVIEW_RULE
from tests import entry as service
from tests.conftest import ROOT
from tests.support import NOW, configure_monitor, indexed_functions

TENANT = ROOT / "examples" / "tenants" / "tap-suspicious"
RISKY = "d7c1b1f2-c9d7-509f-813c-5cbb88ccc980"  # laura.huber, high risk: flagged by tap.signin.risky
FLAGGED = {
    "deed6210-87d0-5331-8bb9-b16c33128b30",
    "d71246e5-190f-59bc-a6d2-0f139c8d92ff",
    RISKY,
}


@pytest.fixture(scope="module")
def functions() -> dict[str, Any]:
    return indexed_functions()


@pytest.fixture
def passed(
    azurite: str, table_prefix: str, monkeypatch: pytest.MonkeyPatch
) -> Iterator[tuple[GraphSimulator, CaptureReceiver]]:
    """Two passes (the poll timer's), at NOW and 20 minutes later, alerting a loopback webhook."""
    with GraphSimulator(TENANT) as sim, CaptureReceiver() as receiver:
        configure_monitor(monkeypatch, sim.url, azurite, table_prefix)
        monkeypatch.setenv("MONITOR_ALERT_DESTINATIONS", "soc=webhook")
        monkeypatch.setenv("MONITOR_ALERT_SOC_URL", f"{receiver.url}/webhook/soc")
        monkeypatch.setenv("MONITOR_ALERT_SOC_HMAC_KEY", "0123456789abcdef0123")
        monkeypatch.setenv("MONITOR_ALERT_DEFAULT_ROUTE", "soc")
        # The deadline counts from when a rule first flagged a sign-in (this first pass), so that a
        # first pass over two weeks of history does not alert on every old sign-in at once.
        monkeypatch.setenv("MONITOR_SOC_REVIEW_HOURS", "0.25")
        asyncio.run(service.run_configured_pass(now=NOW))
        asyncio.run(service.run_configured_pass(now=NOW + timedelta(minutes=20)))
        yield sim, receiver


def listed(capsys: pytest.CaptureFixture[str], *args: str) -> dict[str, Any]:
    assert cli.main(["tap-signins", "--now", "2026-11-20T12:00:00Z", *args]) == 0
    document: dict[str, Any] = orjson.loads(capsys.readouterr().out)
    return document


def review_notices(receiver: CaptureReceiver) -> list[tuple[str, str]]:
    notices = [n for d in receiver.accepted("/webhook/soc") for n in orjson.loads(d.body)["notifications"]]
    return sorted((n["event"], n["alert"]["subject"]) for n in notices if n["alert"]["rule"] == REVIEW_RULE)


def test_a_flagged_sign_in_nobody_reviewed_in_time_raises_its_own_alert(
    passed: tuple[GraphSimulator, CaptureReceiver],
) -> None:
    _, receiver = passed
    assert review_notices(receiver) == sorted(("opened", signin) for signin in FLAGGED)


def test_a_review_through_the_cli_leaves_the_new_filter_and_the_route_appends_to_its_history(
    passed: tuple[GraphSimulator, CaptureReceiver],
    functions: dict[str, Any],
    capsys: pytest.CaptureFixture[str],
) -> None:
    new_flagged = listed(capsys, "--flagged", "--review", "new")["tapSignIns"]
    # --flagged lists the sign-ins the rules found and, with a burst, the failed sign-ins that made it.
    listed_ids = {r["id"] for r in new_flagged}
    assert listed_ids >= FLAGGED
    assert all(not r["succeeded"] for r in new_flagged if r["id"] not in FLAGGED)

    assert (
        cli.main(
            [
                "tap-signins",
                "--now",
                "2026-11-20T12:25:00Z",
                "review",
                RISKY,
                "--verdict",
                "undetermined",
                "--note",
                "asked the user's manager",
                "--by",
                "ana@contoso.com",
            ]
        )
        == 0
    )
    row = orjson.loads(capsys.readouterr().out)
    assert (row["review"]["state"], row["review"]["reviewer"], row["review"]["note"]) == (
        "undetermined",
        "ana@contoso.com",
        "asked the user's manager",
    )

    request = func.HttpRequest(
        "POST",
        f"/api/tap-signins/{RISKY}/review",
        route_params={"signin_id": RISKY},
        body=orjson.dumps({"verdict": "true-positive", "note": "not the user's device", "by": "ben"}),
    )
    answer = functions["tap_signin_review"].get_user_function()(request)
    assert answer.status_code == 200
    history = orjson.loads(answer.get_body())["review"]["history"]
    assert [(h["verdict"], h["reviewer"], h["via"]) for h in history] == [
        ("undetermined", "ana@contoso.com", "cli"),
        ("true-positive", "ben", "api"),
    ]

    still_new = listed(capsys, "--flagged", "--review", "new")
    assert {r["id"] for r in still_new["tapSignIns"]} == listed_ids - {RISKY}
    (confirmed,) = listed(capsys, "--review", "true-positive")["tapSignIns"]
    assert confirmed["id"] == RISKY
    assert len(listed(capsys, "--review", "reviewed")["tapSignIns"]) == 1

    params = {"review": "true-positive", "format": "csv", "since": "2026-11-01T00:00:00Z"}
    csv_request = func.HttpRequest("GET", "/api/tap-signins", params=params, body=b"")
    csv_answer = functions["tap_signins"].get_user_function()(csv_request)
    header, line = csv_answer.get_body().decode().splitlines()
    assert header.endswith("reviewState,reviewedBy,reviewedDateTime")
    assert line.split(",")[-3:-1] == ["true-positive", "ben"]


def test_health_counts_the_unreviewed_sign_ins_and_the_oldest(
    passed: tuple[GraphSimulator, CaptureReceiver], capsys: pytest.CaptureFixture[str]
) -> None:
    # Counted by the last pass (NOW + 20 min): the three flagged sign-ins were flagged at NOW, 15
    # minutes allowed, so all three are overdue.
    assert service.health().to_json()["socReview"] == {
        "unreviewed": 12,
        "flaggedUnreviewed": 3,
        "overdue": 3,
        "oldestUnreviewed": {
            "id": "ef987270-bf0a-5e3a-bef9-dca5baec5f5a",
            "createdDateTime": "2026-11-06T14:41:31Z",
            "userPrincipalName": "birgit.meyer@treyresearch.net",
        },
        "countedAt": "2026-11-20T12:20:00Z",
    }
    # A review counts again at once.
    review = ["tap-signins", "--now", "2026-11-20T12:25:00Z", "review", RISKY, "--verdict", "undetermined"]
    assert cli.main([*review, "--by", "ana"]) == 0
    capsys.readouterr()
    after = service.health().to_json()["socReview"]
    assert (after["unreviewed"], after["flaggedUnreviewed"], after["overdue"], after["countedAt"]) == (
        11,
        2,
        2,
        "2026-11-20T12:25:00Z",
    )


def test_the_late_review_alert_resolves_once_the_sign_in_is_reviewed(
    passed: tuple[GraphSimulator, CaptureReceiver], capsys: pytest.CaptureFixture[str]
) -> None:
    _, receiver = passed
    for signin in sorted(FLAGGED):
        assert (
            cli.main(
                [
                    "tap-signins",
                    "--now",
                    "2026-11-20T12:25:00Z",
                    "review",
                    signin,
                    "--verdict",
                    "fp",
                    "--by",
                    "x",
                ]
            )
            == 2
        )
    assert "verdict must be one of" in capsys.readouterr().err
    assert (
        cli.main(
            [
                "tap-signins",
                "--now",
                "2026-11-20T12:25:00Z",
                "review",
                RISKY,
                "--verdict",
                "benign-positive",
                "--by",
                "ana",
            ]
        )
        == 0
    )
    asyncio.run(service.run_configured_pass(now=NOW + timedelta(minutes=60)))
    assert ("resolved", RISKY) in review_notices(receiver)
    assert [n for n in review_notices(receiver) if n[0] == "resolved"] == [("resolved", RISKY)]


def test_a_review_of_an_unknown_sign_in_or_with_a_bad_body_is_refused_and_stores_nothing(
    passed: tuple[GraphSimulator, CaptureReceiver],
    functions: dict[str, Any],
    capsys: pytest.CaptureFixture[str],
) -> None:
    route = functions["tap_signin_review"].get_user_function()

    def post(signin: str, body: bytes) -> tuple[int, dict[str, Any]]:
        request = func.HttpRequest(
            "POST", f"/api/tap-signins/{signin}/review", route_params={"signin_id": signin}, body=body
        )
        answer = route(request)
        return answer.status_code, orjson.loads(answer.get_body())

    assert post("no-such-sign-in", b'{"verdict": "true-positive", "by": "ben"}')[0] == 404
    assert post(RISKY, b"not json")[0] == 400
    assert post(RISKY, b'{"verdict": "bad", "by": "ben"}') == (
        400,
        {
            "error": "verdict must be one of true-positive, benign-positive, false-positive, "
            "undetermined, got 'bad'"
        },
    )
    assert post(RISKY, b'{"verdict": "true-positive"}') == (400, {"error": "a review needs a reviewer"})
    assert post(RISKY, b'{"verdict": "true-positive", "by": "ben", "reviewer": "x"}')[0] == 400
    assert listed(capsys, "--review", "reviewed")["tapSignIns"] == []
