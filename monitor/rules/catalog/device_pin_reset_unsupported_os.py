"""device.pin-reset.unsupported-os: an active Windows device that cannot do a non-destructive PIN reset."""

from __future__ import annotations

from typing import Any

from monitor.entra import PIN_RESET_DOC
from monitor.records import ManagedDevice, TenantFacts
from monitor.rules.base import Case, Finding, Outcome, Rule, failed, passed
from monitor.rules.cases import healthy, unavailable
from monitor.rules.catalog._intune import device_activity, last_sync_text
from monitor.rules.intune_cases import device, devices
from monitor.thresholds import Thresholds
from monitor.windows_editions import ResetSupport, non_destructive_reset

RULE = Rule(
    id="device.pin-reset.unsupported-os",
    title="Windows device cannot do a non-destructive PIN reset",
    severity="low",
    subject="device",
    rationale=(
        "Microsoft's PIN reset page (seed 001): non-destructive PIN reset works on Windows 10 1709 to "
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
    references=(
        PIN_RESET_DOC,
        "https://learn.microsoft.com/windows/release-health/release-information",
        "https://learn.microsoft.com/windows/deployment/windows-subscription-activation",
        "seeds/001_5fca4348fa150340.txt (edition and version requirements of non-destructive reset)",
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


def _subject(n: int) -> str:
    return device(n).id


def _names_device_user_build_and_edition(findings: tuple[Finding, ...]) -> None:
    (finding,) = findings
    assert dict(finding.evidence) == {
        "deviceId": _subject(3),
        "deviceName": "CONTOSO-PC003",
        "userPrincipalName": "user3@contoso.com",
        "userId": "u0000000-0000-4000-8000-000000000003",
        "azureADDeviceId": "ad000000-0000-4000-8000-000000000003",
        "osVersion": "10.0.17763.6414",
        "build": 17763,
        "release": "Windows 10 1809",
        "skuFamily": "Professional",
        "skuNumber": 48,
        "edition": "Pro",
        "joinType": "azureADJoined",
        "lastSync": "2026-11-19T12:00:00Z",
        "requirement": "Windows 10 1903 (build 18362) or later, or Windows 11, on Pro",
    }, finding.evidence
    assert finding.detail.startswith(
        "CONTOSO-PC003 (user3@contoso.com) runs Windows 10 1809 (build 10.0.17763.6414), Pro edition"
    ), finding.detail


def _counts_unknown(findings: tuple[Finding, ...]) -> None:
    editions = {f.subject: f.evidence["edition"] for f in findings}
    assert editions == {_subject(1): "Home", _subject(2): "Home"}, editions


BOUNDARIES = (
    # (device number, osVersion, skuFamily, skuNumber); odd numbers cannot, even numbers can.
    (11, "10.0.15063.2679", "Enterprise", 4),  # 1703 Enterprise: too old
    (12, "10.0.16299.2166", "Enterprise", 4),  # 1709 Enterprise: first supported
    (13, "10.0.17763.6414", "Pro", 48),  # 1809 Pro: Pro needs 1903
    (14, "10.0.18362.1256", "Pro", 48),  # 1903 Pro: first supported
    (15, "10.0.16299.2166", "ProfessionalEducation", 164),  # 1709 Pro Education: follows Pro
    (16, "10.0.17134.2208", "Education", 121),  # 1803 Education: follows Enterprise
    (17, "10.0.17763.6414", "ProfessionalWorkstation", 161),  # 1809 Pro for Workstations: follows Pro
    (18, "10.0.18363.2274", "ProfessionalWorkstation", 161),  # 1909 Pro for Workstations
    (19, "10.0.14393.7428", "EnterpriseS", 125),  # 1607 LTSB: too old
    (20, "10.0.17763.6414", "EnterpriseS", 125),  # 1809 LTSC 2019
    (21, "10.0.22631.4460", "Core", 101),  # Windows 11 Home: Home never
    (22, "10.0.22000.2538", "Professional", 48),  # Windows 11 21H2 Pro
    (23, "6.3.9600.20778", "Enterprise", 4),  # Windows 8.1
    (24, "10.0.19045.5131", "", 4),  # 22H2, edition from skuNumber only
)


def _boundaries(findings: tuple[Finding, ...]) -> None:
    releases = {f.evidence["deviceName"]: f.evidence["release"] for f in findings}
    assert releases == {
        "CONTOSO-PC011": "Windows 10 1703",
        "CONTOSO-PC013": "Windows 10 1809",
        "CONTOSO-PC015": "Windows 10 1709",
        "CONTOSO-PC017": "Windows 10 1809",
        "CONTOSO-PC019": "Windows 10 1607",
        "CONTOSO-PC021": "Windows 11 23H2",
        "CONTOSO-PC023": "Windows 8.1",
    }, releases


CASES = (
    Case("passes when every device is Windows 11 or Windows 10 22H2 Enterprise", healthy(), "pass"),
    Case("passes with no managed Windows device", healthy(windows_devices=devices()), "pass"),
    Case(
        "fails for Windows 10 1809 Pro, naming the device, its user, build, edition, join type and sync",
        healthy(
            windows_devices=devices(
                device(1), device(3, "10.0.17763.6414", "Professional", 48, synced_days_ago=1)
            )
        ),
        "fail",
        (_subject(3),),
        check=_names_device_user_build_and_edition,
    ),
    Case(
        "judges each Windows version boundary by edition",
        healthy(windows_devices=devices(*(device(n, v, f, s) for n, v, f, s in BOUNDARIES))),
        "fail",
        tuple(_subject(n) for n, *_ in BOUNDARIES if n % 2),
        check=_boundaries,
    ),
    Case(
        "does not flag an unknown edition or build, and falls back to skuNumber",
        healthy(
            windows_devices=devices(
                device(1, "10.0.19045.5131", "", 101),  # Home by skuNumber
                device(2, "", "Core", None),  # Home whatever the build
                device(4, "10.0.17763.6414", "", None),  # edition unknown
                device(5, "10.0.17763.6414", "Holographic", 136),  # not an edition judged here
                device(6, "not a version", "Enterprise", 4),  # build unknown
            )
        ),
        "fail",
        (_subject(1), _subject(2)),
        check=_counts_unknown,
    ),
    Case(
        "ignores devices that have not synced within the threshold",
        healthy(
            windows_devices=devices(
                device(1),
                device(3, "10.0.15063.2679", synced_days_ago=31),
                device(5, "10.0.15063.2679", synced_days_ago=None),
            )
        ),
        "pass",
    ),
    Case(
        "is skipped without DeviceManagementManagedDevices.Read.All",
        healthy(
            windows_devices=unavailable(
                "skipped", "permission missing: DeviceManagementManagedDevices.Read.All"
            )
        ),
        "skipped",
    ),
)
