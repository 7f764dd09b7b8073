"""device.pin-reset.destructive-only: a device's own report says non-destructive PIN reset is off,
although the tenant means it to be on."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import timedelta
from typing import Any

from monitor.entra import PIN_RESET_DOC
from monitor.ingest.device_reports import report_json
from monitor.records import CanReset, DeviceReport, ManagedDevice, Readout, TenantFacts
from monitor.rules.base import Case, Finding, Outcome, Rule, failed, passed
from monitor.rules.cases import NOW, TENANT, healthy, unavailable
from monitor.rules.catalog._intune import PinRecoveryPolicy, last_sync_text, pin_recovery_policies
from monitor.rules.evidence import iso
from monitor.rules.intune_cases import device, devices, policies
from monitor.thresholds import Thresholds

DSREGCMD_DOC = "https://learn.microsoft.com/entra/identity/devices/troubleshoot-device-dsregcmd"
HYBRID_JOINED = "hybridAzureADJoined"

RULE = Rule(
    id="device.pin-reset.destructive-only",
    title="Device reports that only destructive PIN reset is possible",
    severity="medium",
    subject="device",
    rationale=(
        "Microsoft's PIN reset page: the PIN reset configuration of a device shows in dsregcmd /status, in "
        "the User State section, as CanReset; DestructiveOnly means only destructive reset is enabled, "
        "DestructiveAndNonDestructive that non-destructive reset is. Graph shows neither this nor Group "
        "Policy, so the device's own report is the only way to see that a policy enabling PIN recovery "
        "did not take effect, or that a hybrid-joined device did not get the 'Use PIN Recovery' Group "
        "Policy the tenant relies on. A report comes from the device, so it is trusted only for devices "
        "the Intune inventory knows (and, when it names its Entra device ID, only if that matches). "
        "Medium: the user can still reset destructively, losing their Windows Hello keys and certificates."
    ),
    remediation=(
        "Find out why PIN recovery did not apply on the device. In the Intune admin center open the device "
        "> Device configuration and check the policy that enables PIN recovery: is it assigned to a group "
        "that holds this device or its user, and did it report success or a conflict? For hybrid-joined "
        "devices that take the setting from Group Policy, check that Computer Configuration > "
        "Administrative Templates > Windows Components > Windows Hello for Business > Use PIN Recovery is "
        "Enabled in a GPO that applies to the device (gpresult /r). Both PIN reset apps must be consented "
        "in the tenant. Then sign in again as the user and run dsregcmd /status: User State should show "
        "CanReset : DestructiveAndNonDestructive."
    ),
    references=(
        PIN_RESET_DOC,
        DSREGCMD_DOC,
        "https://learn.microsoft.com/mem/intune/configuration/device-profile-monitor",
    ),
    thresholds=("device_inactive_days",),
)


def _trusted(report: DeviceReport, inventory: dict[str, ManagedDevice]) -> tuple[ManagedDevice | None, str]:
    """The inventory's device for a report, or None with why the report is not trusted."""
    device = inventory.get(report.intune_device_id)
    if device is None:
        return None, "unknown"
    entra_id = device.azure_ad_device_id.lower()
    if report.entra_device_id and entra_id and report.entra_device_id != entra_id:
        return None, "mismatched"
    return device, ""


def _evidence(
    report: DeviceReport, device: ManagedDevice, why: str, policies: Sequence[PinRecoveryPolicy]
) -> dict[str, Any]:
    return {
        "deviceId": device.id,
        "deviceName": device.name,
        "userPrincipalName": report.user_principal_name or device.user_principal_name,
        "azureADDeviceId": device.azure_ad_device_id,
        "joinType": device.join_type,
        "lastSync": last_sync_text(device),
        "expectedBecause": why,
        "pinRecoveryPolicies": [p.to_json() for p in policies],
        "report": report_json(report),
    }


def evaluate(facts: TenantFacts, thresholds: Thresholds) -> Outcome:
    reports = facts.device_reports.get()
    inventory = {d.id.lower(): d for d in facts.windows_devices.get()}
    enabling = [p for p in pin_recovery_policies(facts.device_policies.get(), facts.tenant.id) if p.counts]
    oldest = facts.now - timedelta(days=thresholds.device_inactive_days)
    untrusted = {"unknown": 0, "mismatched": 0}
    stale = 0
    findings: list[Finding] = []
    for report in reports:
        device, distrust = _trusted(report, inventory)
        if device is None:
            untrusted[distrust] += 1
            continue
        if report.at < oldest:
            stale += 1
            continue
        if report.can_reset != "DestructiveOnly":
            continue
        if enabling:
            names = ", ".join(p.policy.name or p.policy.id for p in enabling)
            why = f"assigned Intune policy(ies) enable PIN recovery ({names}), yet it did not apply"
        elif device.join_type == HYBRID_JOINED:
            why = (
                "the device is hybrid joined and no Intune policy enables PIN recovery, so the tenant "
                "relies on Group Policy, which did not enable it here"
            )
        else:
            continue  # the tenant does not mean PIN recovery to be on: policy.pin-recovery.not-configured
        user = report.user_principal_name or device.user_principal_name or "its user"
        detail = (
            f"{device.name or device.id} ({user}) reported CanReset : DestructiveOnly in dsregcmd /status "
            f"at {iso(report.at)}: a forgotten PIN can only be reset destructively on it. Non-destructive "
            f"reset was expected because {why}."
        )
        findings.append(RULE.finding(device.id, detail, _evidence(report, device, why, enabling)))
    counts = (
        f"{len(reports)} device report(s); {untrusted['unknown']} from devices Intune does not know and "
        f"{untrusted['mismatched']} whose Entra device ID does not match Intune's, not trusted; "
        f"{stale} older than {thresholds.device_inactive_days} days ignored"
    )
    if not findings:
        return passed(
            f"no trusted device report shows destructive-only PIN reset where it should not ({counts})"
        )
    return failed(
        findings,
        f"{len(findings)} device(s) report DestructiveOnly, PIN recovery meant to be on ({counts})",
    )


# --- cases ------------------------------------------------------------------------------------------


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
        "is skipped when device reports could not be read",
        healthy(device_reports=unavailable("error", "device reports were not read in this pass")),
        "error",
    ),
    Case(
        "is skipped without DeviceManagementManagedDevices.Read.All (reports cannot be trusted)",
        healthy(
            device_reports=reports(report(1)),
            windows_devices=unavailable(
                "skipped", "permission missing: DeviceManagementManagedDevices.Read.All"
            ),
        ),
        "skipped",
    ),
)
