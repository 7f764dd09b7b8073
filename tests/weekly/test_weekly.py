"""The weekly snapshot offline: a pass against a tenant snapshot, then the report of what it stored. The
first report says it has nothing to compare with; the next, after the tenant changed, says what did."""

from __future__ import annotations

import asyncio
from datetime import timedelta
from pathlib import Path
from typing import Any

import orjson
import pytest

from monitor.entra import PIN_RESET_SERVICE_APP_ID
from monitor.service.weekly import ReportMismatch, WeeklyRun
from tests.entry import weekly_from_snapshot
from tests.support import NOW, TENANT_ID, signin_series, stamp, write, write_recovery_tenant, write_tenant

READY_ID = "0d5e0000-0000-4000-8000-000000000001"
UPGRADED_ID = "0d5e0000-0000-4000-8000-000000000002"


def device(n: int, os_version: str, sku: str = "Enterprise", number: int = 4) -> dict[str, Any]:
    return {
        "id": f"0d5e0000-0000-4000-8000-{n:012d}",
        "deviceName": f"CONTOSO-PC{n:03d}",
        "operatingSystem": "Windows",
        "osVersion": os_version,
        "skuFamily": sku,
        "skuNumber": number,
        "joinType": "azureADJoined",
        "azureADDeviceId": f"ad000000-0000-4000-8000-{n:012d}",
        "userPrincipalName": "adelev@contoso.com",
        "userId": "u0000000-0000-4000-8000-000000000001",
        "lastSyncDateTime": stamp(NOW - timedelta(hours=2)),
    }


def last_week(snapshot: Path) -> Path:
    """Consent in place, 24 PIN resets that worked; one Windows 11 device, one 1607 that cannot reset."""
    write_tenant(snapshot, signins=signin_series(24, start=NOW - timedelta(days=6), step=timedelta(hours=6)))
    write(
        snapshot,
        "beta/deviceManagement/managedDevices",
        {"value": [device(1, "10.0.22631.4460"), device(2, "10.0.14393.7428")]},
    )
    return snapshot


def this_week(snapshot: Path) -> Path:
    """The Service app's principal was deleted: 12 resets failed with 700016, 4 worked. The Windows 11
    device was reinstalled with Home, the 1607 one upgraded to 22H2."""
    signins = signin_series(4, start=NOW - timedelta(days=6), step=timedelta(hours=6))
    signins += signin_series(
        12, start=NOW - timedelta(days=3), step=timedelta(hours=5), first=100, error_code=700016
    )
    write_tenant(
        snapshot, service="missing", signins=sorted(signins, key=lambda s: s["createdDateTime"], reverse=True)
    )
    write(
        snapshot,
        "beta/deviceManagement/managedDevices",
        {"value": [device(1, "10.0.22631.4460", "Core", 101), device(2, "10.0.19045.5131")]},
    )
    return snapshot


def weekly(snapshot: Path, output: Path, previous: dict[str, Any] | None = None) -> WeeklyRun:
    return asyncio.run(weekly_from_snapshot(snapshot, NOW, output, previous, environ={}))


@pytest.fixture(scope="module")
def first(tmp_path_factory: pytest.TempPathFactory) -> WeeklyRun:
    return weekly(last_week(tmp_path_factory.mktemp("last-week")), tmp_path_factory.mktemp("report-1"))


@pytest.fixture(scope="module")
def second(tmp_path_factory: pytest.TempPathFactory, first: WeeklyRun) -> WeeklyRun:
    previous = orjson.loads((first.written[0].parent / "report.json").read_bytes())
    return weekly(
        this_week(tmp_path_factory.mktemp("this-week")), tmp_path_factory.mktemp("report-2"), previous
    )


def test_the_first_report_says_it_has_nothing_to_compare_with(first: WeeklyRun) -> None:
    document = orjson.loads((first.written[0].parent / "report.json").read_bytes())
    assert document["changes"]["first"] is True
    assert document["changes"]["summary"] == (
        "This is the first weekly snapshot: there is nothing to compare it with yet."
    )
    assert "nothing to compare it with yet" in (first.written[0].parent / "report.html").read_text()


