"""One bad record in an Event Hub batch never costs the good ones: each record is read and stored on
its own, the bad ones are counted with a reason, and only a storage failure makes the batch fail (so
the Functions host retries it)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import orjson
import pytest

from monitor.settings import Settings
from monitor.store.tables import open_table_store
from tests import entry as service
from tests.ingest.samples import signin_record
from tests.support import TENANT_ID

GOOD_ID = "0231f922-93fa-4005-bb11-b344eca03c01"
BAD_ID = "0231f922-93fa-4005-bb11-b344eca03c02"
DAY = datetime(2026, 11, 20, tzinfo=UTC)
NOW = datetime(2026, 11, 20, 12, tzinfo=UTC)


def bad(change: Callable[[dict[str, Any]], None]) -> dict[str, Any]:
    record = signin_record(BAD_ID)
    change(record)
    return record


def _set(path: tuple[str, ...], value: Any) -> Callable[[dict[str, Any]], None]:
    def change(record: dict[str, Any]) -> None:
        target = record
        for step in path[:-1]:
            target = target[step]
        target[path[-1]] = value

    return change


def _result_type(value: str) -> Callable[[dict[str, Any]], None]:
    def change(record: dict[str, Any]) -> None:
        record["resultType"] = value
        del record["properties"]["status"]["errorCode"]

    return change


DEEP = "DEEP"  # replaced by 1,000 nested objects in the body's text (orjson writes at most 254 levels)


def _deep(record: dict[str, Any]) -> None:
    record["properties"]["deviceDetail"] = DEEP


def body(*records: dict[str, Any]) -> bytes:
    return orjson.dumps({"records": list(records)}).replace(
        b'"DEEP"', b'{"a":' * 1_000 + b'"x"' + b"}" * 1_000
    )


BAD_RECORDS: dict[str, dict[str, Any]] = {
    "resultType superscript two": bad(_result_type("²")),
    "resultType 20 digits": bad(_result_type("9" * 20)),
    "errorCode 2^63": bad(_set(("properties", "status", "errorCode"), 2**63)),
    "year 1 with an offset": bad(_set(("properties", "createdDateTime"), "0001-01-01T00:00:00+01:00")),
    "year 9999 with an offset": bad(_set(("properties", "createdDateTime"), "9999-12-31T23:59:59-01:00")),
    "year 1 UTC": bad(_set(("properties", "createdDateTime"), "0001-01-01T00:00:00Z")),
    "tenant with a slash": bad(_set(("tenantId",), "4b1c5b67/3f1e")),
    "tenant with a control character": bad(_set(("tenantId",), "4b1c5b67\x01")),
    "tenant with a newline": bad(_set(("tenantId",), TENANT_ID + "\n")),
    "tenant over 1 KB": bad(_set(("tenantId",), "a" * 1_500)),
    "a 100 KB id": bad(_set(("properties", "id"), "i" * 100_000)),
    "a 100 KB user name of emoji": bad(_set(("properties", "userPrincipalName"), "\U0001f600" * 25_000)),
    "long texts in every field": bad(
        _set(
            ("properties", "deviceDetail"),
            {k: "d" * 40_000 for k in ("deviceId", "displayName", "operatingSystem")},
        )
    ),
    "1,000-deep nesting": bad(_deep),
}


@pytest.fixture
def configured(azurite: str, table_prefix: str, monkeypatch: pytest.MonkeyPatch) -> str:
    monkeypatch.setenv("MONITOR_STORAGE_CONNECTION_STRING", azurite)
    monkeypatch.setenv("MONITOR_TABLE_PREFIX", table_prefix)
    return azurite


def stored_ids(azurite: str) -> list[str]:
    store = open_table_store(azurite, prefix=Settings.from_env().table_prefix)
    try:
        signins = store.pin_reset_signins(TENANT_ID, DAY, DAY + timedelta(days=1))
        return [s.id for s in signins]
    finally:
        store.close()


@pytest.mark.parametrize("case", list(BAD_RECORDS))
def test_a_bad_record_is_counted_and_the_good_ones_in_its_batch_stored(case: str, configured: str) -> None:
    done = service.ingest_log_events([body(signin_record(GOOD_ID), BAD_RECORDS[case])], now=NOW)

    assert stored_ids(configured) == [GOOD_ID]
    assert (done.batch.received, done.batch.malformed) == (2, 1)
    assert done.batch.malformed_reasons[0].startswith("event 0 record 1: ")
    assert "\n" not in done.batch.malformed_reasons[0]


def test_an_error_code_past_int32_is_stored_and_read_back(configured: str) -> None:
    record = signin_record(BAD_ID, error_code=2**31)

    done = service.ingest_log_events([body(signin_record(GOOD_ID), record)], now=NOW)

    assert done.batch.malformed == 0
    store = open_table_store(configured, prefix=Settings.from_env().table_prefix)
    try:
        signins = store.pin_reset_signins(TENANT_ID, DAY, DAY + timedelta(days=1))
        hours = store.signin_hours(TENANT_ID, DAY, DAY + timedelta(days=1))
    finally:
        store.close()
    assert sorted((s.id, s.error_code) for s in signins) == [(GOOD_ID, 65001), (BAD_ID, 2**31)]
    assert sorted(h.error_code for h in hours) == [65001, 2**31]


def test_what_a_batch_refused_is_kept_once_and_shown_by_health_and_the_cli(
    configured: str, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    from monitor.cli import main

    monkeypatch.setenv("MONITOR_POLL_SCHEDULE", "0 */15 * * * *")
    batch = [body(signin_record(GOOD_ID), BAD_RECORDS["tenant with a slash"])]
    for _ in range(2):  # the host's retry of the same batch rewrites its entry
        service.ingest_log_events(batch)

    problems = service.health().problems
    assert [p for p in problems if "refused" in p] == [
        "1 log-stream record(s) refused in the last 24 hours (latest: event 0 record 1: tenantId "
        "'4b1c5b67/3f1e' is not a GUID); python -m monitor ingest-rejects lists them"
    ]
    assert main(["ingest-rejects"]) == 0
    (entry,) = orjson.loads(capsys.readouterr().out)["rejects"]
    assert (entry["source"], entry["received"], entry["rejected"], entry["reasons"]) == (
        "log-stream",
        2,
        1,
        ["event 0 record 1: tenantId '4b1c5b67/3f1e' is not a GUID"],
    )


def test_a_storage_failure_fails_the_batch_so_the_host_retries_it(
    monkeypatch: pytest.MonkeyPatch, table_prefix: str
) -> None:
    from azure.core.exceptions import AzureError

    from monitor.store.base import StoreError

    dead = "DefaultEndpointsProtocol=http;AccountName=devstoreaccount1;AccountKey=a2V5;TableEndpoint=http://127.0.0.1:9/devstoreaccount1;"
    monkeypatch.setenv("MONITOR_STORAGE_CONNECTION_STRING", dead)
    monkeypatch.setenv("MONITOR_TABLE_PREFIX", table_prefix)

    with pytest.raises((StoreError, AzureError)):
        service.ingest_log_events([body(signin_record(GOOD_ID))], now=NOW)
