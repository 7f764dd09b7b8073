"""`python -m monitor`: the scan contract on every bundled tenant, bad input, and the commands
that run against Table Storage."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import orjson
import pytest

from graphsim import GraphSimulator
from monitor.cli import main
from monitor.rules import load_catalog
from tests.conftest import ROOT
from tests.support import configure_monitor

TENANTS = ROOT / "examples" / "tenants"
NOW = "2026-11-20T12:00:00Z"
SERVICE = "b8456c59-1230-44c7-a4a2-99b085333e84"
CLIENT = "9115dd05-fad5-4f9c-acc7-305d08b1b04e"
TAP = "TemporaryAccessPass"

# What each bundled tenant must report (examples/tenants/README.md tells each story).
EXPECTED: dict[str, set[tuple[str, str]]] = {
    "healthy": set(),
    "federated-ok": set(),
    "no-licence": set(),
    "consent-missing": {
        ("consent.pin-reset-service.missing", SERVICE),
        ("signin.pin-reset.consent-errors", "f58ba582-7488-5c32-b359-56c1355b78b0"),
    },
    "client-missing": {
        ("consent.pin-reset-client.missing", CLIENT),
        ("signin.pin-reset.consent-errors", "ad599a73-77dd-57b5-bb37-c3103061eda1"),
    },
    "app-disabled": {
        ("consent.pin-reset-app.disabled", SERVICE),
        ("signin.pin-reset.consent-errors", "caa84bca-6994-5fc4-9535-58b2e1295f1d"),
    },
    "failure-spike": {("signin.pin-reset.failure-spike", "17ce4dfd-b988-5eda-a214-5b9b3bb1b9a6")},
    "no-recovery-policy": {("policy.pin-recovery.not-configured", "a3ef22c2-5aa7-5a3e-aaee-146e7a61e088")},
    "policy-mistakes": {
        ("policy.pin-recovery.oma-uri-invalid", "212f2f18-a8c0-5ee9-bfc8-6b666355e953"),
        ("policy.pin-recovery.oma-uri-invalid", "550f7e13-2e32-5ce6-98a7-93bd4cb12d76"),
        ("policy.pin-recovery.oma-uri-invalid", "8442b00f-3ec3-50de-8765-d41180b21d1b"),
        ("policy.pin-recovery.oma-uri-invalid", "e7102114-f50c-5198-bba9-4f166126c409"),
        ("policy.web-signin-urls.missing", "a9a05946-d97a-588d-b15e-a01b289186f6"),
    },
    "legacy-devices": {
        ("device.pin-reset.unsupported-os", "2cd0a1e1-8208-5abf-a38e-7f6a28d259e2"),
        ("device.pin-reset.unsupported-os", "55fcc372-7678-538f-923d-0a722d595c0f"),
        ("device.pin-reset.unsupported-os", "6388d4b7-bcae-5209-a38a-fc776a5481ca"),
        ("device.pin-reset.unsupported-os", "d3bb4464-a5df-56db-825e-1d664ab35bcf"),
        ("device.pin-reset.unsupported-os", "f7106a53-f335-5f66-8067-47d0969c6f54"),
    },
    "tap-disabled": {("tap.policy.disabled", TAP)},
    "tap-misconfigured": {
        ("tap.issued.privileged-user", "3daf8808-1ba1-51e4-8955-eef35649bcd0"),
        ("tap.policy.lifetime-too-long", TAP),
        ("tap.policy.multi-use", TAP),
    },
    "tap-suspicious": {
        ("tap.signin.failure-burst", "eb6ffd1d-3d3d-5d39-970c-a6c521947614"),
        ("tap.signin.risky", "731e9de8-8527-5baf-aac2-4a12c477da42"),
        ("tap.signin.risky", "7f1b72ed-938e-55cc-abe6-f7f12dbae780"),
    },
}
SKIPPED_WITHOUT_LICENCES = {
    "signin.pin-reset.consent-errors",
    "signin.pin-reset.failure-spike",
    "tap.signin.risky",
    "tap.signin.failure-burst",
    "policy.pin-recovery.not-configured",
    "policy.pin-recovery.oma-uri-invalid",
    "device.pin-reset.unsupported-os",
    "device.pin-reset.destructive-only",
}
FINDING_KEYS = {"rule", "severity", "subject", "title", "detail", "evidence", "remediation", "references"}
TAP_SIGNIN_KEYS = {
    "id",
    "createdDateTime",
    "userPrincipalName",
    "succeeded",
    "ipAddress",
    "countryOrRegion",
    "deviceId",
    "riskLevel",
}


def clean_env() -> dict[str, str]:
    return {k: v for k, v in os.environ.items() if not k.startswith("MONITOR_")}


def cli(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "monitor", *args],
        cwd=ROOT,
        env=clean_env(),
        capture_output=True,
        text=True,
        timeout=120,
    )


def scan(tenant: str) -> dict[str, Any]:
    done = cli("scan", "--snapshot", str(TENANTS / tenant), "--now", NOW, "--format", "json")
    assert done.returncode == 0, done.stderr
    document: dict[str, Any] = orjson.loads(done.stdout)
    return document


@pytest.mark.parametrize("tenant", sorted(EXPECTED))
def test_scan_of_a_bundled_tenant_reports_exactly_its_problems(tenant: str) -> None:
    document = scan(tenant)

    assert list(document) == ["tenant", "now", "findings", "rules", "tap_signins", "stats"]
    assert document["now"] == NOW
    assert {(f["rule"], f["subject"]) for f in document["findings"]} == EXPECTED[tenant]
    for finding in document["findings"]:
        assert set(finding) == FINDING_KEYS
        assert finding["severity"] in ("critical", "high", "medium", "low", "info")
        assert finding["detail"]
        assert finding["remediation"]
        assert finding["references"]
    statuses = {r["rule"]: r["status"] for r in document["rules"]}
    assert sorted(statuses) == sorted(entry.rule.id for entry in load_catalog())
    fired = {rule for rule, _ in EXPECTED[tenant]}
    skipped = SKIPPED_WITHOUT_LICENCES if tenant == "no-licence" else set()
    assert statuses == {
        rule: "fail" if rule in fired else "skipped" if rule in skipped else "pass" for rule in statuses
    }
    assert all(r["reason"] for r in document["rules"])
    assert document["stats"]["graph_requests"] > 0


def test_skipped_rules_say_which_licence_is_missing() -> None:
    reasons = {r["rule"]: r["reason"] for r in scan("no-licence")["rules"]}
    assert reasons["signin.pin-reset.consent-errors"].startswith(
        "licence missing: beta/auditLogs/signIns needs Microsoft Entra ID P1 or P2"
    )
    assert reasons["device.pin-reset.unsupported-os"].startswith(
        "licence missing: beta/deviceManagement/managedDevices needs Microsoft Intune"
    )


def test_tap_signins_are_complete_records_for_the_soc() -> None:
    signins = scan("tap-suspicious")["tap_signins"]

    assert len(signins) == 12
    for signin in signins:
        assert set(signin) >= TAP_SIGNIN_KEYS
        assert signin["issuance"]["issuedBy"] == "birgit.krause@treyresearch.net"
        assert signin["issuance"]["issuedDateTime"] < signin["createdDateTime"]
    failed = [s for s in signins if not s["succeeded"]]
    assert {s["userPrincipalName"] for s in failed} == {"juergen.zimmermann@treyresearch.net"}
    assert len(failed) == 8
    (nigeria,) = [s for s in signins if s["countryOrRegion"] == "NG"]
    assert (nigeria["userPrincipalName"], nigeria["priorCountries"]) == (
        "juergen.becker@treyresearch.net",
        ["DE"],
    )
    assert [s["riskLevel"] for s in signins if s["userPrincipalName"] == "laura.huber@treyresearch.net"] == [
        "high"
    ]


def test_table_format_and_output_file(tmp_path: Path) -> None:
    table = cli("scan", "--snapshot", str(TENANTS / "healthy"), "--now", NOW, "--format", "table")
    assert table.returncode == 0
    assert "No findings." in table.stdout
    assert "PASS    tap.policy.multi-use" in table.stdout

    target = tmp_path / "out" / "scan.json"
    written = cli(
        "scan", "--snapshot", str(TENANTS / "consent-missing"), "--now", NOW, "--output", str(target)
    )
    assert (written.returncode, written.stdout) == (0, "")
    assert orjson.loads(target.read_bytes())["tenant"]["displayName"] == "Northwind Traders"


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["scan"], "error: the following arguments are required: --snapshot"),
        (
            ["scan", "--snapshot", "examples/tenants/healthy", "--format", "xml"],
            "error: argument --format: invalid choice: 'xml'",
        ),
        (
            ["scan", "--snapshot", "examples/tenants/healthy", "--now", "yesterday"],
            "error: argument --now: not an ISO 8601 time",
        ),
        (
            ["scan", "--snapshot", "no/such/dir"],
            "error: unreadable snapshot: snapshot directory no/such/dir does not exist",
        ),
        (
            ["scan", "--snapshot", "README.md"],
            "error: unreadable snapshot: snapshot path README.md is not a directory",
        ),
        (
            ["scan", "--snapshot", "tools"],
            "error: unreadable snapshot: snapshot directory tools has no v1.0 or beta subdirectory",
        ),
        (["frobnicate"], "error: argument command: invalid choice: 'frobnicate'"),
    ],
)
def test_bad_arguments_exit_2_with_a_one_line_error(args: list[str], message: str) -> None:
    done = cli(*args)
    assert done.returncode == 2
    assert done.stdout == ""
    assert done.stderr.count("\n") == 1
    assert done.stderr.startswith(message), done.stderr


def test_a_snapshot_without_an_organization_exits_2(tmp_path: Path) -> None:
    (tmp_path / "v1.0").mkdir()
    done = cli("scan", "--snapshot", str(tmp_path))
    assert done.returncode == 2
    assert done.stderr == "error: unreadable snapshot: v1.0/organization returned no organization\n"


def test_run_stores_findings_that_the_findings_command_reads_back(
    azurite: str, table_prefix: str, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    with GraphSimulator(TENANTS / "consent-missing") as sim:
        configure_monitor(monkeypatch, sim.url, azurite, table_prefix)
        assert main(["run", "--now", NOW]) == 0
        assert "2 finding(s):" in capsys.readouterr().out

    assert main(["findings", "--format", "json"]) == 0
    stored = orjson.loads(capsys.readouterr().out)
    assert {(f["rule"], f["status"], f["firstSeen"]) for f in stored} == {
        ("consent.pin-reset-service.missing", "open", NOW),
        ("signin.pin-reset.consent-errors", "open", NOW),
    }


def test_run_without_storage_configured_exits_2_listing_what_is_missing(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    for name in list(os.environ):
        if name.startswith("MONITOR_"):
            monkeypatch.delenv(name)
    assert main(["run"]) == 2
    assert capsys.readouterr().err == (
        "error: configuration problems: MONITOR_STORAGE_CONNECTION_STRING or MONITOR_STORAGE_ENDPOINT "
        "is required to keep state\n"
    )
