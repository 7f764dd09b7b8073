"""device.pin-reset.unsupported-os: an active Windows device that cannot do a non-destructive PIN reset."""

from __future__ import annotations

from typing import Any

from monitor.entra import PIN_RESET_DOC
from monitor.records import ManagedDevice, TenantFacts
from monitor.rules.base import Outcome, Rule, failed, passed
from monitor.rules.catalog._intune import device_activity, last_sync_text
from monitor.thresholds import Thresholds
from monitor.windows_editions import ResetSupport, non_destructive_reset

RULE = Rule(
    id="device.pin-reset.unsupported-os",
    title="Windows device cannot do a non-destructive PIN reset",
    severity="low",
    subject="device",
    rationale=(
        "Microsoft's PIN reset page: non-destructive PIN reset works on Windows 10 1709 to "
        "1809 Enterprise, on Enterprise and Pro from Windows 10 1903, and on Windows 11; the current page "
        "lists the Enterprise, Education and Pro editions. Anywhere else a forgotten PIN can only be "
        "reset destructively: the user's Windows Hello container, keys and certificates are deleted and "
        "provisioned again. Editions: Education follows Enterprise, Pro Education and Pro for "
        "Workstations follow Pro, Home never qualifies, and a device whose edition or build Intune does "
        "not report is not judged. Low: the device still has a destructive reset, and there may be many."
    ),
    remediation=(
        "Update the device to a supported release (Windows 11, or at least Windows 10 1903 for Pro and "
        "1709 for Enterprise and Education; Windows 10 22H2 is the last Windows 10 release) through your "
        "Windows Update rings or feature update policy in Intune. For Home, upgrade the edition to Pro "
        "or Enterprise (a Home device cannot be Entra joined); for Pro below 1903, either update it or "
        "move it to Enterprise with Windows Enterprise subscription activation. Until then, tell the "
        "user that 'I forgot my PIN' will set up Windows Hello again from scratch."
    ),
    reads=("windows_devices",),
    references=(
        PIN_RESET_DOC,
        "https://learn.microsoft.com/windows/release-health/release-information",
        "https://learn.microsoft.com/windows/deployment/windows-subscription-activation",
    ),
    thresholds=("device_inactive_days",),
)


def _evidence(device: ManagedDevice, support: ResetSupport) -> dict[str, Any]:
    version = support.version
    return {
        "deviceId": device.id,
        "deviceName": device.name,
        "userPrincipalName": device.user_principal_name,
        "userId": device.user_id,
        "azureADDeviceId": device.azure_ad_device_id,
        "osVersion": device.os_version,
        "build": version.build if version else None,
        "release": support.release,
        "skuFamily": device.sku_family,
        "skuNumber": device.sku_number,
        "edition": str(support.edition),
        "joinType": device.join_type,
        "lastSync": last_sync_text(device),
        "requirement": support.requirement,
    }


def _detail(device: ManagedDevice, support: ResetSupport) -> str:
    user = device.user_principal_name or "no primary user"
    build = f"build {device.os_version}" if device.os_version else "build not reported"
    synced = last_sync_text(device) or "never"
    joined = device.join_type or "join type unknown"
    return (
        f"{device.name or device.id} ({user}) runs {support.release} ({build}), {support.edition} edition "
        f"(skuFamily '{device.sku_family}', skuNumber {device.sku_number}), {joined}, "
        f"last synced {synced}. Non-destructive PIN reset needs {support.requirement}; a forgotten PIN on "
        "this device can only be reset destructively (Windows Hello keys and certificates are deleted)."
    )


def evaluate(facts: TenantFacts, thresholds: Thresholds) -> Outcome:
    activity = device_activity(facts, thresholds)
    judged = [(d, non_destructive_reset(d.os_version, d.sku_family, d.sku_number)) for d in activity.active]
    unsupported = [(d, s) for d, s in judged if s.supported is False]
    unknown = sum(1 for _, s in judged if s.supported is None)
    supported = sum(1 for _, s in judged if s.supported)
    counts = (
        f"{supported} can, {unknown} with an unknown edition or build not judged, "
        f"{len(activity.inactive)} not synced in {thresholds.device_inactive_days} days ignored"
    )
    if not unsupported:
        return passed(f"every judged active Windows device can do a non-destructive PIN reset ({counts})")
    findings = [RULE.finding(d.id, _detail(d, s), _evidence(d, s)) for d, s in unsupported]
    return failed(
        findings,
        f"{len(unsupported)} of {len(activity.active)} active Windows device(s) cannot do a "
        f"non-destructive PIN reset ({counts})",
    )


# --- cases ------------------------------------------------------------------------------------------
