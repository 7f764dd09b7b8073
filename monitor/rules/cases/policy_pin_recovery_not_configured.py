"""The own test cases of policy.pin-recovery.not-configured."""

from __future__ import annotations

from monitor.rules.base import Case, Finding
from monitor.rules.cases._builders import TENANT, healthy, identity_protection, unavailable
from monitor.rules.cases._intune import (
    OTHER_TENANT,
    PILOT_GROUP,
    USER_ENABLE_PIN_RECOVERY,
    account_protection,
    catalog_policy,
    device,
    devices,
    pin_recovery_profile,
    policies,
    whfb_settings,
)
from monitor.thresholds import Thresholds

ACTIVE = devices(device(1), device(2, "10.0.19045.5131"))


def _lists_why_each_policy_does_not_count(findings: tuple[Finding, ...]) -> None:
    evidence = findings[0].evidence
    assert (evidence["activeWindowsDevices"], evidence["inactiveDevicesIgnored"]) == (2, 0), evidence
    why = {p["id"]: p["why"] for p in evidence["pinRecoveryPolicies"]}
    assert why == {
        "ip-off": "the Identity protection profile has pinRecoveryEnabled false",
        "sc-draft": (
            "it is not assigned (no included group, all devices or all users; exclusions do not count)"
        ),
        "oma-bad": ("the EnablePinRecovery OMA-URI is invalid: the tenant ID segment names another tenant"),
        "sc-false": "Enable Pin Recovery is set to device_vendor_msft_passportforwork_{tenantid}"
        "_policies_enablepinrecovery_false, not true",
    }, why
    assert all(p["counts"] is False for p in evidence["pinRecoveryPolicies"])
    assert "4 policy(ies) touch PIN recovery but do not count" in findings[0].detail


def _counts_devices(findings: tuple[Finding, ...]) -> None:
    evidence = findings[0].evidence
    assert (evidence["activeWindowsDevices"], evidence["inactiveDevicesIgnored"]) == (1, 2), evidence
    assert evidence["pinRecoveryPolicies"] == [], evidence
    assert findings[0].detail.endswith("No Intune policy touches PIN recovery at all."), findings[0].detail


def _exclusion_only(findings: tuple[Finding, ...]) -> None:
    (policy,) = findings[0].evidence["pinRecoveryPolicies"]
    assert (policy["assigned"], policy["targets"], policy["counts"]) == (False, [], False), policy


CASES = (
    Case("passes with an assigned Identity protection profile", healthy(), "pass"),
    Case(
        "passes when no Windows device is managed",
        healthy(windows_devices=devices(), device_policies=policies()),
        "pass",
    ),
    Case(
        "passes when every Windows device is inactive, even without a policy",
        healthy(windows_devices=devices(device(1, synced_days_ago=45)), device_policies=policies()),
        "pass",
    ),
    Case(
        "passes with an assigned settings catalog policy (nested in the PassportForWork group)",
        healthy(
            device_policies=policies(catalog_policy("sc-1", *whfb_settings(True), targets=(PILOT_GROUP,)))
        ),
        "pass",
    ),
    Case(
        "passes with the user-scope settings catalog setting",
        healthy(
            device_policies=policies(
                catalog_policy("sc-u", *whfb_settings(True, definition=USER_ENABLE_PIN_RECOVERY))
            )
        ),
        "pass",
    ),
    Case(
        "passes with an assigned endpoint security account protection policy",
        healthy(device_policies=policies(account_protection("es-1"))),
        "pass",
    ),
    Case(
        "passes with a valid custom OMA-URI",
        healthy(device_policies=policies(pin_recovery_profile("oma-1"))),
        "pass",
    ),
    Case(
        "passes with a valid OMA-URI in the CSP reference's form (./User/.../PassportForWork), any case",
        healthy(
            device_policies=policies(
                pin_recovery_profile(
                    "oma-2",
                    f"./user/vendor/msft/passportforwork/{TENANT.id.upper()}/policies/enablepinrecovery",
                )
            )
        ),
        "pass",
    ),
    Case(
        "fails when no policy touches PIN recovery",
        healthy(
            windows_devices=devices(
                device(1), device(2, synced_days_ago=31), device(3, synced_days_ago=None)
            ),
            device_policies=policies(catalog_policy("sc-other", *whfb_settings(None))),
        ),
        "fail",
        (TENANT.id,),
        check=_counts_devices,
    ),
    Case(
        "fails when the only policies are off, unassigned, invalid or false, saying why for each",
        healthy(
            windows_devices=ACTIVE,
            device_policies=policies(
                identity_protection("ip-off", enabled=False),
                catalog_policy("sc-draft", *whfb_settings(True), targets=()),
                pin_recovery_profile(
                    "oma-bad",
                    f"./Device/Vendor/MSFT/Policy/PassportForWork/{OTHER_TENANT}/Policies/EnablePinRecovery",
                ),
                catalog_policy("sc-false", *whfb_settings(False)),
            ),
        ),
        "fail",
        (TENANT.id,),
        check=_lists_why_each_policy_does_not_count,
    ),
    Case(
        "fails when the enabling policy is assigned only to an exclusion group",
        healthy(device_policies=policies(identity_protection(targets=()))),
        "fail",
        (TENANT.id,),
        check=_exclusion_only,
    ),
    Case(
        "honours a shorter inactivity threshold",
        healthy(windows_devices=devices(device(1, synced_days_ago=10)), device_policies=policies()),
        "pass",
        thresholds=Thresholds(device_inactive_days=7),
    ),
    Case(
        "is skipped without Intune (devices unreadable)",
        healthy(
            windows_devices=unavailable(
                "skipped", "licence missing: beta/deviceManagement/managedDevices needs Microsoft Intune"
            )
        ),
        "skipped",
    ),
    Case(
        "is skipped without DeviceManagementConfiguration.Read.All",
        healthy(
            device_policies=unavailable(
                "skipped", "permission missing: DeviceManagementConfiguration.Read.All"
            )
        ),
        "skipped",
    ),
    Case(
        "is an error when reading the policies failed",
        healthy(
            device_policies=unavailable(
                "error", "beta/deviceManagement/configurationPolicies: Graph answered 500"
            )
        ),
        "error",
    ),
)
