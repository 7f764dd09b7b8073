"""The Intune collectors through the real msgraph-sdk client against the Graph simulator."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, TypeVar

import orjson
import pytest

from graphsim import GraphSimulator
from monitor.collectors.intune import read_device_policies, read_windows_devices
from monitor.graph.errors import GraphReadError
from monitor.graph.session import GraphSession
from monitor.records import CatalogSetting, DevicePolicy, ManagedDevice, OmaSetting
from tests.support import TENANT_ID, simulator_settings, write

T = TypeVar("T")

DEVICES = "beta/deviceManagement/managedDevices"
CONFIGURATIONS = "beta/deviceManagement/deviceConfigurations"
POLICIES = "beta/deviceManagement/configurationPolicies"
GROUP = "5a1e0000-0000-4000-8000-000000000001"
EXCLUDED = "5a1e0000-0000-4000-8000-000000000002"
PASSPORT = "device_vendor_msft_passportforwork_{tenantid}"
RECOVERY = f"{PASSPORT}_policies_enablepinrecovery"
PIN_RECOVERY_URI = f"./Device/Vendor/MSFT/Policy/PassportForWork/{TENANT_ID}/Policies/EnablePinRecovery"
WEB_SIGNIN = "device_vendor_msft_policy_config_authentication_configurewebsigninallowedurls"


def run(snapshot: Path, read: Callable[[GraphSession], Awaitable[T]]) -> tuple[T, GraphSimulator]:
    with GraphSimulator(snapshot) as sim:

        async def go() -> T:
            async with GraphSession(simulator_settings(sim.url), transport_retry_delay=0.01) as graph:
                return await read(graph)

        return asyncio.run(go()), sim


def fail_with(snapshot: Path, path: str, status: int, code: str, message: str) -> None:
    (snapshot / "_simulator.json").write_bytes(
        orjson.dumps({"responses": [{"path": path, "status": status, "code": code, "message": message}]})
    )


# --- Graph shapes -----------------------------------------------------------------------------------


def graph_device(n: int, **changes: Any) -> dict[str, Any]:
    item: dict[str, Any] = {
        "id": f"0d5e0000-0000-4000-8000-{n:012d}",
        "userId": f"u0000000-0000-4000-8000-{n:012d}",
        "deviceName": f"CONTOSO-PC{n:03d}",
        "managedDeviceOwnerType": "company",
        "lastSyncDateTime": "2026-11-19T08:15:30.1234567Z",
        "operatingSystem": "Windows",
        "complianceState": "compliant",
        "osVersion": "10.0.22631.4460",
        "azureADDeviceId": f"ad000000-0000-4000-8000-{n:012d}",
        "userPrincipalName": f"user{n}@contoso.com",
        "serialNumber": f"SN{n:06d}",
        "joinType": "azureADJoined",
        "skuFamily": "Enterprise",
        "skuNumber": 4,
    }
    item.update(changes)
    return item


def target(kind: str, **fields: Any) -> dict[str, Any]:
    return {
        "@odata.type": f"#microsoft.graph.{kind}",
        "deviceAndAppManagementAssignmentFilterId": None,
        "deviceAndAppManagementAssignmentFilterType": "none",
        **fields,
    }


def assignment(tgt: dict[str, Any], **fields: Any) -> dict[str, Any]:
    return {"id": "a", "source": "direct", "sourceId": "s", "target": tgt, **fields}


def choice(definition: str, value: str, children: list[dict[str, Any]] | None = None) -> dict[str, Any]:
    return {
        "@odata.type": "#microsoft.graph.deviceManagementConfigurationChoiceSettingInstance",
        "settingDefinitionId": definition,
        "settingInstanceTemplateReference": None,
        "choiceSettingValue": {
            "settingValueTemplateReference": None,
            "value": value,
            "children": children or [],
        },
    }


def integer(definition: str, value: int) -> dict[str, Any]:
    return {
        "@odata.type": "#microsoft.graph.deviceManagementConfigurationSimpleSettingInstance",
        "settingDefinitionId": definition,
        "simpleSettingValue": {
            "@odata.type": "#microsoft.graph.deviceManagementConfigurationIntegerSettingValue",
            "value": value,
        },
    }


def group_collection(definition: str, *children: dict[str, Any]) -> dict[str, Any]:
    return {
        "@odata.type": "#microsoft.graph.deviceManagementConfigurationGroupSettingCollectionInstance",
        "settingDefinitionId": definition,
        "groupSettingCollectionValue": [{"settingValueTemplateReference": None, "children": list(children)}],
    }


def configuration_policy(
    policy_id: str,
    *instances: dict[str, Any],
    targets: list[dict[str, Any]] | None = None,
    family: str = "none",
    **changes: Any,
) -> dict[str, Any]:
    item: dict[str, Any] = {
        "id": policy_id,
        "name": f"Policy {policy_id}",
        "platforms": "windows10",
        "technologies": "mdm",
        "settingCount": len(instances),
        "isAssigned": bool(targets),
        "templateReference": {"templateId": "", "templateFamily": family, "templateDisplayName": None},
        "settings": [{"id": str(i), "settingInstance": inst} for i, inst in enumerate(instances)],
        "assignments": [assignment(t) for t in targets or []],
    }
    item.update(changes)
    return item


def oma(kind: str, uri: str, value: Any, **fields: Any) -> dict[str, Any]:
    return {
        "@odata.type": f"#microsoft.graph.omaSetting{kind}",
        "displayName": uri.rsplit("/", 1)[-1],
        "description": None,
        "omaUri": uri,
        "secretReferenceValueId": None,
        "isEncrypted": False,
        "value": value,
        **fields,
    }


def device_configuration(
    config_id: str, odata_type: str, assignments: list[dict[str, Any]], **fields: Any
) -> dict[str, Any]:
    return {
        "@odata.type": f"#microsoft.graph.{odata_type}",
        "id": config_id,
        "displayName": f"Profile {config_id}",
        "version": 1,
        "assignments": assignments,
        **fields,
    }


# --- devices ----------------------------------------------------------------------------------------


def test_windows_devices_are_read_with_only_the_fields_they_need(tmp_path: Path) -> None:
    write(
        tmp_path,
        DEVICES,
        {
            "value": [
                graph_device(1),
                graph_device(2, operatingSystem="iOS", osVersion="18.1.1", skuFamily="", skuNumber=0),
                graph_device(
                    3,
                    osVersion="10.0.17763.6414",
                    skuFamily="Professional",
                    skuNumber=48,
                    joinType="hybridAzureADJoined",
                ),
            ]
        },
    )
    found, sim = run(tmp_path, read_windows_devices)

    assert found == (
        ManagedDevice(
            id="0d5e0000-0000-4000-8000-000000000001",
            name="CONTOSO-PC001",
            operating_system="Windows",
            os_version="10.0.22631.4460",
            sku_family="Enterprise",
            sku_number=4,
            join_type="azureADJoined",
            azure_ad_device_id="ad000000-0000-4000-8000-000000000001",
            user_principal_name="user1@contoso.com",
            user_id="u0000000-0000-4000-8000-000000000001",
            last_sync=datetime(2026, 11, 19, 8, 15, 30, 123456, tzinfo=UTC),
        ),
        ManagedDevice(
            id="0d5e0000-0000-4000-8000-000000000003",
            name="CONTOSO-PC003",
            operating_system="Windows",
            os_version="10.0.17763.6414",
            sku_family="Professional",
            sku_number=48,
            join_type="hybridAzureADJoined",
            azure_ad_device_id="ad000000-0000-4000-8000-000000000003",
            user_principal_name="user3@contoso.com",
            user_id="u0000000-0000-4000-8000-000000000003",
            last_sync=datetime(2026, 11, 19, 8, 15, 30, 123456, tzinfo=UTC),
        ),
    )
    (request,) = sim.requests
    assert request.query == {
        "$filter": "operatingSystem eq 'Windows'",
        "$select": "id,deviceName,operatingSystem,osVersion,skuFamily,skuNumber,joinType,azureADDeviceId,"
        "userPrincipalName,userId,lastSyncDateTime",
    }


def test_missing_or_odd_device_fields_become_defaults_not_crashes(tmp_path: Path) -> None:
    write(
        tmp_path,
        DEVICES,
        {
            "value": [
                {"id": "bare", "operatingSystem": "Windows"},
                graph_device(
                    4,
                    skuNumber="48",
                    skuFamily=None,
                    lastSyncDateTime="0001-01-01T00:00:00Z",
                    osVersion=7,
                    joinType=None,
                    userPrincipalName=None,
                ),
                {"operatingSystem": "Windows", "deviceName": "NO-ID"},
            ]
        },
    )
    found, _ = run(tmp_path, read_windows_devices)

    assert found == (
        ManagedDevice("bare", "", "Windows", "", "", None, "", "", "", "", None),
        ManagedDevice(
            id="0d5e0000-0000-4000-8000-000000000004",
            name="CONTOSO-PC004",
            operating_system="Windows",
            os_version="",
            sku_family="",
            sku_number=None,
            join_type="",
            azure_ad_device_id="ad000000-0000-4000-8000-000000000004",
            user_principal_name="",
            user_id="u0000000-0000-4000-8000-000000000004",
            last_sync=None,
        ),
    )


def test_devices_are_read_past_the_first_page(tmp_path: Path) -> None:
    write(tmp_path, DEVICES, {"value": [graph_device(n) for n in range(1, 1202)]})
    found, sim = run(tmp_path, read_windows_devices)
    assert len(found) == 1201
    assert sim.count(path_contains=DEVICES, status=200) == 2


def test_a_403_on_devices_is_skipped_naming_the_permission(tmp_path: Path) -> None:
    write(tmp_path, DEVICES, {"value": [graph_device(1)]})
    fail_with(tmp_path, DEVICES, 403, "Forbidden", "Application is not authorized to perform this operation.")
    with pytest.raises(GraphReadError) as failure:
        run(tmp_path, read_windows_devices)
    assert failure.value.kind == "skipped"
    assert failure.value.reason.startswith(
        f"permission missing: {DEVICES} needs DeviceManagementManagedDevices.Read.All"
    ), failure.value.reason


def test_a_tenant_without_intune_is_skipped_as_a_missing_licence(tmp_path: Path) -> None:
    write(tmp_path, DEVICES, {"value": []})
    fail_with(
        tmp_path, "beta/deviceManagement", 400, "BadRequest", "Request not applicable to target tenant."
    )
    with pytest.raises(GraphReadError) as failure:
        run(tmp_path, read_windows_devices)
    assert failure.value.kind == "skipped"
    assert failure.value.reason.startswith(
        "licence missing: beta/deviceManagement/managedDevices needs Microsoft Intune"
    )


# --- policies ---------------------------------------------------------------------------------------


def policy_snapshot(
    tmp_path: Path, configurations: list[dict[str, Any]], policies: list[dict[str, Any]]
) -> Path:
    write(tmp_path, CONFIGURATIONS, {"value": configurations})
    write(tmp_path, POLICIES, {"value": policies})
    return tmp_path


def by_id(policies: tuple[DevicePolicy, ...]) -> dict[str, DevicePolicy]:
    return {policy.id: policy for policy in policies}


def test_identity_protection_custom_and_other_profiles_are_mapped_with_included_targets(
    tmp_path: Path,
) -> None:
    identity = device_configuration(
        "ip-1",
        "windowsIdentityProtectionConfiguration",
        [
            assignment(target("groupAssignmentTarget", groupId=GROUP)),
            assignment(target("exclusionGroupAssignmentTarget", groupId=EXCLUDED)),
            assignment(target("allLicensedUsersAssignmentTarget")),
        ],
        pinRecoveryEnabled=True,
        pinMinimumLength=6,
        windowsHelloForBusinessBlocked=False,
    )
    custom = device_configuration(
        "oma-1",
        "windows10CustomConfiguration",
        [assignment(target("allDevicesAssignmentTarget")), assignment(target("allDevicesAssignmentTarget"))],
        omaSettings=[
            oma("Boolean", PIN_RECOVERY_URI, True),
            oma(
                "String",
                "./Vendor/MSFT/Policy/Config/Authentication/ConfigureWebSignInAllowedUrls",
                "****",
                isEncrypted=True,
                secretReferenceValueId="secret-1",
            ),
            "not a setting",
        ],
    )
    wifi = device_configuration("wifi-1", "windowsWifiConfiguration", [], ssid="CONTOSO")
    found, sim = run(policy_snapshot(tmp_path, [identity, custom, wifi], []), read_device_policies)

    assert found == (
        DevicePolicy(
            id="ip-1",
            name="Profile ip-1",
            kind="identity-protection",
            odata_type="#microsoft.graph.windowsIdentityProtectionConfiguration",
            targets=(f"group {GROUP}", "all users"),
            pin_recovery_enabled=True,
            pin_minimum_length=6,
        ),
        DevicePolicy(
            id="oma-1",
            name="Profile oma-1",
            kind="custom",
            odata_type="#microsoft.graph.windows10CustomConfiguration",
            targets=("all devices",),
            oma_settings=(
                OmaSetting(PIN_RECOVERY_URI, "#microsoft.graph.omaSettingBoolean", True, "EnablePinRecovery"),
                OmaSetting(
                    "./Vendor/MSFT/Policy/Config/Authentication/ConfigureWebSignInAllowedUrls",
                    "#microsoft.graph.omaSettingString",
                    "****",
                    "ConfigureWebSignInAllowedUrls",
                    is_encrypted=True,
                ),
            ),
        ),
        DevicePolicy(
            id="wifi-1",
            name="Profile wifi-1",
            kind="other",
            odata_type="#microsoft.graph.windowsWifiConfiguration",
            targets=(),
        ),
    )
    queries = [(r.path, r.query) for r in sim.requests]
    assert queries == [
        ("/beta/deviceManagement/deviceConfigurations", {"$expand": "assignments"}),
        ("/beta/deviceManagement/configurationPolicies", {"$expand": "settings,assignments"}),
        ("/beta/deviceManagement/intents", {}),
    ]


def test_exclusions_and_removals_do_not_count_as_assignments(tmp_path: Path) -> None:
    excluded_only = device_configuration(
        "ip-excluded",
        "windowsIdentityProtectionConfiguration",
        [assignment(target("exclusionGroupAssignmentTarget", groupId=EXCLUDED))],
        pinRecoveryEnabled=True,
    )
    removed = device_configuration(
        "ip-removed",
        "windowsIdentityProtectionConfiguration",
        [assignment(target("allDevicesAssignmentTarget"), intent="remove")],
        pinRecoveryEnabled=True,
    )
    catalog_excluded = configuration_policy(
        "sc-excluded",
        choice(RECOVERY, f"{RECOVERY}_true"),
        targets=[target("exclusionGroupAssignmentTarget", groupId=EXCLUDED)],
    )
    found, _ = run(
        policy_snapshot(tmp_path, [excluded_only, removed], [catalog_excluded]), read_device_policies
    )

    assert {policy.id: (policy.targets, policy.assigned) for policy in found} == {
        "ip-excluded": ((), False),
        "ip-removed": ((), False),
        "sc-excluded": ((), False),
    }


def test_settings_catalog_children_are_flattened_recursively(tmp_path: Path) -> None:
    nested = configuration_policy(
        "sc-nested",
        group_collection(
            PASSPORT,
            choice(
                f"{PASSPORT}_policies_usepassportforwork",
                f"{PASSPORT}_policies_usepassportforwork_true",
                children=[integer(f"{PASSPORT}_policies_pincomplexity_minimumpinlength", 6)],
            ),
            choice(RECOVERY, f"{RECOVERY}_true"),
        ),
        {
            "@odata.type": "#microsoft.graph.deviceManagementConfigurationSimpleSettingCollectionInstance",
            "settingDefinitionId": WEB_SIGNIN,
            "simpleSettingCollectionValue": [
                {
                    "@odata.type": "#microsoft.graph.deviceManagementConfigurationStringSettingValue",
                    "value": "sts.fabrikam.com",
                },
                {
                    "@odata.type": "#microsoft.graph.deviceManagementConfigurationStringSettingValue",
                    "value": "login.fabrikam.com",
                },
            ],
        },
        targets=[target("groupAssignmentTarget", groupId=GROUP)],
    )
    account_protection = configuration_policy(
        "es-1",
        group_collection(PASSPORT, choice(RECOVERY, f"{RECOVERY}_false")),
        targets=[target("allDevicesAssignmentTarget")],
        family="endpointSecurityAccountProtection",
        name="ES - Account protection",
    )
    found, _ = run(policy_snapshot(tmp_path, [], [nested, account_protection]), read_device_policies)

    assert found == (
        DevicePolicy(
            id="sc-nested",
            name="Policy sc-nested",
            kind="settings-catalog",
            odata_type="",
            targets=(f"group {GROUP}",),
            catalog_settings=(
                CatalogSetting(PASSPORT, None),
                CatalogSetting(
                    f"{PASSPORT}_policies_usepassportforwork", f"{PASSPORT}_policies_usepassportforwork_true"
                ),
                CatalogSetting(f"{PASSPORT}_policies_pincomplexity_minimumpinlength", 6),
                CatalogSetting(RECOVERY, f"{RECOVERY}_true"),
                CatalogSetting(WEB_SIGNIN, ("sts.fabrikam.com", "login.fabrikam.com")),
            ),
        ),
        DevicePolicy(
            id="es-1",
            name="ES - Account protection",
            kind="endpoint-security",
            odata_type="",
            targets=("all devices",),
            catalog_settings=(CatalogSetting(PASSPORT, None), CatalogSetting(RECOVERY, f"{RECOVERY}_false")),
            template="endpointSecurityAccountProtection",
        ),
    )


def test_configuration_policies_are_read_past_their_page_of_25(tmp_path: Path) -> None:
    policies = [configuration_policy(f"sc-{n:02d}", choice(RECOVERY, f"{RECOVERY}_true")) for n in range(60)]
    found, sim = run(policy_snapshot(tmp_path, [], policies), read_device_policies)

    assert [policy.id for policy in found] == [f"sc-{n:02d}" for n in range(60)]
    assert all(policy.catalog_settings == (CatalogSetting(RECOVERY, f"{RECOVERY}_true"),) for policy in found)
    assert sim.count(path_contains=POLICIES, status=200) == 3


def test_settings_cut_short_are_read_from_the_policy_itself(tmp_path: Path) -> None:
    # settingCount says there is more than came inline: read /configurationPolicies/{id}/settings.
    policy = configuration_policy("sc-big", choice(RECOVERY, f"{RECOVERY}_true"), settingCount=300)
    found, sim = run(policy_snapshot(tmp_path, [], [policy]), read_device_policies)

    assert found[0].catalog_settings == (CatalogSetting(RECOVERY, f"{RECOVERY}_true"),)
    assert [r.path for r in sim.requests][-2:] == [
        "/beta/deviceManagement/configurationPolicies/sc-big/settings",
        "/beta/deviceManagement/intents",
    ]


def test_missing_policy_fields_become_defaults_not_crashes(tmp_path: Path) -> None:
    configurations = [
        {"id": "bare-config"},
        {"@odata.type": "#microsoft.graph.windows10CustomConfiguration", "displayName": "no id"},
        device_configuration(
            "ip-null",
            "windowsIdentityProtectionConfiguration",
            None,
            pinRecoveryEnabled=None,
            pinMinimumLength="6",
        ),
        device_configuration(
            "odd-targets",
            "windows10CustomConfiguration",
            [
                {"id": "x"},
                assignment({"groupId": GROUP}),
                assignment(target("groupAssignmentTarget")),
                assignment(target("scopeTagGroupAssignmentTarget", entraObjectId="e")),
            ],
            omaSettings=[{"omaUri": PIN_RECOVERY_URI}],
        ),
    ]
    policies = [
        {"id": "bare-policy"},
        configuration_policy(
            "odd-settings",
            settings=[
                None,
                {"id": "0"},
                {"settingInstance": {"settingDefinitionId": "x"}},
                {"settingInstance": choice("y", 5)},
            ],
            templateReference=None,
            assignments=None,
            settingCount="many",
        ),
    ]
    found, _ = run(policy_snapshot(tmp_path, configurations, policies), read_device_policies)

    assert by_id(found) == {
        "bare-config": DevicePolicy("bare-config", "", "other", "", ()),
        "ip-null": DevicePolicy(
            "ip-null",
            "Profile ip-null",
            "identity-protection",
            "#microsoft.graph.windowsIdentityProtectionConfiguration",
            (),
        ),
        "odd-targets": DevicePolicy(
            "odd-targets",
            "Profile odd-targets",
            "custom",
            "#microsoft.graph.windows10CustomConfiguration",
            ("other scopetaggroupassignmenttarget",),
            oma_settings=(OmaSetting(PIN_RECOVERY_URI, "", None),),
        ),
        "bare-policy": DevicePolicy("bare-policy", "", "settings-catalog", "", ()),
        "odd-settings": DevicePolicy(
            "odd-settings",
            "Policy odd-settings",
            "settings-catalog",
            "",
            (),
            catalog_settings=(CatalogSetting("x", None), CatalogSetting("y", 5)),
        ),
    }


@pytest.mark.parametrize("failing", [CONFIGURATIONS, POLICIES])
def test_a_403_on_either_policy_endpoint_fails_the_whole_read_naming_the_permission(
    tmp_path: Path, failing: str
) -> None:
    policy_snapshot(
        tmp_path,
        [device_configuration("ip-1", "windowsIdentityProtectionConfiguration", [], pinRecoveryEnabled=True)],
        [configuration_policy("sc-1", choice(RECOVERY, f"{RECOVERY}_true"))],
    )
    fail_with(tmp_path, failing, 403, "Forbidden", "Application is not authorized to perform this operation.")
    with pytest.raises(GraphReadError) as failure:
        run(tmp_path, read_device_policies)
    assert failure.value.kind == "skipped"
    assert failure.value.reason.startswith(
        f"permission missing: {failing} needs DeviceManagementConfiguration.Read.All"
    ), failure.value.reason
