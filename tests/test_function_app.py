"""function_app.py through the azure-functions library: index the app once, call each trigger's user
function as the host would (Core Tools cannot be installed here)."""

from __future__ import annotations

import asyncio
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import azure.functions as func
import orjson
import pytest
from azure.data.tables import TableServiceClient
from azure.functions.timer import TimerRequest

from graphsim import GraphSimulator
from monitor.entra import PIN_RESET_SERVICE_APP_ID
from monitor.store.account import TableAccount
from monitor.store.tables import open_table_store
from tests import entry as service
from tests.conftest import ROOT
from tests.support import (
    NOW,
    TENANT_ID,
    configure_monitor,
    indexed_functions,
    user_id_of,
    write_recovery_tenant,
    write_tenant,
)


@pytest.fixture(scope="session")
def functions() -> dict[str, Any]:
    """The app's functions by name, indexed once per session as the Functions host indexes them."""
    return indexed_functions()


@pytest.fixture
def configured(
    tmp_path: Path, azurite: str, table_prefix: str, monkeypatch: pytest.MonkeyPatch
) -> Iterator[GraphSimulator]:
    with GraphSimulator(write_tenant(tmp_path, service="missing")) as sim:
        configure_monitor(monkeypatch, sim.url, azurite, table_prefix)
        yield sim


def test_the_app_indexes_a_timer_and_a_health_route(functions: dict[str, Any]) -> None:
    assert sorted(functions) == [
        "alert_action",
        "alert_confirm",
        "azure_monitor_alerts",
        "device_reports",
        "entra_log_stream",
        "health",
        "poll",
        "requested_pass",
        "soc_review_page",
        "tap_signin_review",
        "tap_signins",
        "tenant_change",
        "tenant_pass",
        "tenant_pass_poison",
        "tenants_status",
        "weekly",
    ]
    poll = orjson.loads(functions["poll"].get_function_json())["bindings"][0]
    assert (poll["type"], poll["schedule"], poll["runOnStartup"]) == (
        "timerTrigger",
        "%MONITOR_POLL_SCHEDULE%",
        False,
    )
    route = orjson.loads(functions["health"].get_function_json())["bindings"][0]
    assert (route["type"], route["route"], route["methods"], route["authLevel"]) == (
        "httpTrigger",
        "health",
        ["GET"],
        "FUNCTION",
    )


def test_the_timer_runs_a_pass_that_stores_findings(
    functions: dict[str, Any], configured: GraphSimulator, azurite: str, table_prefix: str
) -> None:
    poll = functions["poll"].get_user_function()
    asyncio.run(poll(TimerRequest(past_due=True)))

    store = open_table_store(azurite, prefix=table_prefix)
    assert [(f.rule, f.subject, f.status) for f in store.findings(TENANT_ID)] == [
        ("consent.pin-reset-service.missing", PIN_RESET_SERVICE_APP_ID, "open")
    ]
    assert [run.outcome for run in store.runs(TENANT_ID)] == ["ok"]
    assert configured.count(path_contains="servicePrincipals") == 2
    store.close()


def test_health_reports_the_last_pass(functions: dict[str, Any], configured: GraphSimulator) -> None:
    asyncio.run(functions["poll"].get_user_function()(TimerRequest()))
    health = functions["health"].get_user_function()

    response = health(func.HttpRequest("GET", "/api/health", body=b""))

    body = orjson.loads(response.get_body())
    assert response.status_code == 200
    assert body["status"] == "ok"
    assert [(r["tenantId"], r["outcome"], r["findings"]) for r in body["lastRuns"]] == [(TENANT_ID, "ok", 1)]


