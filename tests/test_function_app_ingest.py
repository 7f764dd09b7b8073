"""The ingestion triggers of function_app.py through the azure-functions library, against Azurite
(tables and queues) and the Graph simulator, as the Functions host would call them."""

from __future__ import annotations

import asyncio
import hashlib
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import azure.functions as func
import orjson
import pytest

from graphsim import GraphSimulator
from monitor.settings import PASS_QUEUE, Settings
from monitor.store.ingest import open_table_ingest_store
from monitor.store.pass_queue import open_pass_queue
from monitor.store.tables import open_table_store
from tests.ingest.samples import INTUNE_DEVICE_ID, alert, device_report_body, signin_record
from tests.support import TENANT_ID, clear_pass_queue, configure_monitor, indexed_functions, write_tenant

KEY = {"x-functions-key": "a-function-key"}


@pytest.fixture(scope="module")
def functions() -> dict[str, Any]:
    return indexed_functions()


@pytest.fixture
def configured(
    tmp_path: Path, azurite_with_queues: str, table_prefix: str, monkeypatch: pytest.MonkeyPatch
) -> Iterator[GraphSimulator]:
    with GraphSimulator(write_tenant(tmp_path, service="missing")) as sim:
        configure_monitor(monkeypatch, sim.url, azurite_with_queues, table_prefix)
        clear_pass_queue(azurite_with_queues)
        yield sim
        clear_pass_queue(azurite_with_queues)


def post(functions: dict[str, Any], name: str, body: bytes, headers: dict[str, str] | None = None) -> Any:
    request = func.HttpRequest("POST", f"/api/{name}", headers=KEY if headers is None else headers, body=body)
    response = functions[name.replace("-", "_")].get_user_function()(request)
    return response.status_code, orjson.loads(response.get_body())


def stored_reports() -> list[Any]:
    settings = Settings.from_env()
    store = open_table_ingest_store(settings.storage_connection_string, prefix=settings.table_prefix)
    try:
        return store.latest_device_reports(TENANT_ID)
    finally:
        store.close()


def queued_messages() -> list[str]:
    settings = Settings.from_env()
    queue = open_pass_queue(settings.queue_connection_string, "", settings.pass_queue_name)
    try:
        return queue.receive_all()
    finally:
        queue.close()


def test_the_app_indexes_the_ingestion_triggers(functions: dict[str, Any]) -> None:
    assert {"device_reports", "azure_monitor_alerts", "requested_pass", "entra_log_stream"} <= set(functions)
    bindings = {name: orjson.loads(f.get_function_json())["bindings"][0] for name, f in functions.items()}

    for route in ("device_reports", "azure_monitor_alerts"):
        binding = bindings[route]
        assert (binding["type"], binding["route"], binding["methods"], binding["authLevel"]) == (
            "httpTrigger",
            route.replace("_", "-"),
            ["POST"],
            "FUNCTION",
        )
    queue = bindings["requested_pass"]
    assert (queue["type"], queue["queueName"], queue["connection"]) == (
        "queueTrigger",
        PASS_QUEUE,
        "AzureWebJobsStorage",
    )
    hub = bindings["entra_log_stream"]
    assert (
        hub["type"],
        hub["eventHubName"],
        hub["consumerGroup"],
        hub["connection"],
        hub["cardinality"],
    ) == (
        "eventHubTrigger",
        "%MONITOR_ENTRA_LOG_HUB%",
        "%MONITOR_ENTRA_LOG_CONSUMER_GROUP%",
        "EntraLogStream",
        "MANY",
    )


def test_a_device_report_is_stored_and_answered_with_202(functions: dict[str, Any], configured: Any) -> None:
    status, body = post(functions, "device-reports", orjson.dumps(device_report_body()))

    assert status == 202
    assert (body["stored"]["intuneDeviceId"], body["stored"]["canReset"]) == (
        INTUNE_DEVICE_ID,
        "DestructiveOnly",
    )
    assert [(r.intune_device_id, r.can_reset) for r in stored_reports()] == [
        (INTUNE_DEVICE_ID, "DestructiveOnly")
    ]


def test_a_request_without_a_key_is_401_and_stores_nothing(
    functions: dict[str, Any], configured: Any
) -> None:
    status, body = post(functions, "device-reports", orjson.dumps(device_report_body()), headers={})

    assert (status, body) == (
        401,
        {"error": "no key: send the function key in the x-functions-key header or the code parameter"},
    )
    assert stored_reports() == []


