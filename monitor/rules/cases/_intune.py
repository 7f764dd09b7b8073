"""Builders for the Intune rules' own cases: devices, policies and federated domains.

They build on monitor.rules.cases (the healthy tenant): a case changes only what it is about.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta
from typing import Any

from monitor.records import (
    CatalogSetting,
    DevicePolicy,
    ManagedDevice,
    OmaSetting,
    PolicyKind,
    Readout,
    TenantDomain,
)
from monitor.rules.cases._builders import NOW, TENANT, windows_device

PASSPORT_GROUP = "device_vendor_msft_passportforwork_{tenantid}"
ENABLE_PIN_RECOVERY = f"{PASSPORT_GROUP}_policies_enablepinrecovery"
USER_ENABLE_PIN_RECOVERY = "user_vendor_msft_passportforwork_{tenantid}_policies_enablepinrecovery"
PIN_RECOVERY_URI = f"./Device/Vendor/MSFT/Policy/PassportForWork/{TENANT.id}/Policies/EnablePinRecovery"
WEB_SIGNIN_URI = "./Vendor/MSFT/Policy/Config/Authentication/ConfigureWebSignInAllowedUrls"
WEB_SIGNIN_SETTING = "device_vendor_msft_policy_config_authentication_configurewebsigninallowedurls"
BOOLEAN = "#microsoft.graph.omaSettingBoolean"
STRING = "#microsoft.graph.omaSettingString"
OTHER_TENANT = "9f3e7a21-5c4b-4d2e-8a6f-1b2c3d4e5f60"
PILOT_GROUP = "group 5a1e0000-0000-4000-8000-000000000001"


def device(
    n: int,
    os_version: str = "10.0.22631.4460",
    sku_family: str = "Enterprise",
    sku_number: int | None = 4,
    *,
    synced_days_ago: float | None = 0.5,
    **changes: Any,
) -> ManagedDevice:
    """A Windows device; `synced_days_ago=None` has never synced."""
    base = windows_device(n, os_version=os_version, sku_family=sku_family, sku_number=sku_number)
    last_sync = None if synced_days_ago is None else NOW - timedelta(days=synced_days_ago)
    return replace(base, last_sync=last_sync, **changes)


def devices(*found: ManagedDevice) -> Readout[Any]:
    return Readout.of(tuple(found))


def policies(*found: DevicePolicy) -> Readout[Any]:
    return Readout.of(tuple(found))


def custom_profile(
    policy_id: str,
    *settings: OmaSetting,
    name: str = "WIN - Custom - PIN recovery",
    targets: tuple[str, ...] = ("all devices",),
) -> DevicePolicy:
    return DevicePolicy(
        id=policy_id,
        name=name,
        kind="custom",
        odata_type="#microsoft.graph.windows10CustomConfiguration",
        targets=targets,
        oma_settings=settings,
    )


def pin_recovery_oma(
    oma_uri: str = PIN_RECOVERY_URI, odata_type: str = BOOLEAN, value: object = True
) -> OmaSetting:
    return OmaSetting(oma_uri, odata_type, value, "EnablePinRecovery")


def pin_recovery_profile(
    policy_id: str,
    oma_uri: str = PIN_RECOVERY_URI,
    odata_type: str = BOOLEAN,
    value: object = True,
    *,
    targets: tuple[str, ...] = ("all devices",),
    name: str = "WIN - Custom - PIN recovery",
) -> DevicePolicy:
    return custom_profile(policy_id, pin_recovery_oma(oma_uri, odata_type, value), name=name, targets=targets)


def catalog_policy(
    policy_id: str,
    *settings: CatalogSetting,
    name: str = "WIN - Windows Hello for Business",
    kind: PolicyKind = "settings-catalog",
    template: str = "",
    targets: tuple[str, ...] = ("all devices",),
) -> DevicePolicy:
    return DevicePolicy(
        id=policy_id,
        name=name,
        kind=kind,
        odata_type="",
        targets=targets,
        catalog_settings=settings,
        template=template,
    )


def whfb_settings(
    recovery: bool | None, *, definition: str = ENABLE_PIN_RECOVERY
) -> tuple[CatalogSetting, ...]:
    """The flattened PassportForWork group collection: the group, then its children."""
    children = [
        CatalogSetting(PASSPORT_GROUP, None),
        CatalogSetting(
            f"{PASSPORT_GROUP}_policies_usepassportforwork",
            f"{PASSPORT_GROUP}_policies_usepassportforwork_true",
        ),
        CatalogSetting(f"{PASSPORT_GROUP}_policies_pincomplexity_minimumpinlength", 6),
    ]
    if recovery is not None:
        children.append(CatalogSetting(definition, f"{definition}_{str(recovery).lower()}"))
    return tuple(children)


def account_protection(policy_id: str, recovery: bool = True, **kwargs: Any) -> DevicePolicy:
    """An endpoint security account protection policy with Windows Hello for Business settings."""
    return catalog_policy(
        policy_id,
        *whfb_settings(recovery),
        name="ES - Account protection",
        kind="endpoint-security",
        template="endpointSecurityAccountProtection",
        **kwargs,
    )


def web_signin_profile(
    policy_id: str,
    value: object = "sts.fabrikam.com;login.fabrikam.com",
    *,
    oma_uri: str = WEB_SIGNIN_URI,
    encrypted: bool = False,
    targets: tuple[str, ...] = ("all devices",),
) -> DevicePolicy:
    setting = OmaSetting(oma_uri, STRING, value, "ConfigureWebSignInAllowedUrls", is_encrypted=encrypted)
    return custom_profile(policy_id, setting, name="WIN - Custom - Web sign-in URLs", targets=targets)


def federated(*names: str) -> Readout[Any]:
    """The healthy tenant's managed domain plus these federated ones."""
    domains = [TenantDomain("contoso.com", "Managed", True)]
    domains.extend(TenantDomain(name, "Federated", True) for name in names)
    return Readout.of(tuple(domains))