def test_health_is_unhealthy_and_lists_what_configuration_lacks(
    functions: dict[str, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    for name in ("MONITOR_STORAGE_CONNECTION_STRING", "MONITOR_STORAGE_ENDPOINT", "MONITOR_POLL_SCHEDULE"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("MONITOR_GRAPH_CREDENTIAL", "certificate")

    response = functions["health"].get_user_function()(func.HttpRequest("GET", "/api/health", body=b""))

    body = orjson.loads(response.get_body())
    assert (response.status_code, body["status"]) == (503, "unhealthy")
    assert body["problems"] == [
        "MONITOR_GRAPH_CREDENTIAL must be one of managed-identity, default, simulator, got 'certificate'",
        "MONITOR_STORAGE_CONNECTION_STRING or MONITOR_STORAGE_ENDPOINT is required to keep state",
        "MONITOR_POLL_SCHEDULE is not set: the timer trigger has no schedule "
        "(six NCRONTAB fields, e.g. '0 */15 * * * *')",
    ]


def alert_request(functions: dict[str, Any], alert_id: str, action: str, body: bytes) -> tuple[int, Any]:
    request = func.HttpRequest(
        "POST",
        f"/api/alerts/{alert_id}/{action}",
        body=body,
        route_params={"alert_id": alert_id, "action": action},
    )
    response = functions["alert_action"].get_user_function()(request)
    return response.status_code, orjson.loads(response.get_body())


@pytest.fixture
def open_alert(functions: dict[str, Any], configured: GraphSimulator) -> str:
    """The ID of the alert the timer's pass opened for the missing Service app."""
    asyncio.run(functions["poll"].get_user_function()(TimerRequest()))
    [alert] = service.list_alerts(TENANT_ID)
    return alert.id


def test_the_alert_route_is_a_function_key_post(functions: dict[str, Any]) -> None:
    route = orjson.loads(functions["alert_action"].get_function_json())["bindings"][0]
    assert (route["route"], route["methods"], route["authLevel"]) == (
        "alerts/{alert_id}/{action}",
        ["POST"],
        "FUNCTION",
    )


def test_the_timer_pass_opens_an_alert_for_its_finding(open_alert: str) -> None:
    [alert] = service.list_alerts(TENANT_ID)
    assert (alert.rule, alert.subject, alert.state, alert.cycle) == (
        "consent.pin-reset-service.missing",
        PIN_RESET_SERVICE_APP_ID,
        "open",
        1,
    )


def test_an_alert_is_acknowledged_over_http(functions: dict[str, Any], open_alert: str) -> None:
    status, body = alert_request(functions, open_alert, "ack", b'{"by": "alex@contoso.com"}')

    assert status == 200
    assert (body["id"], body["acknowledgedBy"]) == (open_alert, "alex@contoso.com")
    assert body["acknowledgedAt"] is not None


def test_an_alert_is_snoozed_for_a_duration_over_http(functions: dict[str, Any], open_alert: str) -> None:
    status, body = alert_request(functions, open_alert, "snooze", b'{"for": "2h"}')

    assert status == 200
    [alert] = service.list_alerts(TENANT_ID)
    assert alert.snoozed_until is not None
    assert body["snoozedUntil"] == alert.to_json()["snoozedUntil"]


@pytest.mark.parametrize(
    ("action", "body", "error"),
    [
        (
            "snooze",
            b"{not json",
            "the body is not JSON: unexpected character, expected a string key: line 1 column 2 (char 1)",
        ),
        ("snooze", b"[]", "the body must be a JSON object"),
        (
            "snooze",
            b'{"for": "2h", "until": "2026-11-21T08:00:00Z"}',
            "snooze needs exactly one of 'for' (a duration such as 2h) or 'until' (a time)",
        ),
        ("snooze", b'{"for": "forever"}', "not a duration: 'forever' (examples: 30m, 2h, 7d)"),
        (
            "snooze",
            b'{"until": "2020-01-01T00:00:00Z"}',
            "snooze until 2020-01-01T00:00:00+00:00 is not in the future",
        ),
        ("ack", b'{"who": "alex"}', "unknown field(s) for ack: who"),
        ("ack", b'{"by": 7}', "every field must be a string"),
    ],
)
def test_a_bad_body_is_a_400_with_the_reason(
    functions: dict[str, Any], open_alert: str, action: str, body: bytes, error: str
) -> None:
    assert alert_request(functions, open_alert, action, body) == (400, {"error": error})


def test_an_unknown_alert_or_action_is_a_404(functions: dict[str, Any], open_alert: str) -> None:
    assert alert_request(functions, "000000000000", "ack", b"") == (
        404,
        {"error": "no alert '000000000000' (python -m monitor alerts --state all lists them)"},
    )
    assert alert_request(functions, open_alert, "delete", b"") == (
        404,
        {"error": "no action 'delete': use ack or snooze"},
    )


def test_the_weekly_timer_and_the_soc_route_are_wired_as_the_host_expects(functions: dict[str, Any]) -> None:
    weekly = orjson.loads(functions["weekly"].get_function_json())["bindings"][0]
    assert (weekly["type"], weekly["schedule"], weekly["runOnStartup"]) == (
        "timerTrigger",
        "%MONITOR_WEEKLY_SCHEDULE%",
        False,
    )
    route = orjson.loads(functions["tap_signins"].get_function_json())["bindings"][0]
    assert (route["route"], route["methods"], route["authLevel"]) == ("tap-signins", ["GET"], "FUNCTION")


@pytest.fixture
def recovered(
    tmp_path: Path,
    azurite: str,
    table_prefix: str,
    monkeypatch: pytest.MonkeyPatch,
    functions: dict[str, Any],
) -> Iterator[GraphSimulator]:
    """A pass (the poll timer) over a tenant whose user recovered with a pass 10 days ago."""
    with GraphSimulator(write_recovery_tenant(tmp_path / "tenant")) as sim:
        configure_monitor(monkeypatch, sim.url, azurite, table_prefix)
        from tests import entry as service

        asyncio.run(service.run_configured_pass(now=NOW))
        yield sim


def get(functions: dict[str, Any], query: str) -> func.HttpResponse:
    params = dict(part.split("=", 1) for part in query.split("&") if part)
    request = func.HttpRequest("GET", f"/api/tap-signins?{query}", params=params, body=b"")
    response: func.HttpResponse = functions["tap_signins"].get_user_function()(request)
    return response


def test_the_soc_route_lists_stored_tap_signins_with_their_pass_findings_and_chain(
    functions: dict[str, Any], recovered: GraphSimulator, monkeypatch: pytest.MonkeyPatch
) -> None:
    response = get(functions, "user=adelev@contoso.com&since=2026-11-01T00:00:00Z&until=2026-11-20T12:00:00Z")

    body = orjson.loads(response.get_body())
    assert response.status_code == 200
    (row,) = body["tapSignIns"]
    # The monitor first sees this pass 10 days after it expired: a pass's details are read only while it
    # may still be valid (each read costs a throttled request), so its lifetime is unknown here.
    assert (row["userId"], row["issuance"]["issuedBy"], row["issuance"]["lifetimeInMinutes"]) == (
        user_id_of("adelev"),
        "helpdesk@contoso.com",
        None,
    )
    assert row["rules"] == ["tap.recovery.old-methods-kept"]
    assert row["recovery"]["stage"] == "new-method-registered"
    assert [m["type"] for m in row["recovery"]["oldMethodsKept"]] == [
        "microsoftAuthenticatorAuthenticationMethod",
        "phoneAuthenticationMethod",
    ]


def test_the_soc_route_answers_400_with_the_reason_for_a_bad_filter(
    functions: dict[str, Any], recovered: GraphSimulator
) -> None:
    response = get(functions, "risk=extreme")
    assert response.status_code == 400
    assert orjson.loads(response.get_body()) == {
        "error": "risk must be one of none, low, medium, high, hidden, got 'extreme'"
    }
    assert get(functions, "format=xml").status_code == 400
    assert get(functions, "continuation=abc").status_code == 400


def test_the_soc_route_answers_503_not_500_without_storage(
    functions: dict[str, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    for name in ("MONITOR_STORAGE_CONNECTION_STRING", "MONITOR_STORAGE_ENDPOINT"):
        monkeypatch.delenv(name, raising=False)
    response = get(functions, "")
    assert response.status_code == 503
    assert "MONITOR_STORAGE_CONNECTION_STRING" in orjson.loads(response.get_body())["error"]


def test_the_weekly_timer_keeps_the_snapshot_and_writes_the_report(
    functions: dict[str, Any],
    recovered: GraphSimulator,
    azurite: str,
    table_prefix: str,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("MONITOR_WEEKLY_OUTPUT", str(tmp_path / "weekly"))

    asyncio.run(functions["weekly"].get_user_function()(TimerRequest(past_due=True)))

    assert (tmp_path / "weekly" / "report.html").exists()
    reports = TableAccount.shared(azurite, prefix=table_prefix).reports()
    (kept,) = reports.snapshots(TENANT_ID)
    reports.close()
    assert kept.document["tenant"] == {"id": TENANT_ID, "displayName": "Contoso"}
    # One tenant, no MONITOR_MSP_APP_ID: no roll-up, and no tenants table to manage.
    assert not (tmp_path / "weekly" / "rollup.html").exists()
    service = TableServiceClient.from_connection_string(azurite)
    assert f"{table_prefix}tenants" not in {t.name for t in service.list_tables()}


def indexed_in_a_fresh_process(env: dict[str, str]) -> list[str]:
    """The function names the app lists when the host imports it with these app settings."""
    import os
    import subprocess
    import sys

    code = (
        "import function_app; "
        "print(' '.join(f.get_function_name() for f in function_app.app.get_functions()))"
    )
    clean = {k: v for k, v in os.environ.items() if k != "MONITOR_ENTRA_LOG_HUB"}
    done = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, env=clean | env, check=True, capture_output=True, text=True
    )
    return done.stdout.split()


def test_the_log_stream_trigger_exists_only_where_its_hub_is_configured() -> None:
    without = indexed_in_a_fresh_process({})
    assert "entra_log_stream" not in without
    assert {"poll", "health", "requested_pass", "device_reports"} <= set(without)
    assert "entra_log_stream" in indexed_in_a_fresh_process({"MONITOR_ENTRA_LOG_HUB": "entra-logs"})


def test_every_trigger_parameter_is_a_type_the_python_worker_accepts() -> None:
    """The worker refuses PEP 585 generics such as list[func.EventHubEvent] (its issue #1034) and then
    lists no function of the app at all; typing.List is what it accepts."""
    source = (ROOT / "function_app.py").read_text()
    signatures = [line for line in source.splitlines() if line.lstrip().startswith(("def ", "async def "))]
    assert signatures
    assert not [line for line in signatures if re.search(r":\s*(list|dict|tuple|set)\[", line)]
