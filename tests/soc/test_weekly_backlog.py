"""The weekly report counts the TAP sign-ins nobody reviewed, and names the oldest."""

from __future__ import annotations

import asyncio
from pathlib import Path

import orjson

from tests import entry as service
from tests.conftest import ROOT
from tests.support import NOW


def test_the_weekly_report_counts_unreviewed_sign_ins_and_the_oldest(tmp_path: Path) -> None:
    tenant = ROOT / "examples" / "tenants" / "tap-suspicious"
    run = asyncio.run(service.weekly_from_snapshot(tenant, NOW, tmp_path, environ={}))
    reviews = orjson.loads((tmp_path / "report.json").read_bytes())["tap"]["reviews"]
    # Every sign-in is new (an offline run has no reviews); three were flagged by a rule at NOW, so none
    # is past its deadline yet.
    assert reviews == {
        "unreviewed": 12,
        "flaggedUnreviewed": 3,
        "overdue": 0,
        "oldestUnreviewed": {
            "id": "ef987270-bf0a-5e3a-bef9-dca5baec5f5a",
            "createdDateTime": "2026-11-06T14:41:31Z",
            "userPrincipalName": "birgit.meyer@treyresearch.net",
        },
    }
    page = (tmp_path / "report.html").read_text()
    assert "<b>SOC review:</b> 12 TAP sign-in(s) not reviewed yet, 3 of them flagged by a rule" in page
    assert run.written
