from __future__ import annotations

from datetime import UTC, datetime

import pytest

from monitor.ingest.device_reports import device_report, report_json
from monitor.ingest.dsregcmd import parse_status
from monitor.ingest.errors import RejectedBody
from monitor.ingest.schemas import violation
from tests.ingest.samples import ENTRA_DEVICE_ID, INTUNE_DEVICE_ID, device_report_body, dsregcmd_status
from tests.support import TENANT_ID

RECEIVED = datetime(2026, 11, 20, 10, 5, tzinfo=UTC)


def test_a_raw_dsregcmd_report_becomes_a_device_report() -> None:
    report = device_report(device_report_body("DestructiveOnly"), RECEIVED)

    assert report_json(report) == {
        "intuneDeviceId": INTUNE_DEVICE_ID,
        "tenantId": TENANT_ID,
        "receivedDateTime": "2026-11-20T10:05:00Z",
        "collectedDateTime": "2026-11-20T10:00:00Z",
        "canReset": "DestructiveOnly",
        "ngcSet": True,
        "ngcKeyId": "{FA0DB076-A5D7-4844-82D8-50A2FB42EC7B}",
        "workplaceJoined": False,
        "azureAdJoined": True,
        "domainJoined": False,
        "entraDeviceId": ENTRA_DEVICE_ID,
        "userPrincipalName": "user1@contoso.com",
        "azureAdPrt": True,
    }


def test_parsed_sections_give_the_same_report_as_the_raw_text() -> None:
    raw = device_report_body("DestructiveAndNonDestructive")
    parsed = dict(raw, sections=parse_status(raw["dsregcmd"]))
    del parsed["dsregcmd"]

    assert violation("device-report", parsed) is None
    assert device_report(parsed, RECEIVED) == device_report(raw, RECEIVED)


@pytest.mark.parametrize(
    ("body", "reason"),
    [
        (
            device_report_body(dsregcmd="just some text"),
            "the dsregcmd output has neither a Device State nor a User State section "
            "(run dsregcmd /status in the signed-in user's context and send all of its output)",
        ),
        (
            device_report_body(dsregcmd=dsregcmd_status("Sometimes")),
            "User State CanReset is 'Sometimes', not one of DestructiveOnly, NonDestructiveOnly, "
            "DestructiveAndNonDestructive, Unknown",
        ),
        (
            device_report_body(tenantId="9f3e7a21-5c4b-4d2e-8a6f-1b2c3d4e5f60"),
            "tenantId 9f3e7a21-5c4b-4d2e-8a6f-1b2c3d4e5f60 differs from the Tenant Details TenantId "
            f"{TENANT_ID} of the output",
        ),
        (
            device_report_body(dsregcmd="| User State |\n CanReset : DestructiveOnly\n"),
            "no tenant: send tenantId, or output with a Tenant Details section",
        ),
        (
            device_report_body(collectedDateTime="2026-13-45T99:00:00Z"),
            "collectedDateTime '2026-13-45T99:00:00Z' is not a time",
        ),
    ],
    ids=["no section", "unknown CanReset", "two tenants", "no tenant", "impossible time"],
)
def test_a_report_that_says_too_little_is_rejected_with_the_reason(
    body: dict[str, object], reason: str
) -> None:
    assert violation("device-report", body) is None
    with pytest.raises(RejectedBody) as raised:
        device_report(body, RECEIVED)
    assert str(raised.value) == reason


@pytest.mark.parametrize(
    ("body", "reason"),
    [
        ({"dsregcmd": "x"}, "body: 'intuneDeviceId' is a required property"),
        (
            {"intuneDeviceId": INTUNE_DEVICE_ID},
            "body: needs exactly one of: dsregcmd, sections",
        ),
        (
            device_report_body(extra=1),
            "body: Additional properties are not allowed ('extra' was unexpected)",
        ),
        (
            device_report_body(sections={"User State": {"CanReset": 1}}),
            "sections.User State.CanReset: 1 is not of type 'string'",
        ),
    ],
    ids=["no device", "no output", "unknown field", "value not text"],
)
def test_the_published_schema_says_what_is_wrong(body: dict[str, object], reason: str) -> None:
    assert violation("device-report", body) == reason


