"""The own test cases of device.pin-reset.unsupported-os."""

from __future__ import annotations

from monitor.rules.base import Case, Finding
from monitor.rules.cases._builders import healthy, unavailable
from monitor.rules.cases._intune import device, devices


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
