"""The command line reads like a product: every command's --help says what it does and shows an
example, `run --help` names its settings, `status --format table` is a table, `scan` warns before it
judges an old snapshot against today, `tap-signins --flagged` shows a burst's failed sign-ins, CSV
files open in Excel; and the demo's capture server keeps each request's headers beside its body."""

from __future__ import annotations

import argparse
from pathlib import Path

import httpx
import orjson
import pytest

from graphsim.receiver import CaptureReceiver
from monitor.alerts.channels import webhook
from monitor.cli import build_parser, main
from tests.conftest import ROOT

TAP_TENANT = ROOT / "examples" / "tenants" / "tap-suspicious"
NOW = "2026-11-20T12:00:00Z"


def commands() -> dict[str, argparse.ArgumentParser]:
    parser = build_parser()
    [action] = [a for a in parser._actions if isinstance(a, argparse._SubParsersAction)]
    return dict(action.choices)


@pytest.mark.parametrize("name", sorted(commands()))
def test_every_command_help_has_a_description_and_an_example(name: str) -> None:
    page = commands()[name].format_help()

    assert commands()[name].description
    assert "example:\n  python -m monitor " in page or "example:\n  MONITOR_" in page


def test_run_help_names_the_settings_it_needs() -> None:
    page = commands()["run"].format_help()

    for setting in (
        "MONITOR_STORAGE_CONNECTION_STRING",
        "MONITOR_STORAGE_ENDPOINT",
        "MONITOR_GRAPH_CREDENTIAL",
    ):
        assert setting in page


def test_status_as_a_table_is_a_table(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    for name in ("MONITOR_STORAGE_CONNECTION_STRING", "MONITOR_STORAGE_ENDPOINT", "MONITOR_POLL_SCHEDULE"):
        monkeypatch.delenv(name, raising=False)

    assert main(["status", "--format", "table"]) == 0

    out = capsys.readouterr().out
    assert out.startswith("status: unhealthy (checked ")
    assert "  problem: MONITOR_STORAGE_CONNECTION_STRING or MONITOR_STORAGE_ENDPOINT is required" in out
    assert not out.lstrip().startswith("{")


def test_scan_without_now_warns_that_an_old_snapshot_falls_outside_the_windows(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    assert main(["scan", "--snapshot", str(TAP_TENANT), "--output", str(tmp_path / "scan.json")]) == 0

    err = capsys.readouterr().err
    assert err.startswith("warning: the snapshot's newest log record is from 2026-11-20 11:34 UTC")
    assert err.rstrip().endswith("Judge it at its own time: --now 2026-11-20T11:36:00Z")


def test_scan_with_now_does_not_warn(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    assert (
        main(["scan", "--snapshot", str(TAP_TENANT), "--now", NOW, "--output", str(tmp_path / "s.json")]) == 0
    )

    assert "warning" not in capsys.readouterr().err


def test_flagged_tap_signins_include_the_failed_signins_of_a_burst(tmp_path: Path) -> None:
    out = tmp_path / "flagged.json"
    assert (
        main(["tap-signins", "--snapshot", str(TAP_TENANT), "--now", NOW, "--flagged", "--output", str(out)])
        == 0
    )

    rows = orjson.loads(out.read_bytes())["tapSignIns"]
    burst = [r for r in rows if "tap.signin.failure-burst" in r["rules"]]
    assert [r["succeeded"] for r in burst].count(False) == 8
    assert all(r["userPrincipalName"] == "juergen.zimmermann@treyresearch.net" for r in burst)


def test_a_csv_written_to_a_file_starts_with_a_byte_order_mark(tmp_path: Path) -> None:
    out = tmp_path / "signins.csv"
    assert (
        main(
            [
                "tap-signins",
                "--snapshot",
                str(TAP_TENANT),
                "--now",
                NOW,
                "--format",
                "csv",
                "--output",
                str(out),
            ]
        )
        == 0
    )

    assert out.read_bytes()[:3] == b"\xef\xbb\xbf"
    assert out.read_text(encoding="utf-8-sig").startswith("id,createdDateTime,")


def test_the_capture_server_keeps_each_requests_headers_beside_its_body(tmp_path: Path) -> None:
    key = b"demo-key-0123456789abcdef"
    body = b'{"schemaVersion":"1","kind":"notification"}'
    with CaptureReceiver(tmp_path) as receiver:
        httpx.post(
            f"{receiver.url}/webhook/siem",
            content=body,
            headers={webhook.SIGNATURE_HEADER: webhook.signature(key, body), webhook.DELIVERY_HEADER: "k1"},
        )

    [saved] = sorted((tmp_path / "webhook").glob("*.json"))
    headers = dict(
        line.split(": ", 1) for line in saved.with_suffix(".headers").read_text().splitlines() if line
    )
    assert saved.read_bytes() == body
    assert headers[webhook.DELIVERY_HEADER] == "k1"
    # A signature checks out from the two files alone.
    assert webhook.verify(key, saved.read_bytes(), headers[webhook.SIGNATURE_HEADER])