def test_the_first_report_holds_the_weeks_figures(first: WeeklyRun) -> None:
    document = orjson.loads((first.written[0].parent / "report.json").read_bytes())
    assert (document["tenant"]["id"], document["periodStart"], document["periodEnd"]) == (
        TENANT_ID,
        "2026-11-14T00:00:00Z",
        "2026-11-20T12:00:00Z",
    )
    assert (document["pinReset"]["attempts"], document["pinReset"]["failures"]) == (24, 0)
    assert [d["attempts"] for d in document["pinReset"]["days"]] == [2, 4, 4, 4, 4, 4, 2]
    assert {k: document["devices"][k] for k in ("total", "ready", "notReady", "notJudged")} == {
        "total": 2,
        "ready": 1,
        "notReady": 1,
        "notJudged": 0,
    }
    assert [c["consented"] for c in document["consent"]] == [True, True]
    assert document["pinRecovery"]["state"] == "configured"
    assert [(f["rule"], f["subject"]) for f in document["findings"]["open"]] == [
        ("device.pin-reset.unsupported-os", UPGRADED_ID)
    ]
    assert document["alerts"]["source"] == "findings ledger"
    assert document["alerts"]["undeliveredTracked"] is False


def test_the_second_report_says_what_changed(second: WeeklyRun) -> None:
    changes = orjson.loads((second.written[0].parent / "report.json").read_bytes())["changes"]

    assert changes["first"] is False
    assert {(f["rule"], f["subject"]) for f in changes["findings"]["new"]} == {
        ("consent.pin-reset-service.missing", PIN_RESET_SERVICE_APP_ID),
        ("signin.pin-reset.consent-errors", TENANT_ID),
        ("device.pin-reset.unsupported-os", READY_ID),
    }
    assert [(f["rule"], f["subject"]) for f in changes["findings"]["fixed"]] == [
        ("device.pin-reset.unsupported-os", UPGRADED_ID)
    ]
    assert changes["findings"]["stillOpen"] == []
    assert changes["trends"] == {
        "attempts": {"thisWeek": 16, "previousWeek": 24},
        "failureRate": {"thisWeek": 0.75, "previousWeek": 0.0},
    }
    assert changes["devices"] == {
        "becameReady": [{"id": UPGRADED_ID, "name": "CONTOSO-PC002"}],
        "becameUnready": [{"id": READY_ID, "name": "CONTOSO-PC001"}],
    }


def test_the_report_is_written_as_html_json_and_csv(second: WeeklyRun) -> None:
    folder = second.written[0].parent
    assert sorted(p.name for p in folder.iterdir()) == [
        "alerts.csv",
        "device_readiness.csv",
        "devices.csv",
        "findings.csv",
        "pin_reset_days.csv",
        "report.html",
        "report.json",
        "tap_issuers.csv",
        "tap_signins.csv",
    ]
    days = (folder / "pin_reset_days.csv").read_text(encoding="utf-8-sig").splitlines()
    assert days[0] == "day,attempts,successes,failures,failure_rate_percent,failures_consent-missing"
    # Percent, as the page shows it: 4 of 4 failed is 100.0 here and "100.0%" there.
    assert days[-2:] == ["2026-11-19,4,0,4,100.0,4", "2026-11-20,0,0,0,,0"]
    assert '<td class="n">100.0%</td>' in (folder / "report.html").read_text()


def test_csv_files_start_with_a_byte_order_mark_so_excel_reads_utf_8(second: WeeklyRun) -> None:
    for path in second.written:
        if path.suffix == ".csv":
            assert path.read_bytes()[:3] == b"\xef\xbb\xbf", path.name
    assert second.written[0].parent.joinpath("report.json").read_bytes()[:1] == b"{"


def test_a_recovery_with_a_pass_appears_with_its_stage(tmp_path: Path) -> None:
    run = weekly(
        write_recovery_tenant(tmp_path / "tenant", now=NOW + timedelta(days=8)),  # issued 2 days before NOW
        tmp_path / "out",
    )
    tap = orjson.loads((tmp_path / "out" / "report.json").read_bytes())["tap"]
    assert (tap["issued"], tap["used"]) == (1, 1)
    assert [r["stage"] for r in tap["recoveries"]] == ["new-method-registered"]
    assert run.report.snapshot.tap_signins_by_result == {"success": 1, "failure": 0}


def test_a_previous_report_of_another_tenant_is_refused(tmp_path: Path, first: WeeklyRun) -> None:
    other = first.report.to_json() | {"tenant": {"id": "another-tenant", "displayName": "Fabrikam"}}

    with pytest.raises(ReportMismatch) as refused:
        weekly(last_week(tmp_path / "tenant"), tmp_path / "out", other)

    assert str(refused.value) == f"the previous report is not of tenant {TENANT_ID}: nothing to compare"
