"""scripts/demo_events.py: the demo's event-driven inputs belong to the tenant it shows and come after the
passes already shown, so the story runs forwards for whichever tenant the user names."""

from __future__ import annotations

import importlib.util
import json
import re
from datetime import UTC, datetime
from pathlib import Path
from types import ModuleType

import pytest

from tests.conftest import ROOT


def load() -> ModuleType:
    spec = importlib.util.spec_from_file_location("demo_events", ROOT / "scripts" / "demo_events.py")
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


demo_events = load()
AT = datetime(2026, 11, 20, 12, 30, tzinfo=UTC)


@pytest.mark.parametrize("tenant", ["tap-suspicious", "consent-missing", "legacy-devices"])
def test_the_events_are_the_tenants_and_dated_before_the_time_given(tmp_path: Path, tenant: str) -> None:
    snapshot = ROOT / "examples" / "tenants" / tenant
    organization = json.loads((snapshot / "v1.0" / "organization.json").read_text())["value"][0]
    written = demo_events.write_events(snapshot, AT, tmp_path)
    assert [p.name for p in written] == ["device-report.json", "log-records.json", "alert.json"]
    for path in written:
        text = path.read_text()
        json.loads(text)
        if tenant != "consent-missing":
            assert demo_events.EXAMPLE_TENANT not in text
            assert "Northwind" not in text
        assert organization["id"] in text
    records = json.loads((tmp_path / "log-records.json").read_text())["records"]
    times = [datetime.fromisoformat(r["time"][:19] + "+00:00") for r in records if "time" in r]
    assert times
    assert max(times) <= AT
    assert min(times) >= datetime(2026, 11, 20, 12, 0, tzinfo=UTC)  # none before the first pass


def test_every_time_moves_by_the_same_offset() -> None:
    text = '"2026-11-20T11:55:04.1234567Z" "2026-11-20 08:15:26.000 UTC" "2026-11-20T11:30:00+00:00"'
    moved = demo_events.moved(text, AT - demo_events.EXAMPLE_TIME)
    assert re.findall(r"\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}:\d{2}", moved) == [
        "2026-11-20T12:25:04",
        "2026-11-20 08:45:26",
        "2026-11-20T12:00:00",
    ]