def test_a_key_not_among_the_allowed_digests_is_403(
    functions: dict[str, Any], configured: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("MONITOR_INGEST_KEY_SHA256", hashlib.sha256(b"the-device-key").hexdigest())
    body = orjson.dumps(device_report_body())

    assert post(functions, "device-reports", body)[0] == 403
    assert post(functions, "device-reports", body, {"x-functions-key": "the-device-key"})[0] == 202
    assert len(stored_reports()) == 1


def test_a_body_past_the_limit_is_413_before_it_is_read(
    functions: dict[str, Any], configured: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("MONITOR_INGEST_MAX_BODY_BYTES", "2048")

    assert post(functions, "device-reports", b"{" * 2049) == (413, {"error": "body larger than 2048 bytes"})
    assert post(functions, "device-reports", b"{}", {**KEY, "Content-Length": "999999"})[0] == 413
    assert stored_reports() == []


def test_without_storage_settings_a_route_answers_503_not_500(
    functions: dict[str, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("MONITOR_STORAGE_CONNECTION_STRING", raising=False)
    monkeypatch.delenv("MONITOR_STORAGE_ENDPOINT", raising=False)

    problem = "MONITOR_STORAGE_CONNECTION_STRING or MONITOR_STORAGE_ENDPOINT is required to keep state"
    assert post(functions, "azure-monitor-alerts", orjson.dumps(alert())) == (
        503,
        {"error": f"the monitor is misconfigured: {problem}", "problems": [problem]},
    )


def test_a_resolved_alert_queues_nothing(functions: dict[str, Any], configured: Any) -> None:
    assert post(functions, "azure-monitor-alerts", orjson.dumps(alert("Resolved"))) == (
        202,
        {"queued": False, "reason": "the alert is resolved; no pass needed"},
    )
    assert queued_messages() == []


def test_alerts_within_a_minute_run_one_pass(
    functions: dict[str, Any], configured: Any, azurite: str
) -> None:
    for _ in range(3):
        status, body = post(functions, "azure-monitor-alerts", orjson.dumps(alert()))
        assert (status, body["queued"], body["request"]["tenantId"]) == (202, True, "configured")
    messages = queued_messages()
    trigger = functions["requested_pass"].get_user_function()

    for n, message in enumerate(messages):
        asyncio.run(trigger(func.QueueMessage(id=str(n), body=message.encode())))

    store = open_table_store(azurite, prefix=Settings.from_env().table_prefix)
    assert len(messages) == 3
    assert [run.outcome for run in store.runs(TENANT_ID)] == ["ok"]
    assert [(f.rule, f.status) for f in store.findings(TENANT_ID)] == [
        ("consent.pin-reset-service.missing", "open")
    ]
    store.close()


def test_an_alert_after_the_pass_waits_on_the_queue_until_the_gate_opens(
    functions: dict[str, Any], configured: Any
) -> None:
    from tests import entry as service

    post(functions, "azure-monitor-alerts", orjson.dumps(alert()))
    (first,) = queued_messages()
    assert asyncio.run(service.run_requested_pass(first)) == "ran"
    post(functions, "azure-monitor-alerts", orjson.dumps(alert()))
    (second,) = queued_messages()

    assert asyncio.run(service.run_requested_pass(second)) == "deferred"
    assert queued_messages() == []  # back on the queue, invisible until the gate opens


def test_a_queue_message_the_monitor_did_not_write_is_dropped(configured: Any) -> None:
    from tests import entry as service

    assert asyncio.run(service.run_requested_pass(b"not json")) == "rejected"


def test_the_log_stream_stores_good_records_and_counts_the_bad(
    functions: dict[str, Any], configured: Any, azurite: str
) -> None:
    good = signin_record(created="2026-11-20T11:02:15.5522137+00:00", error_code=65001)
    events = [
        func.EventHubEvent(body=orjson.dumps({"records": [good, {"category": "SignInLogs"}]})),
        func.EventHubEvent(body=b"not json"),
    ]

    functions["entra_log_stream"].get_user_function()(events)

    store = open_table_store(azurite, prefix=Settings.from_env().table_prefix)
    stored = store.pin_reset_signins(TENANT_ID, good_time(), good_time())
    assert [s.id for s in stored] == ["0231f922-93fa-4005-bb11-b344eca03c01"]
    store.close()


def good_time() -> Any:
    from datetime import UTC, datetime

    return datetime(2026, 11, 20, 11, 2, 15, 552213, tzinfo=UTC)


def test_a_consent_failure_on_the_log_stream_is_alerted_in_that_invocation(
    functions: dict[str, Any], configured: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    from datetime import UTC, datetime, timedelta

    from graphsim.receiver import CaptureReceiver

    created = (datetime.now(UTC) - timedelta(minutes=5)).strftime("%Y-%m-%dT%H:%M:%S.0000000+00:00")
    record = signin_record(created=created, error_code=65001)
    with CaptureReceiver() as receiver:
        monkeypatch.setenv("MONITOR_ALERT_DESTINATIONS", "ops=teams")
        monkeypatch.setenv("MONITOR_ALERT_OPS_URL", f"{receiver.url}/teams/ops")
        monkeypatch.setenv("MONITOR_ALERT_DEFAULT_ROUTE", "ops")

        functions["entra_log_stream"].get_user_function()(
            [func.EventHubEvent(body=orjson.dumps({"records": [record]}))]
        )

        assert [(d.channel, d.name, d.status) for d in receiver.deliveries] == [("teams", "ops", 202)]


# -- the queue trigger: keyed by the tenant this deployment monitors ---------------------------------


def queue_alert(functions: dict[str, Any], tenant_id: str | None = None) -> str:
    status, body = post(functions, "azure-monitor-alerts", orjson.dumps(alert(tenant_id=tenant_id)))
    assert (status, body["queued"]) == (202, True)
    (message,) = queued_messages()
    return message


def run_message(message: str | bytes) -> str:
    from tests import entry as service

    return str(asyncio.run(service.run_requested_pass(message)))


def recorded_runs(azurite: str) -> list[str]:
    store = open_table_store(azurite, prefix=Settings.from_env().table_prefix)
    try:
        return [run.outcome for run in store.runs(TENANT_ID, 100)]
    finally:
        store.close()


def test_alerts_naming_tenants_this_deployment_does_not_monitor_run_no_pass(
    functions: dict[str, Any], configured: Any, azurite: str
) -> None:
    assert run_message(queue_alert(functions)) == "ran"  # the deployment learns its tenant
    strangers = [f"00000000-0000-4000-8000-00000000000{n}" for n in range(5)]

    outcomes = [run_message(queue_alert(functions, tenant)) for tenant in strangers]

    assert outcomes == ["rejected"] * 5
    assert recorded_runs(azurite) == ["ok"]


def test_an_alert_without_a_tenant_and_one_naming_the_monitored_tenant_share_one_gate(
    functions: dict[str, Any], configured: Any, azurite: str
) -> None:
    assert run_message(queue_alert(functions)) == "ran"
    named = queue_alert(functions, TENANT_ID.upper())
    unnamed = queue_alert(functions)

    assert [run_message(named), run_message(unnamed)] == ["deferred", "deferred"]
    assert recorded_runs(azurite) == ["ok"]


def test_an_alert_while_another_pass_holds_the_tenant_is_deferred_and_requeued(
    functions: dict[str, Any], configured: Any, azurite: str
) -> None:
    from datetime import UTC, datetime, timedelta

    from azure.storage.queue import QueueClient

    message = queue_alert(functions)
    store = open_table_store(azurite, prefix=Settings.from_env().table_prefix)
    now = datetime.now(UTC)
    store.acquire_lease(TENANT_ID, "another-pass", now + timedelta(minutes=10), now)
    store.close()

    assert run_message(message) == "deferred"

    assert recorded_runs(azurite) == ["skipped"]
    settings = Settings.from_env()
    client = QueueClient.from_connection_string(settings.queue_connection_string, settings.pass_queue_name)
    try:
        assert client.get_queue_properties().approximate_message_count == 1  # back, invisible for now
    finally:
        client.close()


@pytest.mark.parametrize(
    "request_body",
    [
        {"tenantId": "a/b", "receivedDateTime": "2026-11-20T12:00:00+00:00"},
        {"tenantId": "x" * 2_000, "receivedDateTime": "2026-11-20T12:00:00+00:00"},
        {"tenantId": "4b1c5b67-3f1e-4e38-9d5e-2a2f3c1d0e9a\x01", "receivedDateTime": "2026-11-20T12:00:00Z"},
        {"tenantId": "configured", "receivedDateTime": "0001-01-01T00:00:00+01:00"},
        {"tenantId": "configured", "receivedDateTime": "9999-12-31T23:59:59-01:00"},
        {"tenantId": "configured", "receivedDateTime": "0001-01-01T00:00:00Z"},
        {"tenantId": 5, "receivedDateTime": "2026-11-20T12:00:00Z"},
    ],
)
def test_a_message_with_a_malformed_tenant_or_date_is_dropped_not_raised(
    functions: dict[str, Any], configured: Any, azurite: str, request_body: dict[str, Any]
) -> None:
    trigger = functions["requested_pass"].get_user_function()

    asyncio.run(trigger(func.QueueMessage(id="m", body=orjson.dumps(request_body))))

    assert run_message(orjson.dumps(request_body)) == "rejected"
    assert recorded_runs(azurite) == []


def test_a_log_search_alert_names_its_tenant_in_its_context_properties() -> None:
    from datetime import UTC, datetime

    from monitor.ingest.alerts import pass_request

    document = alert()
    document["data"]["alertContext"]["properties"] = {"tenantId": TENANT_ID.upper()}
    request = pass_request(document, datetime(2026, 11, 20, tzinfo=UTC))

    assert request is not None
    assert request.tenant_id == TENANT_ID


@pytest.mark.parametrize("encoding", ["utf-16", "utf-16-be", "utf-8-sig"])
def test_a_report_saved_with_a_byte_order_mark_is_read(
    functions: dict[str, Any], configured: Any, encoding: str
) -> None:
    text = orjson.dumps(device_report_body()).decode()
    body = text.encode(encoding) if encoding != "utf-16-be" else b"\xfe\xff" + text.encode("utf-16-be")

    status, answer = post(functions, "device-reports", body)

    assert (status, answer["stored"]["intuneDeviceId"]) == (202, INTUNE_DEVICE_ID)


def test_a_report_in_utf16_without_a_byte_order_mark_is_refused_with_the_reason(
    functions: dict[str, Any], configured: Any
) -> None:
    body = orjson.dumps(device_report_body()).decode().encode("utf-16-le")

    assert post(functions, "device-reports", body) == (
        400,
        {"error": "body is UTF-16 without a byte order mark: send UTF-8 (or UTF-16 with its BOM)"},
    )


def test_a_metric_alert_names_its_tenant_in_its_custom_properties() -> None:
    from datetime import UTC, datetime

    from monitor.ingest.alerts import pass_request

    document = alert()
    document["data"]["customProperties"] = {"tenantId": TENANT_ID}
    request = pass_request(document, datetime(2026, 11, 20, tzinfo=UTC))

    assert request is not None
    assert request.tenant_id == TENANT_ID


@pytest.mark.parametrize("where", ["customProperties", "alertContext"])
def test_a_tenant_property_that_is_not_a_guid_is_a_400(
    functions: dict[str, Any], configured: Any, where: str
) -> None:
    document = alert()
    if where == "customProperties":
        document["data"]["customProperties"] = {"tenantId": "contoso.onmicrosoft.com"}
    else:
        document["data"]["alertContext"]["properties"] = {"tenantId": "contoso.onmicrosoft.com"}

    status, body = post(functions, "azure-monitor-alerts", orjson.dumps(document))

    assert status == 400
    assert "tenantId" in body["error"]
    assert queued_messages() == []


def test_every_bad_record_in_one_event_hub_batch_is_counted_and_the_good_ones_stored(
    functions: dict[str, Any], configured: Any, azurite: str, caplog: pytest.LogCaptureFixture
) -> None:
    from tests.ingest.test_log_batch import BAD_RECORDS, GOOD_ID, body

    good_again = signin_record("0231f922-93fa-4005-bb11-b344eca03c09")
    events = [
        func.EventHubEvent(body=body(signin_record(GOOD_ID), *BAD_RECORDS.values())),
        func.EventHubEvent(body=body(*BAD_RECORDS.values(), good_again)),
    ]

    with caplog.at_level("INFO", logger="monitor.functions"):
        functions["entra_log_stream"].get_user_function()(events)  # no raise: the host moves on

    store = open_table_store(azurite, prefix=Settings.from_env().table_prefix)
    stored = store.pin_reset_signins(TENANT_ID, good_time().replace(hour=0), good_time().replace(hour=23))
    store.close()
    assert sorted(s.id for s in stored) == [GOOD_ID, "0231f922-93fa-4005-bb11-b344eca03c09"]
    (line,) = [r.getMessage() for r in caplog.records if r.getMessage().startswith("log stream batch")]
    assert f'"malformed":{2 * len(BAD_RECORDS)}' in line
