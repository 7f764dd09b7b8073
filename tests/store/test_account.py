"""One Table Storage account for every store (monitor/store/account.py), against Azurite: one client per
storage for the process, each table created once, and every store's every public method failing as one
StoreError that names the table and the operation, whether the account is unreachable, goes away, or its
credential cannot get a token."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from typing import Any

import orjson
import pytest
from azure.core.pipeline import PipelineRequest
from azure.identity import ClientSecretCredential

from monitor.entra import PIN_RESET_SERVICE_APP_ID as SERVICE
from monitor.records import ConsentState, UnusableItem
from monitor.rules.base import RuleResult
from monitor.rules.cases._builders import ALICE, issuance, tap_signin
from monitor.settings import Settings
from monitor.soc.review import new_review
from monitor.store import account as account_module
from monitor.store import ingest, tables
from monitor.store.account import MemoryAccount, StoreError, TableAccount, open_account
from monitor.store.alerts import MemoryAlertStore, TableAlertStore
from monitor.store.base import Lease, RunRecord
from monitor.store.base import StoreError as StoreErrorFromBase
from monitor.store.ingest import IngestRejects, TableIngestStore
from monitor.store.memory import MemoryStore
from monitor.store.reports import TableReportStore
from monitor.store.reviews import TableReviewStore, TableUploadLedger
from monitor.store.tables import TableStore
from tests.conftest import AzuriteTables, free_port
from tests.store.test_alerts import new_alert, notice
from tests.store.test_contract import T0, TENANT, finding, hour, signin
from tests.store.test_ingest_store import REPORT, WINDOW

HOUR, DAY = timedelta(hours=1), timedelta(days=1)
ETAG = "W/\"datetime'2026-11-20T09%3A00%3A00.0000000Z'\""  # the shape of an ETag Table Storage gives
NO_RETRY = {"retry_total": 0}  # a failure is the test's point: fail at once rather than after backoff
STORES = ("state", "alerts", "reports", "ingest", "reviews", "upload_ledger")
EVERY_TABLE = (
    *tables._TABLES,
    "alerts",
    "outbox",
    *TableReportStore.TABLES,
    *ingest._TABLES,
    "tapreviews",
    "sentineluploads",
)

# Every public method of every Table Storage store, with arguments that make it send a request.
CALLS: dict[str, list[tuple[str, tuple[Any, ...]]]] = {
    "state": [
        ("checkpoint", (TENANT, "signins")),
        ("save_checkpoint", (TENANT, "signins", T0)),
        ("save_pin_reset_signins", (TENANT, [signin(1, T0)])),
        ("pin_reset_signins", (TENANT, T0 - HOUR, T0)),
        ("replace_signin_hours", (TENANT, T0, T0 + HOUR, [hour(0)])),
        ("signin_hours", (TENANT, T0, T0 + HOUR)),
        ("save_consent", (TENANT, {SERVICE: ConsentState(SERVICE, None)}, T0)),
        ("consent", (TENANT,)),
        ("save_inventory", (TENANT, "devices", {"pc-1": {"os": "Windows"}}, T0)),
        ("inventory", (TENANT, "devices")),
        ("save_tap_issuances", (TENANT, [issuance(ALICE, 30)])),
        ("tap_issuances", (TENANT, T0 - DAY)),
        ("save_tap_signins", (TENANT, [tap_signin(ALICE, 29)])),
        ("tap_signins", (TENANT, T0 - DAY, T0)),
        ("count_tap_signins", (TENANT, T0 - DAY, T0)),
        (
            "save_unusable",
            (TENANT, [UnusableItem("signins.tap", "id-1", "createdDateTime is not a time", T0)]),
        ),
        ("unusable", (TENANT, "signins.tap", T0 - DAY)),
        ("findings", (TENANT,)),
        ("save_findings", (TENANT, [RuleResult("r.one", "fail", "r", (finding("r.one", "s"),))], T0)),
        ("save_run", (RunRecord(TENANT, "run-1", T0, T0, T0, "ok", {}),)),
        ("runs", (TENANT,)),
        ("latest_runs", ()),
        ("acquire_lease", (TENANT, "run-1", T0 + HOUR, T0)),
        ("release_lease", (Lease(TENANT, "run-1", T0 + HOUR, ETAG),)),
    ],
    "alerts": [
        ("alerts", (TENANT,)),
        ("all_alerts", ()),
        ("alert_by_id", ("0123456789ab",)),
        ("save_alert", (new_alert(),)),
        ("queue", ([notice()],)),
        ("claim", ([notice(etag=ETAG)], T0 + HOUR)),
        ("record", ([notice(status="sent", attempts=1)],)),
        ("notifications", (TENANT,)),
    ],
    "reports": [
        ("save_snapshot", (TENANT, T0, {"tenant": {"id": TENANT}})),
        ("snapshots", (TENANT,)),
        ("save_recoveries", (TENANT, {"Directory_0001": {"stage": "issued"}})),
        ("recoveries", (TENANT,)),
    ],
    "ingest": [
        ("save_device_report", (REPORT,)),
        ("latest_device_reports", (TENANT,)),
        ("device_reports", (TENANT, REPORT.intune_device_id)),
        ("save_rejects", (IngestRejects("log-stream", "batch-1", T0, 3, 1, ("not JSON",)),)),
        ("rejects", (T0 - DAY,)),
        ("pass_gate", (TENANT,)),
        ("claim_pass", (TENANT, T0, T0, WINDOW)),
    ],
    "reviews": [
        ("add_review", (new_review(TENANT, "signin-1", "true-positive", "ana", T0),)),
        ("reviews", (TENANT,)),
        ("save_backlog", (TENANT, {"unreviewed": 1})),
        ("backlogs", ()),
    ],
    "upload_ledger": [
        ("uploaded", (TENANT, "Custom-TapSignIns")),
        ("record", (TENANT, "Custom-TapSignIns", {"row-1": "hash-1"})),
    ],
}
CLASSES = {
    "state": TableStore,
    "alerts": TableAlertStore,
    "reports": TableReportStore,
    "ingest": TableIngestStore,
    "reviews": TableReviewStore,
    "upload_ledger": TableUploadLedger,
}


def public_methods(cls: type) -> set[str]:
    return {name for name, value in vars(cls).items() if callable(value) and not name.startswith("_")}


def test_the_calls_cover_every_public_method_of_every_store() -> None:
    assert {kind: {name for name, _ in calls} for kind, calls in CALLS.items()} == {
        kind: public_methods(cls) - {"close"} for kind, cls in CLASSES.items()
    }


def failures(account: TableAccount, kind: str, opened: Any) -> list[tuple[str, StoreError]]:
    """Each call of CALLS[kind] on the store `opened`, and the StoreError it raised."""
    raised = []
    for name, args in CALLS[kind]:
        with pytest.raises(StoreError) as caught:
            getattr(opened, name)(*args)
        raised.append((name, caught.value))
    return raised


def assert_named(error: StoreError, prefix: str, tables: tuple[str, ...], reason: str) -> None:
    message = str(error)
    assert error.table in {f"{prefix}{t}" for t in tables}, message
    assert message.startswith(f"table {error.table}: {error.operation} failed ({reason}"), message
    assert error.operation
    assert "\n" not in message


# -- one client, tables created once ------------------------------------------------------------------


def settings_for(azurite: str, prefix: str) -> Settings:
    return Settings(storage_connection_string=azurite, table_prefix=prefix)


def test_the_account_of_a_storage_is_one_per_process_and_its_stores_share_its_client(
    azurite: str, table_prefix: str
) -> None:
    account = TableAccount.from_settings(settings_for(azurite, table_prefix))
    other_prefix = TableAccount.from_settings(settings_for(azurite, f"{table_prefix}b"))

    assert TableAccount.from_settings(settings_for(azurite, table_prefix)) is account
    assert open_account(settings_for(azurite, table_prefix)) is account
    assert other_prefix is not account
    assert other_prefix._service is account._service
    stores = [getattr(account, kind)() for kind in STORES]
    assert {id(store._account) for store in stores} == {id(account)}


def test_closing_a_store_leaves_the_client_open_for_the_others(azurite: str, table_prefix: str) -> None:
    account = TableAccount.from_settings(settings_for(azurite, table_prefix))
    state, alerts = account.state(), account.alerts()
    state.save_checkpoint(TENANT, "signins", T0)

    alerts.close()
    state.close()
    account.close()  # the process's shared account: closing it leaves the client open too

    assert account.state().checkpoint(TENANT, "signins") == T0
    assert account.alerts().alerts(TENANT) == []


@pytest.fixture
def requests_sent() -> tuple[list[tuple[str, str, bytes]], Callable[[PipelineRequest[Any]], None]]:
    sent: list[tuple[str, str, bytes]] = []

    def hook(request: PipelineRequest[Any]) -> None:
        http = request.http_request
        body = http.content or b""
        sent.append((http.method, http.url, body.encode() if isinstance(body, str) else bytes(body)))

    return sent, hook


def created_tables(sent: list[tuple[str, str, bytes]]) -> list[str]:
    return [
        orjson.loads(body)["TableName"]
        for method, url, body in sent
        if method == "POST" and url.endswith("/Tables")
    ]


def test_each_table_is_created_once_per_process_whichever_account_or_store_asks(
    azurite: str,
    table_prefix: str,
    requests_sent: tuple[list[tuple[str, str, bytes]], Callable[[PipelineRequest[Any]], None]],
) -> None:
    sent, hook = requests_sent
    first = TableAccount.connect(azurite, prefix=table_prefix, raw_request_hook=hook)
    for kind in STORES:
        getattr(first, kind)()
        getattr(first, kind)()
    assert sorted(created_tables(sent)) == sorted(f"{table_prefix}{t}" for t in EVERY_TABLE)

    sent.clear()
    second = TableAccount.connect(azurite, prefix=table_prefix, raw_request_hook=hook)  # a client of its own
    for kind in STORES:
        getattr(second, kind)()
    assert sent == []
    second.state().save_checkpoint(TENANT, "signins", T0)
    assert [method for method, _, _ in sent] == ["PUT"]  # the upsert, and no table created
    first.close()
    second.close()


# -- every store's errors are one StoreError naming table and operation -------------------------------


def test_store_error_is_still_importable_from_base() -> None:
    assert StoreErrorFromBase is StoreError


def unreachable() -> str:
    """A connection string to an account on a loopback port nothing listens on."""
    port = free_port()
    return (
        "DefaultEndpointsProtocol=http;AccountName=devstoreaccount1;AccountKey=a2V5;"
        f"TableEndpoint=http://127.0.0.1:{port}/devstoreaccount1;"
    )


@pytest.mark.parametrize("kind", STORES)
def test_opening_a_store_on_an_unreachable_account_is_a_store_error_naming_the_table(
    kind: str, table_prefix: str
) -> None:
    account = TableAccount.connect(unreachable(), prefix=table_prefix, **NO_RETRY)
    with pytest.raises(StoreError) as caught:
        getattr(account, kind)()
    assert_named(caught.value, table_prefix, EVERY_TABLE, "ServiceRequestError")
    assert caught.value.operation == "create"
    account.close()


def test_every_method_of_every_store_is_a_store_error_once_the_account_goes_away(table_prefix: str) -> None:
    service = AzuriteTables().start()
    try:
        account = TableAccount.connect(service.connection_string, prefix=table_prefix, **NO_RETRY)
        opened = {kind: getattr(account, kind)() for kind in STORES}  # tables created while it is up
        service.kill()
        for kind in STORES:
            for name, error in failures(account, kind, opened[kind]):
                assert_named(error, table_prefix, EVERY_TABLE, "ServiceRequestError")
                assert name  # every call raised
        account.close()
    finally:
        service.stop()


def failing_credential() -> ClientSecretCredential:
    """A real Entra client credential whose token endpoint (a loopback port nothing listens on) refuses:
    what a managed identity without a token, or an expired secret, looks like to the SDK."""
    return ClientSecretCredential(
        "4b1c5b67-3f1e-4e38-9d5e-2a2f3c1d0e9a",
        "11111111-2222-4333-8444-555555555555",
        "not-a-secret",
        authority=f"https://127.0.0.1:{free_port()}",
        disable_instance_discovery=True,
        retry_total=0,
    )


def token_account(prefix: str) -> TableAccount:
    # Token credentials need https: the request fails at the token, before any connection to the table.
    endpoint = f"https://127.0.0.1:{free_port()}/devstoreaccount1"
    return TableAccount.connect(endpoint=endpoint, prefix=prefix, credential=failing_credential(), **NO_RETRY)


@pytest.mark.parametrize("kind", STORES)
def test_opening_a_store_whose_credential_gets_no_token_is_a_store_error(
    kind: str, table_prefix: str
) -> None:
    account = token_account(table_prefix)
    with pytest.raises(StoreError) as caught:
        getattr(account, kind)()
    assert_named(caught.value, table_prefix, EVERY_TABLE, "ClientAuthenticationError")


def test_every_method_of_every_store_is_a_store_error_when_the_credential_gets_no_token(
    table_prefix: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    account = token_account(table_prefix)
    # As in a process that created its tables before its token stopped coming.
    made = {(account.url, account.table_name(t)) for t in EVERY_TABLE}
    monkeypatch.setattr(account_module, "_created", account_module._created | made)
    for kind in STORES:
        for _, error in failures(account, kind, getattr(account, kind)()):
            assert_named(error, table_prefix, EVERY_TABLE, "ClientAuthenticationError")
    account.close()


def test_a_malformed_connection_string_is_a_config_error_that_quotes_nothing() -> None:
    with pytest.raises(account_module.StoreConfigError) as caught:
        TableAccount.from_settings(Settings(storage_connection_string="AccountKey=c2VjcmV0;nonsense"))
    assert str(caught.value) == "MONITOR_STORAGE_CONNECTION_STRING is not a valid storage connection string"


# -- memory ---------------------------------------------------------------------------------------


def test_a_memory_account_gives_the_same_memory_store_of_each_kind_each_time() -> None:
    memory = open_account(Settings())
    assert isinstance(memory, MemoryAccount)
    assert isinstance(memory.state(), MemoryStore)
    assert memory.state() is memory.state()
    assert isinstance(memory.alerts(), MemoryAlertStore)
    assert memory.alerts() is memory.alerts()
    memory.state().save_checkpoint(TENANT, "signins", T0)
    assert memory.state().checkpoint(TENANT, "signins") == T0
    assert len({id(getattr(memory, kind)()) for kind in STORES}) == len(STORES)


def test_a_pass_that_cannot_read_device_reports_lists_the_store_error_as_its_problem(
    table_prefix: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    from monitor.pipeline import read_device_reports

    account = token_account(table_prefix)
    made = {(account.url, account.table_name(t)) for t in ingest._TABLES}
    monkeypatch.setattr(account_module, "_created", account_module._created | made)

    readout = read_device_reports(account.ingest(), TENANT)

    assert readout.problem is not None
    assert readout.problem.reason.startswith(
        f"device reports could not be read: table {table_prefix}devicereports: read latest device reports "
        "failed (ClientAuthenticationError: "
    )


def test_an_error_that_quotes_a_request_url_names_no_part_of_its_query() -> None:
    from azure.core.exceptions import ServiceRequestError

    from monitor.store.account import describe

    said = "HTTPConnectionPool(host='pinmon.table.core.windows.net', port=443): Max retries exceeded: "
    error = ServiceRequestError(said + "/Tables?sv=2024-11-04&ss=t&sig=c2lnbmF0dXJl%3D)")
    assert describe(error) == f"ServiceRequestError: {said}/Tables?...)"