# -- what Windows really produces ------------------------------------------------------------------

# "Troubleshoot devices by using the dsregcmd command" documents these four CanReset values.
DOCUMENTED_CAN_RESET = ["DestructiveOnly", "NonDestructiveOnly", "DestructiveAndNonDestructive", "Unknown"]


@pytest.mark.parametrize("can_reset", DOCUMENTED_CAN_RESET)
def test_every_documented_can_reset_value_is_accepted_and_kept(can_reset: str) -> None:
    report = device_report(device_report_body(can_reset), RECEIVED)

    assert report.can_reset == can_reset
    assert report_json(report)["canReset"] == can_reset


@pytest.mark.parametrize(
    ("can_reset", "status"),
    [
        ("DestructiveOnly", "fail"),
        ("NonDestructiveOnly", "pass"),
        ("DestructiveAndNonDestructive", "pass"),
        ("Unknown", "pass"),
    ],
)
def test_only_destructive_only_is_a_finding_of_the_destructive_only_rule(can_reset: str, status: str) -> None:
    from monitor.rules.cases._builders import healthy
    from monitor.rules.cases.device_pin_reset_destructive_only import report, reports
    from monitor.rules.catalog.device_pin_reset_destructive_only import evaluate
    from monitor.thresholds import Thresholds

    outcome = evaluate(healthy(device_reports=reports(report(1, can_reset))), Thresholds())  # type: ignore[arg-type]

    assert outcome.status == status


@pytest.mark.parametrize(
    "collected",
    [
        "2026-11-20T10.00.00Z",  # fi-FI: the culture's time separator is "."
        "2026-11-20T10:00:00Z",
        "2026-11-20T10:00:00.0000000Z",  # ToString('o')
        "2026-11-20T10:00:00.0000000+00:00",
    ],
)
def test_a_report_time_in_the_formats_the_script_has_sent_is_read(collected: str) -> None:
    body = device_report_body(collectedDateTime=collected)

    assert violation("device-report", body) is None
    assert report_json(device_report(body, RECEIVED))["collectedDateTime"] == "2026-11-20T10:00:00Z"


def test_a_report_time_in_a_non_gregorian_year_is_refused_with_the_reason() -> None:
    body = device_report_body(collectedDateTime="2569-11-20T10:00:00Z")  # th-TH: the Buddhist year

    with pytest.raises(RejectedBody, match="collectedDateTime '2569-11-20T10:00:00Z' is later than"):
        device_report(body, RECEIVED)


def test_the_script_formats_the_report_time_with_the_invariant_culture() -> None:
    from pathlib import Path

    script = (Path(__file__).resolve().parents[2] / "devices" / "Send-PinResetReport.ps1").read_text("utf-8")

    assert "ToString('yyyy-MM-ddTHH:mm:ssZ')" not in script
    assert "ToString('o', [System.Globalization.CultureInfo]::InvariantCulture)" in script


@pytest.mark.parametrize("tenant", ["contoso/onmicrosoft", "t" * 2_000, f"{TENANT_ID}\u0001"])
def test_a_tenant_in_the_output_that_is_not_a_guid_is_refused(tenant: str) -> None:
    body = device_report_body(dsregcmd=dsregcmd_status(tenant_id=tenant))

    with pytest.raises(RejectedBody, match="is not a tenant ID"):
        device_report(body, RECEIVED)


def test_a_refusal_naming_a_key_with_a_line_break_stays_one_line() -> None:
    """Found by the route fuzz: a section named with a line break made a two-line 400."""
    body = {
        "collectedDateTime": "2026-11-20T10:00:00Z",
        "userPrincipalName": "user1@contoso.com",
        "intuneDeviceId": "ad000000-0000-4000-8000-000000000001",
        "sections": {"User\nState": None, "Tenant\u2028Details": None},
    }
    reason = violation("device-report", body)
    assert reason is not None
    assert reason.startswith("sections.")
    assert "\n" not in reason
    assert "\u2028" not in reason
