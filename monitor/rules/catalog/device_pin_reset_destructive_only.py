"""device.pin-reset.destructive-only: a device's own report says non-destructive PIN reset is off,
although the tenant means it to be on."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import timedelta
from typing import Any

from monitor.entra import PIN_RESET_DOC
from monitor.ingest.device_reports import report_json
from monitor.records import DeviceReport, ManagedDevice, TenantFacts
from monitor.rules.base import Finding, Outcome, Rule, failed, passed
from monitor.rules.catalog._intune import PinRecoveryPolicy, last_sync_text, pin_recovery_policies
from monitor.rules.evidence import iso
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
    reads=("device_reports", "windows_devices", "device_policies"),
    also_reads=("consent",),
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


def _unconsented(facts: TenantFacts) -> str:
    """The PIN reset apps the tenant lacks or has disabled, if consent was read ("" otherwise)."""
    if not facts.consent.available:
        return ""
    missing = [
        state.app_name
        for state in facts.consent.get().values()
        if state.principal is None or not state.principal.account_enabled
    ]
    return " and ".join(sorted(missing))


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
    unconsented = _unconsented(facts)
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
        if unconsented:
            detail += (
                f" The tenant has not consented to (or has disabled) {unconsented}: that alone keeps "
                "every device at destructive reset."
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
