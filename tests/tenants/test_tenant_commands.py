"""`python -m monitor tenants add|list|remove|check|status` through monitor.cli.main, with the tenants
table in Azurite and Graph served by the simulator: a customer added by ID gets its name from Graph
and the admin-consent URL; bad input exits 2 in one line; status shows each tenant's last pass, open
findings, quarantine and budget share; the logic of status over memory stores."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import orjson
import pytest

from graphsim import GraphSimulator
from monitor.cli import main
from monitor.errors import BadRequest
from monitor.rules.base import Finding, RuleResult
from monitor.service import tenants as service
from monitor.service.runtime import Runtime
from monitor.settings import Settings
from monitor.store.base import RunRecord
from monitor.store.tenants import TenantRecord
from tests.support import TENANT_ID, configure_monitor, write_tenant

APP = "6f1d3a52-0c3e-4c8e-9d7e-2b9a4f3c1e01"
CONTOSO = "11111111-1111-4111-8111-111111111111"
FABRIKAM = "22222222-2222-4222-8222-222222222222"
NOW = datetime(2026, 12, 5, 9, 30, tzinfo=UTC)


@pytest.fixture
def configured(
    tmp_path: Path, azurite: str, table_prefix: str, monkeypatch: pytest.MonkeyPatch
) -> Iterator[GraphSimulator]:
    """The simulator serving one tenant (Contoso, TENANT_ID), state in Azurite, the MSP app set, and
    one alert destination a tenant can be routed to."""
    with GraphSimulator(write_tenant(tmp_path / "tenant", service="missing")) as sim:
        configure_monitor(monkeypatch, sim.url, azurite, table_prefix)
        monkeypatch.setenv("MONITOR_MSP_APP_ID", APP)
        monkeypatch.setenv("MONITOR_ALERT_DESTINATIONS", "contoso-hook=webhook")
        monkeypatch.setenv("MONITOR_ALERT_CONTOSO_HOOK_URL", "http://127.0.0.1:9/hook")
        monkeypatch.setenv("MONITOR_ALERT_CONTOSO_HOOK_HMAC_KEY", "k" * 32)
        yield sim


def run(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    code = main(["tenants", *args])
    out, err = capsys.readouterr()
    return code, out, err


def test_add_reads_the_name_from_graph_and_prints_the_consent_url(
    configured: GraphSimulator, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, err = run(capsys, "add", TENANT_ID.upper(), "--tag", "eu", "--tag", "retail")

    assert (code, err) == (0, "")
    assert out.splitlines() == [
        f"added tenant {TENANT_ID} (Contoso)",
        "  tags: eu, retail",
        "  alerts to: the deployment's routes (MONITOR_ALERT_ROUTES)",
        "  the customer's admin (Privileged Role Administrator or Global Administrator) grants consent at:",
        f"  https://login.microsoftonline.com/{TENANT_ID}/adminconsent?client_id={APP}",
    ]
    code, out, _ = run(capsys, "list", "--format", "json")
    [listed] = orjson.loads(out)
    assert (listed["tenantId"], listed["displayName"], listed["tags"], listed["state"]) == (
        TENANT_ID,
        "Contoso",
        ["eu", "retail"],
        "active",
    )


def test_add_again_changes_only_what_it_names(
    configured: GraphSimulator, capsys: pytest.CaptureFixture[str]
) -> None:
    assert run(capsys, "add", CONTOSO, "--name", "Contoso", "--tag", "eu")[0] == 0

    code, out, _ = run(
        capsys,
        "add",
        CONTOSO,
        "--destination",
        "contoso-hook",
        "--threshold",
        "spike_ratio=8.5",
        "--threshold",
        "tap_max_lifetime_hours=4",
        "--format",
        "json",
    )

    assert code == 0
    document = orjson.loads(out)
    assert document["created"] is False
    assert (
        document["consentUrl"] == f"https://login.microsoftonline.com/{CONTOSO}/adminconsent?client_id={APP}"
    )
    tenant = document["tenant"]
    assert (tenant["displayName"], tenant["tags"], tenant["destinations"], tenant["thresholds"]) == (
        "Contoso",
        ["eu"],
        ["contoso-hook"],
        {"spike_ratio": 8.5, "tap_max_lifetime_hours": 4},
    )


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["contoso.com"], "error: a tenant ID is the directory's GUID"),
        ([CONTOSO, "--destination", "ops"], "error: unknown alert destination 'ops': configured are"),
        ([CONTOSO, "--threshold", "speed=3"], "error: unknown threshold 'speed': thresholds are"),
        ([CONTOSO, "--threshold", "spike_ratio"], "error: --threshold takes NAME=VALUE, got 'spike_ratio'"),
        ([CONTOSO, "--threshold", "spike_ratio=-1"], "error: threshold spike_ratio must be between 0 and"),
        ([CONTOSO, "--threshold", "spike_window_hours=1.5"], "error: threshold spike_window_hours must"),
        ([CONTOSO, "--threshold", "spike_ratio=inf"], "error: threshold spike_ratio must be a finite number"),
        ([CONTOSO, "--threshold", "device_inactive_days=99999"], "error: threshold device_inactive_days"),
        ([CONTOSO, "--tag", "a\tb"], "error: a tag is 1 to 64 printable characters"),
        ([CONTOSO, "--name", "x" * 257], "error: displayName must be at most 256 printable characters"),
    ],
)
def test_bad_add_arguments_exit_2_with_one_line(
    configured: GraphSimulator, capsys: pytest.CaptureFixture[str], args: list[str], message: str
) -> None:
    code, out, err = run(capsys, "add", *args)

    assert (code, out) == (2, "")
    assert err.startswith(message), err
    assert err.count("\n") == 1
    assert run(capsys, "list", "--format", "json")[1] == "[]\n"  # nothing was stored


def test_remove_stops_watching_and_an_unknown_tenant_exits_2(
    configured: GraphSimulator, capsys: pytest.CaptureFixture[str]
) -> None:
    assert run(capsys, "add", CONTOSO, "--name", "Contoso")[0] == 0

    code, out, _ = run(capsys, "remove", CONTOSO)
    assert code == 0
    assert out.startswith(f"removed tenant {CONTOSO}: no more passes;")
    assert run(capsys, "list")[1].startswith("No tenants are in the tenants table")

    code, out, err = run(capsys, "remove", CONTOSO)
    assert (code, out) == (2, "")
    assert err == f"error: no tenant {CONTOSO} (python -m monitor tenants list lists them)\n"


def test_check_prints_each_permission_as_text_and_json(
    configured: GraphSimulator, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, _ = run(capsys, "check", TENANT_ID)
    assert code == 0
    assert out.splitlines()[0] == f"tenant {TENANT_ID} (Contoso): ready"
    assert "  AuditLog.Read.All" in out

    code, out, _ = run(capsys, "check", TENANT_ID, "--format", "json")
    document = orjson.loads(out)
    assert (document["tenant"], document["access"]) == (TENANT_ID, "ready")
    assert document["displayName"] == "Contoso"


def test_status_after_the_first_pass_shows_it_with_its_findings_and_the_whole_budget(
    configured: GraphSimulator, capsys: pytest.CaptureFixture[str]
) -> None:
    assert run(capsys, "add", TENANT_ID)[0] == 0
    reports_before = report_requests(configured)
    assert main(["run"]) == 0
    capsys.readouterr()

    code, out, _ = run(capsys, "status", "--format", "json")

    assert code == 0
    document = orjson.loads(out)
    assert document["budgetMeasure"] == "report_requests"  # every pass now counts its report requests
    [tenant] = document["tenants"]
    assert (tenant["tenantId"], tenant["lastOutcome"], tenant["state"], tenant["budgetShare"]) == (
        TENANT_ID,
        "ok",
        "active",
        1.0,
    )
    assert tenant["openFindings"] == {"critical": 0, "high": 1, "medium": 0, "low": 0, "info": 0}
    # The pass's report requests (sign-ins, audits, users' methods), as Graph's throttle classes them.
    assert tenant["budgetRequests"] == report_requests(configured) - reports_before
    code, out, _ = run(capsys, "status")
    assert out.splitlines()[1].split()[-4:] == ["ok", "0/1/0/0/0", "-", "100.0%"]


def report_requests(simulator: Any) -> int:
    from monitor.graph.pacing import REPORTS

    return sum(1 for r in simulator.requests if REPORTS.pattern.match(r.path))


def test_the_commands_need_storage_except_checking_a_named_tenant(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    for name in ("MONITOR_STORAGE_CONNECTION_STRING", "MONITOR_STORAGE_ENDPOINT"):
        monkeypatch.delenv(name, raising=False)

    code, _, err = run(capsys, "list")

    assert code == 2
    assert "MONITOR_STORAGE_CONNECTION_STRING or MONITOR_STORAGE_ENDPOINT is required" in err


# -- status over memory stores ------------------------------------------------------------------------


def finding(rule: str, severity: Any, subject: str) -> Finding:
    return Finding(rule, severity, subject, "title", "detail", {}, "fix it", ())


def record_pass(runtime: Runtime, tenant: str, stats: dict[str, int], results: list[RuleResult]) -> None:
    runtime.state.save_findings(tenant, results, NOW, f"run-{tenant[:4]}")
    runtime.state.save_run(
        RunRecord(tenant, f"run-{tenant[:4]}", NOW, NOW + timedelta(seconds=40), NOW, "ok", {"stats": stats})
    )


def test_budget_shares_count_report_requests_when_every_pass_recorded_them() -> None:
    runtime = Runtime.in_memory(Settings())
    for tenant in (CONTOSO, FABRIKAM):
        service.save_tenant(runtime, tenant, service.TenantChanges(), NOW)
    record_pass(runtime, CONTOSO, {"graph_requests": 30, "report_requests": 3}, [])
    record_pass(
        runtime,
        FABRIKAM,
        {"graph_requests": 10, "report_requests": 9},
        [
            RuleResult(
                "tap.issued.privileged-user",
                "fail",
                "",
                (finding("tap.issued.privileged-user", "critical", "u1"),),
            ),
            RuleResult("tap.policy.lifetime-too-long", "fail", "", (finding("x", "medium", "p1"),)),
        ],
    )

    status = service.tenants_status(runtime, NOW)

    assert status.measure == "report_requests"
    assert [(t.record.tenant_id, t.requests, t.share) for t in status.tenants] == [
        (CONTOSO, 3, 0.25),
        (FABRIKAM, 9, 0.75),
    ]
    assert status.tenants[1].open_findings == {"critical": 1, "high": 0, "medium": 1, "low": 0, "info": 0}
    assert status.to_table().splitlines()[-1] == (
        "budget: each tenant's share of the report requests of the tenants' last passes"
    )


def test_budget_shares_fall_back_to_graph_requests_and_say_so() -> None:
    runtime = Runtime.in_memory(Settings())
    for tenant in (CONTOSO, FABRIKAM):
        service.save_tenant(runtime, tenant, service.TenantChanges(), NOW)
    record_pass(runtime, CONTOSO, {"graph_requests": 30, "report_requests": 3}, [])
    record_pass(runtime, FABRIKAM, {"graph_requests": 10}, [])

    status = service.tenants_status(runtime, NOW)

    assert status.measure == "graph_requests"
    assert [t.share for t in status.tenants] == [0.75, 0.25]
    assert status.to_json()["budgetMeasure"] == "graph_requests"
    assert "(these passes did not record report requests)" in status.to_table()


def test_a_quarantined_tenant_without_a_pass_shows_its_problem_and_next_probe() -> None:
    runtime = Runtime.in_memory(Settings())
    saved, _ = service.save_tenant(runtime, CONTOSO, service.TenantChanges(display_name="Contoso"), NOW)
    runtime.tenants.save(saved.quarantine("consent_revoked", "AADSTS7000229: no service principal", NOW))

    status = service.tenants_status(runtime, NOW)

    [row] = status.to_json()["tenants"]
    assert (row["state"], row["problem"], row["quarantinedSince"], row["nextProbe"], row["lastPass"]) == (
        "quarantined",
        "consent_revoked",
        "2026-12-05T09:30:00Z",
        "2026-12-05T10:30:00Z",
        None,
    )
    assert (row["budgetShare"], row["budgetRequests"]) == (None, None)
    table = status.to_table().splitlines()
    assert "consent_revoked since 2026-12-05 09:30, next probe 2026-12-05 10:30" in table[1]
    assert table[-1] == f"{CONTOSO}: consent_revoked: AADSTS7000229: no service principal"


def test_a_pass_the_tenant_row_recorded_later_than_the_run_table_wins() -> None:
    runtime = Runtime.in_memory(Settings())
    saved, _ = service.save_tenant(runtime, CONTOSO, service.TenantChanges(), NOW)
    record_pass(runtime, CONTOSO, {"graph_requests": 5}, [])
    later = NOW + timedelta(hours=1)
    runtime.tenants.save(replace(saved, last_pass=later, last_outcome="failed"))

    [row] = service.tenants_status(runtime, NOW).tenants

    assert (row.last_pass, row.last_outcome) == (later, "failed")


@pytest.mark.parametrize(
    ("body", "message"),
    [
        (b"[]", "the body must be a JSON object"),
        (b"{", "the body is not JSON"),
        (b'{"name": "x"}', "unknown field 'name'"),
        (b'{"tags": "eu"}', "tags must be a list of strings"),
        (b'{"thresholds": {"spike_ratio": true}}', "threshold spike_ratio must be a number"),
        (b'{"thresholds": {"spike_ratio": 1e308}}', "threshold spike_ratio must be between 0 and 1000000"),
        (b'{"thresholds": []}', "thresholds must be an object"),
        (b'{"destinations": ["ops"]}', "unknown alert destination 'ops': configured are none is configured"),
        (b'{"displayName": null}', "displayName must be a string"),
    ],
)
def test_a_bad_body_names_its_problem(body: bytes, message: str) -> None:
    with pytest.raises(BadRequest) as refused:
        service.changes_from_body(body, Settings())

    assert str(refused.value).startswith(message), str(refused.value)


def test_a_stored_tenant_keeps_what_a_change_does_not_name() -> None:
    runtime = Runtime.in_memory(Settings())
    first = service.TenantChanges("Contoso", ("eu",), (), {"spike_ratio": 8})
    service.save_tenant(runtime, CONTOSO, first, NOW)

    record, created = service.save_tenant(runtime, CONTOSO, service.TenantChanges(tags=()), NOW)

    assert created is False
    assert record == replace(
        TenantRecord(CONTOSO, "Contoso", (), (), {"spike_ratio": 8}, added=NOW), etag=record.etag
    )


def test_weekly_writes_the_rollup_beside_the_report_when_tenants_are_in_the_table(
    configured: GraphSimulator, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    assert run(capsys, "add", TENANT_ID)[0] == 0
    assert main(["run"]) == 0
    capsys.readouterr()

    assert main(["weekly", "--output", str(tmp_path)]) == 0

    out = capsys.readouterr().out
    assert "roll-up across tenants: 1 tenant(s): 0 critical and 1 high finding(s) open, 0 quarantined" in out
    assert f"  wrote {tmp_path / 'rollup.html'}\n" in out
    [row] = orjson.loads((tmp_path / "rollup.json").read_bytes())["tenants"]
    assert (row["tenantId"], row["displayName"], row["report"]) == (TENANT_ID, "Contoso", "report.html")
