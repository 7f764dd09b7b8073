"""What the Intune rules share: which devices count, and what a policy does for PIN recovery.

A policy "enables PIN recovery" (Microsoft's PIN reset page, and the PassportForWork CSP reference) when it is
- an Identity protection template (windowsIdentityProtectionConfiguration) with pinRecoveryEnabled true,
- a custom profile with a valid EnablePinRecovery OMA-URI (this tenant's ID, Boolean, true), or
- a settings catalog or endpoint security policy whose Enable Pin Recovery setting
  (device_ or user_vendor_msft_passportforwork_{tenantid}_policies_enablepinrecovery) is `..._true`;
and it counts only when it is assigned (an included target; exclusions do not count).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import timedelta
from typing import Any, Final

from monitor.records import CatalogSetting, DevicePolicy, ManagedDevice, OmaSetting, TenantFacts
from monitor.rules.evidence import iso
from monitor.thresholds import Thresholds
from monitor.windows_editions import (
    MISTAKE_TEXT,
    OmaMistake,
    enable_pin_recovery_mistakes,
    enable_pin_recovery_tenant,
    is_web_signin_urls_uri,
)

ENABLE_PIN_RECOVERY_SETTINGS: Final = frozenset(
    {
        "device_vendor_msft_passportforwork_{tenantid}_policies_enablepinrecovery",
        "user_vendor_msft_passportforwork_{tenantid}_policies_enablepinrecovery",
    }
)
WEB_SIGNIN_URLS_SETTING: Final = (
    "device_vendor_msft_policy_config_authentication_configurewebsigninallowedurls"
)
WEB_SIGNIN_URLS_OMA_URI: Final = "./Vendor/MSFT/Policy/Config/Authentication/ConfigureWebSignInAllowedUrls"
NOT_ASSIGNED: Final = (
    "it is not assigned (no included group, all devices or all users; exclusions do not count)"
)

INTUNE_CUSTOM_PROFILE_DOC: Final = (
    "https://learn.microsoft.com/mem/intune/configuration/custom-settings-windows-10"
)
SETTINGS_CATALOG_DOC: Final = "https://learn.microsoft.com/mem/intune/configuration/settings-catalog"
PASSPORT_CSP_DOC: Final = "https://learn.microsoft.com/windows/client-management/mdm/passportforwork-csp"
WEB_SIGNIN_CSP_DOC: Final = (
    "https://learn.microsoft.com/windows/client-management/mdm/policy-csp-authentication"
    "#configurewebsigninallowedurls"
)


# --- devices ----------------------------------------------------------------------------------------


@dataclass(frozen=True)
class DeviceActivity:
    active: tuple[ManagedDevice, ...]
    inactive: tuple[ManagedDevice, ...]  # not synced within device_inactive_days, or never


def device_activity(facts: TenantFacts, thresholds: Thresholds) -> DeviceActivity:
    """The Windows devices that synced with Intune in the last `device_inactive_days`, and the rest."""
    devices = facts.windows_devices.get()
    cutoff = facts.now - timedelta(days=thresholds.device_inactive_days)
    active = tuple(d for d in devices if d.last_sync is not None and d.last_sync >= cutoff)
    inactive = tuple(d for d in devices if d not in active)
    return DeviceActivity(active, inactive)


def last_sync_text(device: ManagedDevice) -> str | None:
    return iso(device.last_sync) if device.last_sync else None


# --- PIN recovery -----------------------------------------------------------------------------------


def enable_pin_recovery_settings(policy: DevicePolicy) -> tuple[OmaSetting, ...]:
    return tuple(s for s in policy.oma_settings if enable_pin_recovery_tenant(s.oma_uri) is not None)


def oma_mistakes(setting: OmaSetting, tenant_id: str) -> tuple[OmaMistake, ...]:
    return enable_pin_recovery_mistakes(setting.oma_uri, setting.odata_type, setting.value, tenant_id)


def mistakes_text(mistakes: Iterable[OmaMistake]) -> str:
    return "; ".join(MISTAKE_TEXT[m] for m in mistakes)


def catalog_pin_recovery(policy: DevicePolicy) -> tuple[CatalogSetting, ...]:
    return tuple(
        s for s in policy.catalog_settings if s.definition_id.lower() in ENABLE_PIN_RECOVERY_SETTINGS
    )


def _choice_true(setting: CatalogSetting) -> bool:
    return isinstance(setting.value, str) and setting.value.lower().endswith("_true")


@dataclass(frozen=True)
class PinRecoveryPolicy:
    """A policy that touches PIN recovery, and what it does for it."""

    policy: DevicePolicy
    enables: bool  # its settings turn PIN recovery on (assigned or not)
    setting: str  # how it sets PIN recovery, in the policy's own terms
    problem: str  # why its settings do not turn PIN recovery on ("" when they do)

    @property
    def counts(self) -> bool:
        return self.enables and self.policy.assigned

    @property
    def why(self) -> str:
        reasons = [self.problem] if self.problem else []
        if not self.policy.assigned:
            reasons.append(NOT_ASSIGNED)
        return "; ".join(reasons) if reasons else "enables PIN recovery and is assigned"

    def to_json(self) -> dict[str, Any]:
        return {
            "id": self.policy.id,
            "name": self.policy.name,
            "kind": self.policy.kind,
            "template": self.policy.template,
            "assigned": self.policy.assigned,
            "targets": list(self.policy.targets),
            "setting": self.setting,
            "counts": self.counts,
            "why": self.why,
        }


def pin_recovery_policy(policy: DevicePolicy, tenant_id: str) -> PinRecoveryPolicy | None:
    """What `policy` does for PIN recovery; None when it does not touch it at all."""
    if policy.kind == "identity-protection":
        value = policy.pin_recovery_enabled
        setting = f"pinRecoveryEnabled {'not set' if value is None else str(value).lower()}"
        problem = "" if value is True else f"the Identity protection profile has {setting}"
        return PinRecoveryPolicy(policy, value is True, setting, problem)
    oma = enable_pin_recovery_settings(policy)
    if oma:
        valid = [s for s in oma if not oma_mistakes(s, tenant_id)]
        chosen = valid[0] if valid else oma[0]
        setting = f"{chosen.oma_uri} ({chosen.odata_type or 'no type'}) = {chosen.value!r}"
        problem = (
            ""
            if valid
            else f"the EnablePinRecovery OMA-URI is invalid: {mistakes_text(oma_mistakes(chosen, tenant_id))}"
        )
        return PinRecoveryPolicy(policy, bool(valid), setting, problem)
    catalog = catalog_pin_recovery(policy)
    if catalog:
        on = [s for s in catalog if _choice_true(s)]
        choice = on[0] if on else catalog[0]
        setting = f"{choice.definition_id} = {choice.value}"
        problem = "" if on else f"Enable Pin Recovery is set to {choice.value}, not true"
        return PinRecoveryPolicy(policy, bool(on), setting, problem)
    return None


def pin_recovery_policies(policies: Iterable[DevicePolicy], tenant_id: str) -> tuple[PinRecoveryPolicy, ...]:
    found = (pin_recovery_policy(policy, tenant_id) for policy in policies)
    return tuple(p for p in found if p is not None)


# --- ConfigureWebSignInAllowedUrls ------------------------------------------------------------------


@dataclass(frozen=True)
class WebSignInPolicy:
    policy: DevicePolicy
    value: str  # the allowed URLs as the policy holds them; "(encrypted)" when Graph does not show them
    problem: str  # why the value does not count ("" when it does)

    @property
    def counts(self) -> bool:
        return not self.problem and self.policy.assigned

    @property
    def why(self) -> str:
        reasons = [self.problem] if self.problem else []
        if not self.policy.assigned:
            reasons.append(NOT_ASSIGNED)
        return "; ".join(reasons) if reasons else "sets the allowed URLs and is assigned"

    def to_json(self) -> dict[str, Any]:
        return {
            "id": self.policy.id,
            "name": self.policy.name,
            "kind": self.policy.kind,
            "assigned": self.policy.assigned,
            "targets": list(self.policy.targets),
            "value": self.value,
            "counts": self.counts,
            "why": self.why,
        }


def _urls(value: object) -> str:
    if isinstance(value, str):
        return value.strip()
    if isinstance(value, (tuple, list)):
        # A settings catalog list setting holds one entry per host.
        return ";".join(v.strip() for v in value if isinstance(v, str) and v.strip())
    return ""


def web_signin_policy(policy: DevicePolicy) -> WebSignInPolicy | None:
    for oma in policy.oma_settings:
        if not is_web_signin_urls_uri(oma.oma_uri):
            continue
        if oma.is_encrypted:
            # Intune encrypts string OMA values and will not save an empty one: set, but unreadable.
            return WebSignInPolicy(policy, "(encrypted)", "")
        urls = _urls(oma.value) if isinstance(oma.value, str) else ""
        return WebSignInPolicy(policy, urls, "" if urls else "the allowed URLs are empty")
    for setting in policy.catalog_settings:
        if setting.definition_id.lower() == WEB_SIGNIN_URLS_SETTING:
            urls = _urls(setting.value)
            return WebSignInPolicy(policy, urls, "" if urls else "the allowed URLs are empty")
    return None


def web_signin_policies(policies: Iterable[DevicePolicy]) -> tuple[WebSignInPolicy, ...]:
    found = (web_signin_policy(policy) for policy in policies)
    return tuple(p for p in found if p is not None)
