"""policy.pin-recovery.not-configured: Windows devices managed, no assigned policy enables PIN recovery."""

from __future__ import annotations

from monitor.entra import PIN_RESET_DOC
from monitor.records import TenantFacts
from monitor.rules.base import Outcome, Rule, failed, passed
from monitor.rules.catalog._intune import (
    INTUNE_CUSTOM_PROFILE_DOC,
    PASSPORT_CSP_DOC,
    SETTINGS_CATALOG_DOC,
    device_activity,
    pin_recovery_policies,
)
from monitor.thresholds import Thresholds

RULE = Rule(
    id="policy.pin-recovery.not-configured",
    title="No assigned Intune policy enables PIN recovery",
    severity="medium",
    subject="tenant",
    rationale=(
        "Non-destructive PIN reset needs both PIN reset apps consented and a device policy that enables PIN "
        "recovery (Microsoft's PIN reset page: 'configure your clients' policy to enable the PIN Recovery "
        "feature'; the article 'PIN recovery, Temporary Access Pass, what can go wrong?': without it only "
        "destructive reset works and dsregcmd shows CanReset: DestructiveOnly). In Intune that policy is "
        "the Identity protection template, a settings catalog or endpoint security account protection "
        "policy (Enable Pin Recovery = true, the article 'Enable PIN reset'), or a custom OMA-URI profile; "
        "it only reaches devices once it is assigned (the article 'Intune – Passcode Reset and Microsoft "
        "PIN Reset Service'). Destructive reset still works without it, hence medium."
    ),
    remediation=(
        "In the Intune admin center, go to Devices > Windows > Configuration > Create > New policy, "
        "platform Windows 10 and later, profile type Settings catalog. Add settings > Windows Hello For "
        "Business > Enable Pin Recovery, set it to true, and assign the policy to the groups that hold "
        "your Windows devices (or All devices); an assignment that only excludes groups applies to no one. "
        "Endpoint security > Account protection has the same setting. If an existing policy is listed in "
        "the evidence, fix what its 'why' says instead (assign it, or turn PIN recovery on). Then check a "
        "device: dsregcmd /status should show CanReset : DestructiveAndNonDestructive."
    ),
    reads=("windows_devices", "device_policies"),
    references=(
        PIN_RESET_DOC,
        SETTINGS_CATALOG_DOC,
        INTUNE_CUSTOM_PROFILE_DOC,
        PASSPORT_CSP_DOC,
    ),
    thresholds=("device_inactive_days",),
)


def evaluate(facts: TenantFacts, thresholds: Thresholds) -> Outcome:
    activity = device_activity(facts, thresholds)
    days = thresholds.device_inactive_days
    if not activity.active:
        return passed(
            f"no managed Windows device synced with Intune in the last {days} days "
            f"({len(activity.inactive)} inactive ignored), so no PIN recovery policy is needed"
        )
    related = pin_recovery_policies(facts.device_policies.get(), facts.tenant.id)
    counting = [p for p in related if p.counts]
    if counting:
        names = ", ".join(f"{p.policy.name or p.policy.id} ({p.policy.kind})" for p in counting)
        return passed(f"PIN recovery is enabled by {len(counting)} assigned policy(ies): {names}")
    detail = (
        f"{len(activity.active)} Windows device(s) synced with Intune in the last {days} days, but no "
        "assigned Intune policy enables PIN recovery, so users can only reset a forgotten PIN "
        "destructively (their Windows Hello keys and certificates are deleted and re-provisioned)."
    )
    if related:
        detail += f" {len(related)} policy(ies) touch PIN recovery but do not count: " + "; ".join(
            f"{p.policy.name or p.policy.id}: {p.why}" for p in related
        )
    else:
        detail += " No Intune policy touches PIN recovery at all."
    evidence = {
        "activeWindowsDevices": len(activity.active),
        "inactiveDevicesIgnored": len(activity.inactive),
        "deviceInactiveDays": days,
        "pinRecoveryPolicies": [p.to_json() for p in related],
    }
    return failed(
        [RULE.finding(facts.tenant.id, detail, evidence)],
        f"{len(activity.active)} active Windows device(s), no assigned policy enables PIN recovery",
    )


# --- cases ------------------------------------------------------------------------------------------
