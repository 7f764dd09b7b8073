"""Microsoft Sentinel / Log Analytics shipping, against a loopback stand-in for the Logs Ingestion API
(tests/soc/logs_ingestion.py) that checks every upload against the data collection rule in infra/; and
the KQL under docs/sentinel/ against the same rule's tables and columns."""

from __future__ import annotations

import asyncio
import re
from collections.abc import Iterator
from datetime import timedelta

import orjson
import pytest

from graphsim import GraphSimulator
from monitor import cli
from monitor.soc.sentinel import (
    FINDING_TABLE,
    MAX_BODY,
    SIGNIN_TABLE,
    RestUploader,
    batches,
    open_uploader,
)
from monitor.soc.service import LoopbackToken
from tests import entry as service
from tests.conftest import ROOT
from tests.soc.logs_ingestion import DCR_ID, LogsIngestionStandIn, declared_columns
from tests.support import NOW, configure_monitor

TENANT = ROOT / "examples" / "tenants" / "tap-suspicious"
RISKY = "d7c1b1f2-c9d7-509f-813c-5cbb88ccc980"
SIGNINS = f"Custom-{SIGNIN_TABLE}"
FINDINGS = f"Custom-{FINDING_TABLE}"


@pytest.fixture
def shipping(
    azurite: str, table_prefix: str, monkeypatch: pytest.MonkeyPatch
) -> Iterator[tuple[LogsIngestionStandIn, GraphSimulator]]:
    with GraphSimulator(TENANT) as sim, LogsIngestionStandIn() as stand_in:
        configure_monitor(monkeypatch, sim.url, azurite, table_prefix)
        monkeypatch.setenv("MONITOR_SENTINEL_ENDPOINT", stand_in.url)
        monkeypatch.setenv("MONITOR_SENTINEL_DCR_ID", DCR_ID)
        yield stand_in, sim


def test_a_pass_ships_its_rows_a_second_uploads_only_what_changed(
    shipping: tuple[LogsIngestionStandIn, GraphSimulator], capsys: pytest.CaptureFixture[str]
) -> None:
    stand_in, _ = shipping
    asyncio.run(service.run_configured_pass(now=NOW))
    assert stand_in.refused == []
    first = stand_in.rows(SIGNINS)
    assert len(first) == 12
    assert len({r["RowId"] for r in first}) == 12
    risky = next(r for r in first if r["SignInId"] == RISKY)
    assert (risky["ReviewState"], risky["Rules"], risky["IssuedBy"] is not None) == (
        "new",
        ["tap.signin.risky"],
        True,
    )
    findings = stand_in.rows(FINDINGS)
    assert {r["Rule"] for r in findings} >= {"tap.signin.risky", "tap.signin.failure-burst"}
    calls = len(stand_in.calls)

    asyncio.run(service.run_configured_pass(now=NOW + timedelta(minutes=15)))
    assert len(stand_in.calls) == calls  # nothing changed: nothing sent

    review = ["tap-signins", "--now", "2026-11-20T12:20:00Z", "review", RISKY, "--verdict", "true-positive"]
    assert cli.main([*review, "--note", "unknown device", "--by", "ana@contoso.com"]) == 0
    capsys.readouterr()
    asyncio.run(service.run_configured_pass(now=NOW + timedelta(minutes=30)))
    (changed,) = stand_in.calls[calls:]
    assert changed[0] == SIGNINS
    (row,) = changed[1]
    assert (row["RowId"], row["ReviewState"], row["Classification"], row["Reviewer"]) == (
        risky["RowId"],
        "true-positive",
        "TruePositive",
        "ana@contoso.com",
    )
    assert row["ContentHash"] != risky["ContentHash"]
    assert [h["verdict"] for h in row["ReviewHistory"]] == ["true-positive"]


def test_a_failed_upload_is_left_for_the_next_pass_and_the_pass_still_ends(
    shipping: tuple[LogsIngestionStandIn, GraphSimulator],
) -> None:
    stand_in, _ = shipping
    stand_in.fail_next = 1
    result = asyncio.run(service.run_configured_pass(now=NOW))
    assert result.tenant.id
    # The sign-in call failed; the findings call went through.
    assert stand_in.rows(SIGNINS) == []
    assert stand_in.rows(FINDINGS) != []
    asyncio.run(service.run_configured_pass(now=NOW + timedelta(minutes=15)))
    assert len(stand_in.rows(SIGNINS)) == 12
    assert [s for s, _ in stand_in.calls].count(FINDINGS) == 1


def test_calls_stay_under_one_megabyte() -> None:
    rows = [{"RowId": str(n), "ReviewNote": "x" * 30_000} for n in range(100)]
    sent = list(batches(rows))
    assert [len(b) for b in sent] == [33, 33, 33, 1]
    assert all(len(orjson.dumps(b)) <= MAX_BODY for b in sent)


def test_without_azure_monitor_ingestion_the_rest_uploader_is_used() -> None:
    # azure-monitor-ingestion is not installed here: the REST call of ours goes out instead.
    uploader = open_uploader("http://127.0.0.1:9", DCR_ID, LoopbackToken())
    try:
        assert isinstance(uploader, RestUploader)
    finally:
        uploader.close()


def test_a_malformed_sentinel_setting_is_named() -> None:
    from monitor.settings import Settings, SettingsError

    with pytest.raises(SettingsError) as refused:
        Settings.from_env(
            {"MONITOR_SENTINEL_ENDPOINT": "http://dce.example.com", "MONITOR_SENTINEL_DCR_ID": "x"}
        )
    assert refused.value.problems == [
        "MONITOR_SENTINEL_ENDPOINT must be an https URL (a data collection endpoint)",
        "MONITOR_SENTINEL_DCR_ID must be the data collection rule's immutable ID (dcr- and 32 hex "
        "digits), got 'x'",
    ]


# -- the KQL ------------------------------------------------------------------------------------------

KQL = sorted((ROOT / "docs" / "sentinel").glob("*.kql"))
IDENTIFIER = re.compile(r"\b[A-Za-z_][A-Za-z0-9_]*\b")


def queries() -> list[tuple[str, str]]:
    found = []
    for path in KQL:
        text = re.sub(r"//[^\n]*", "", path.read_text())
        found += [(path.name, q.strip()) for q in re.split(r"\n\s*\n", text) if q.strip()]
    return found


@pytest.mark.parametrize(("name", "query"), queries())
def test_the_kql_names_only_tables_and_columns_the_rule_declares(name: str, query: str) -> None:
    tables = {stream.removeprefix("Custom-"): columns for stream, columns in declared_columns().items()}
    used = [t for t in tables if re.search(rf"^{t}$", query, re.MULTILINE)]
    assert len(used) == 1, f"{name}: a query reads one of {sorted(tables)}"
    without_strings = re.sub(r'"[^"]*"', '""', query)
    defined = set(re.findall(r"\b([A-Za-z_]\w*)\s*=(?!=)", without_strings))
    capitalised = {w for w in IDENTIFIER.findall(without_strings) if w[0].isupper()}
    unknown = sorted(capitalised - set(tables[used[0]]) - defined - set(tables))
    assert unknown == [], f"{name}: not columns of {used[0]}: {unknown}"


def test_there_is_an_analytics_rule_and_a_workbook() -> None:
    assert [p.name for p in KQL] == ["analytics-rules.kql", "workbook.kql"]
    assert len(queries()) == 7
