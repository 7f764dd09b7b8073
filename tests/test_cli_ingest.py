"""The ingestion commands run the triggers' code from a terminal, against Azurite."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import orjson
import pytest

from graphsim import GraphSimulator
from monitor.cli import main
from monitor.settings import Settings
from monitor.store.ingest import open_table_ingest_store
from tests.ingest.samples import alert
from tests.support import clear_pass_queue, configure_monitor, write_tenant

EXAMPLES = Path(__file__).resolve().parent.parent / "docs" / "schemas"
DEMO_TENANT = "f58ba582-7488-5c32-b359-56c1355b78b0"


@pytest.fixture
def configured(
    tmp_path: Path, azurite_with_queues: str, table_prefix: str, monkeypatch: pytest.MonkeyPatch
) -> Iterator[GraphSimulator]:
    with GraphSimulator(write_tenant(tmp_path / "tenant")) as sim:
        configure_monitor(monkeypatch, sim.url, azurite_with_queues, table_prefix)
        clear_pass_queue(azurite_with_queues)
        yield sim


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, Any, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, orjson.loads(out) if code == 0 else None, err


def test_ingest_device_report_stores_the_example_report(
    configured: GraphSimulator, capsys: pytest.CaptureFixture[str]
) -> None:
    code, document, _ = run(capsys, "ingest-device-report", str(EXAMPLES / "device-report.example.json"))

    assert (code, document["stored"]["canReset"]) == (0, "DestructiveOnly")
    settings = Settings.from_env()
    store = open_table_ingest_store(settings.storage_connection_string, prefix=settings.table_prefix)
    assert [r.intune_device_id for r in store.latest_device_reports(DEMO_TENANT)] == [
        "aae7c774-62ce-5f61-9bf2-c4c73657dc07"
    ]
    store.close()


def test_a_bad_report_exits_2_with_the_reason(
    configured: GraphSimulator, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    bad = tmp_path / "bad.json"
    bad.write_text('{"intuneDeviceId": "not-a-guid", "dsregcmd": "x"}')

    code, _, err = run(capsys, "ingest-device-report", str(bad))

    assert code == 2
    assert err.startswith("error: intuneDeviceId: 'not-a-guid' does not match ")
    assert err.count("\n") == 1


def test_ingest_log_records_counts_kept_ignored_and_malformed_records(
    configured: GraphSimulator, capsys: pytest.CaptureFixture[str]
) -> None:
    code, document, _ = run(
        capsys,
        "ingest-log-records",
        str(EXAMPLES / "resource-log-records.example.json"),
        "--now",
        "2026-11-20T12:00:00Z",
    )

    assert code == 0
    assert (document["received"], document["ignored"], document["malformed"]) == (5, 1, 1)
    assert document["malformedReasons"] == ["event 0 record 4: body: 'time' is a required property"]
    assert document["tenants"][DEMO_TENANT] == {
        "pinResetSignIns": 1,
        "tapSignIns": 1,
        "tapIssuances": 1,
        "findingsOpened": [["signin.pin-reset.consent-errors", DEMO_TENANT]],
        "findingsResolved": [],
    }


def test_a_file_that_is_not_a_batch_exits_2(
    configured: GraphSimulator, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    bad = tmp_path / "records.json"
    bad.write_text('{"value": []}')

    code, _, err = run(capsys, "ingest-log-records", str(bad))

    assert (code, err) == (2, f'error: {bad}: not a resource-log batch: expected {{"records": [...]}}\n')


def test_queued_alerts_run_one_pass(
    configured: GraphSimulator, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    fired = tmp_path / "alert.json"
    fired.write_bytes(orjson.dumps(alert()))
    for _ in range(2):
        assert run(capsys, "queue-alert", str(fired))[0] == 0

    code, document, _ = run(capsys, "run-queued-passes", "--now", "2026-11-20T12:00:00Z")

    assert (code, document) == (0, {"passes": ["ran", "covered"]})
