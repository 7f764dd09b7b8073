"""The own test cases of device.pin-reset.destructive-only: reports as the Remediations script sends them."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from monitor.records import CanReset, DeviceReport, Readout
from monitor.rules.base import Case, Finding
from monitor.rules.cases._builders import NOW, TENANT, consent, healthy, unavailable
from monitor.rules.cases._intune import device, devices, policies
from monitor.rules.catalog.device_pin_reset_destructive_only import HYBRID_JOINED


def report(
    n: int,
    can_reset: CanReset = "DestructiveOnly",
    *,
    hours_ago: float = 2,
    entra_device_id: str | None = None,
) -> DeviceReport:
    """Device n's report, as the Remediations script sends it (the device of intune_cases.device(n))."""
    at = NOW - timedelta(hours=hours_ago)
    return DeviceReport(
        intune_device_id=device(n).id,
        tenant_id=TENANT.id,
        received=at,
        collected=at,
        can_reset=can_reset,
        ngc_set=True,
        ngc_key_id="{FA0DB076-A5D7-4844-82D8-50A2FB42EC7B}",
        workplace_joined=False,
        azure_ad_joined=True,
        domain_joined=False,
        entra_device_id=device(n).azure_ad_device_id if entra_device_id is None else entra_device_id,
        user_principal_name=f"user{n}@contoso.com",
        azure_ad_prt=True,
    )


def reports(*found: DeviceReport) -> Readout[Any]:
    return Readout.of(tuple(found))


HYBRID = devices(device(1), device(2, join_type=HYBRID_JOINED))


def _names_the_policy_that_did_not_apply(findings: tuple[Finding, ...]) -> None:
    (finding,) = findings
    evidence = finding.evidence
    assert (evidence["deviceName"], evidence["joinType"]) == ("CONTOSO-PC001", "azureADJoined"), evidence
    assert evidence["expectedBecause"] == (
        "assigned Intune policy(ies) enable PIN recovery (Windows Hello for Business), yet it did not apply"
    ), evidence
    assert evidence["report"]["canReset"] == "DestructiveOnly", evidence
    assert evidence["report"]["collectedDateTime"] == "2026-11-20T10:00:00Z", evidence
    assert [p["id"] for p in evidence["pinRecoveryPolicies"]] == ["1d000000-0000-4000-8000-000000000001"]
    assert finding.detail.startswith(
        "CONTOSO-PC001 (user1@contoso.com) reported CanReset : DestructiveOnly in dsregcmd /status at "
        "2026-11-20T10:00:00Z"
    ), finding.detail


def _says_consent_alone_keeps_reset_destructive(findings: tuple[Finding, ...]) -> None:
    (finding,) = findings
    assert finding.detail.endswith(
        "The tenant has not consented to (or has disabled) Microsoft Pin Reset Service Production: that "
        "alone keeps every device at destructive reset."
    ), finding.detail


CASES = (
    Case("passes with no device reports", healthy(device_reports=reports()), "pass"),
    Case(
        "passes when the devices report non-destructive reset",
        healthy(device_reports=reports(report(1, "DestructiveAndNonDestructive"), report(2, ""))),
        "pass",
    ),
    Case(
        "fails for a device reporting DestructiveOnly although an assigned policy enables PIN recovery",
        healthy(device_reports=reports(report(1), report(2, "DestructiveAndNonDestructive"))),
        "fail",
        (device(1).id,),
        check=_names_the_policy_that_did_not_apply,
    ),
    Case(
        "fails for a hybrid-joined device when no Intune policy enables PIN recovery (Group Policy is used)",
        healthy(
            windows_devices=HYBRID, device_policies=policies(), device_reports=reports(report(1), report(2))
        ),
        "fail",
        (device(2).id,),
    ),
    Case(
        "names a missing PIN reset app consent as a cause",
        healthy(consent=consent(service="missing"), device_reports=reports(report(1))),
        "fail",
        (device(1).id,),
        check=_says_consent_alone_keeps_reset_destructive,
    ),
    Case(
        "passes for Entra joined devices when no policy means PIN recovery to be on",
        healthy(device_policies=policies(), device_reports=reports(report(1), report(2))),
        "pass",
    ),
    Case(
        "does not trust reports of devices Intune does not know, or whose Entra device ID differs",
        healthy(
            device_reports=reports(
                report(7), report(1, entra_device_id="ad000000-0000-4000-8000-0000000000ff")
            )
        ),
        "pass",
    ),
    Case(
        "ignores reports older than the device inactivity threshold",
        healthy(device_reports=reports(report(1, hours_ago=24 * 31))),
        "pass",
    ),
    Case(
        "is an error when the stored device reports could not be read",
        healthy(device_reports=unavailable("error", "device reports were not read in this pass")),
        "error",
    ),
)
