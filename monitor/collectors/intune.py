"""Intune: managed Windows devices and the device policies that can enable PIN recovery (Graph beta).

- Devices: `GET /beta/deviceManagement/managedDevices?$filter=operatingSystem eq 'Windows'&$select=...`
  (DeviceManagementManagedDevices.Read.All). Graph's managedDevice resource (beta) documents every
  field read here; `skuNumber` is a GetProductInfo product type, `skuFamily` an undocumented string.
- Policies (DeviceManagementConfiguration.Read.All):
  `GET /beta/deviceManagement/deviceConfigurations?$expand=assignments` for the Identity protection
  template and custom OMA-URI profiles, and
  `GET /beta/deviceManagement/configurationPolicies?$expand=settings,assignments` for settings catalog
  and endpoint security policies. configurationPolicies pages by 25 by default, so paging matters.
  Legacy Endpoint security account protection policies are `GET /beta/deviceManagement/intents`,
  with `/intents/{id}/settings` and `/intents/{id}/assignments` below each (as Microsoft365DSC reads
  them).
- Group Policy ("Use PIN Recovery" on hybrid-joined devices) cannot be seen through Graph at all.

Both reads raise GraphReadError when any page of any endpoint fails: a rule must never conclude "no
policy enables PIN recovery" from half the policies.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from monitor.collectors.fields import collect_items, integer, obj, objects, parse_time, text
from monitor.graph.session import GraphSession
from monitor.records import CatalogSetting, DevicePolicy, ManagedDevice, OmaSetting, PolicyKind

log = logging.getLogger(__name__)

DEVICES_PERMISSION = "DeviceManagementManagedDevices.Read.All"
POLICIES_PERMISSION = "DeviceManagementConfiguration.Read.All"
DEVICES = "beta/deviceManagement/managedDevices"
DEVICE_CONFIGURATIONS = "beta/deviceManagement/deviceConfigurations"
CONFIGURATION_POLICIES = "beta/deviceManagement/configurationPolicies"
# Only what ManagedDevice holds.
DEVICE_FIELDS = (
    "id,deviceName,operatingSystem,osVersion,skuFamily,skuNumber,joinType,azureADDeviceId,"
    "userPrincipalName,userId,lastSyncDateTime"
)
INTENTS = "beta/deviceManagement/intents"
IDENTITY_PROTECTION_TYPE = "#microsoft.graph.windowsIdentityProtectionConfiguration"
CUSTOM_TYPE = "#microsoft.graph.windows10CustomConfiguration"
# The legacy Endpoint security account protection template, as Microsoft365DSC's
# IntuneAccountProtectionPolicy resource reads it, and its PIN recovery setting. No Microsoft page
# documents the definition id; public scripts that read these intents use this one.
ACCOUNT_PROTECTION_TEMPLATE = "0f2b5d70-d4e9-4156-8c16-1397eb6c54a5"
INTENT_PIN_RECOVERY = "deviceConfiguration--windowsIdentityProtectionConfiguration_pinRecoveryEnabled"
# Types the monitor reads, in Graph's spelling: @odata.type is matched ignoring case and the
# "#microsoft.graph." prefix, then given back in this form.
KNOWN_TYPES = {
    t.lower().removeprefix("#microsoft.graph."): t
    for t in (
        IDENTITY_PROTECTION_TYPE,
        CUSTOM_TYPE,
        "#microsoft.graph.omaSettingBoolean",
        "#microsoft.graph.omaSettingString",
        "#microsoft.graph.omaSettingInteger",
        "#microsoft.graph.omaSettingBase64",
        "#microsoft.graph.omaSettingDateTime",
        "#microsoft.graph.omaSettingFloatingPoint",
        "#microsoft.graph.omaSettingStringXml",
    )
}


def odata_type(item: Mapping[str, Any]) -> str:
    """The item's @odata.type in Graph's spelling, whatever its case or prefix ("" when absent)."""
    raw = text(item, "@odata.type").strip()
    key = raw.lower().removeprefix("#").removeprefix("microsoft.graph.")
    if not key:
        return ""
    return KNOWN_TYPES.get(key, "#microsoft.graph." + raw.removeprefix("#").removeprefix("microsoft.graph."))


# --- devices ----------------------------------------------------------------------------------------


def managed_device(item: Mapping[str, Any]) -> ManagedDevice | None:
    """Map one managedDevice; None without an id (nothing could name it) or for another platform."""
    device_id = text(item, "id")
    operating_system = text(item, "operatingSystem")
    if not device_id or (operating_system and operating_system.lower() != "windows"):
        return None
    last_sync = parse_time(item.get("lastSyncDateTime"))
    # Graph writes 0001-01-01T00:00:00Z for "never".
    if last_sync is not None and last_sync.year <= 1:
        last_sync = None
    return ManagedDevice(
        id=device_id,
        name=text(item, "deviceName"),
        operating_system=operating_system or "Windows",
        os_version=text(item, "osVersion"),
        sku_family=text(item, "skuFamily"),
        sku_number=integer(item.get("skuNumber")),
        join_type=text(item, "joinType"),
        azure_ad_device_id=text(item, "azureADDeviceId"),
        user_principal_name=text(item, "userPrincipalName"),
        user_id=text(item, "userId"),
        last_sync=last_sync,
    )


async def read_windows_devices(graph: GraphSession) -> tuple[ManagedDevice, ...]:
    url = graph.url(
        "beta",
        "deviceManagement/managedDevices",
        {"$filter": "operatingSystem eq 'Windows'", "$select": DEVICE_FIELDS},
    )
    items = await collect_items(graph, url, DEVICES, DEVICES_PERMISSION)
    devices = [device for device in (managed_device(item) for item in items) if device is not None]
    if len(devices) != len(items):
        log.warning("managed devices left out: read=%d kept=%d", len(items), len(devices))
    return tuple(devices)


# --- assignments ------------------------------------------------------------------------------------


def assignment_target(assignment: Mapping[str, Any]) -> str | None:
    """The included target of one assignment ("all devices", "all users", "group <id>"), or None.

    Exclusion groups do not count, nor does a deviceConfigurationAssignment whose intent is "remove"
    (it removes the profile from devices that had it). exclusionGroupAssignmentTarget derives from
    groupAssignmentTarget, so the type is matched exactly rather than by the presence of a groupId.
    """
    if text(assignment, "intent").lower() == "remove":
        return None
    target = obj(assignment, "target")
    kind = text(target, "@odata.type").lower().removeprefix("#").removeprefix("microsoft.graph.")
    if kind == "exclusiongroupassignmenttarget":
        return None
    if kind == "alldevicesassignmenttarget":
        return "all devices"
    if kind == "alllicensedusersassignmenttarget":
        return "all users"
    if kind == "groupassignmenttarget":
        group_id = text(target, "groupId")
        return f"group {group_id}" if group_id else None
    if kind == "configurationmanagercollectionassignmenttarget":
        collection_id = text(target, "collectionId")
        return f"collection {collection_id}" if collection_id else None
    if not kind:
        return None
    # A target type this code does not know yet is still an assignment that is not an exclusion.
    return f"other {kind}"


def included_targets(assignments: object) -> tuple[str, ...]:
    targets: list[str] = []
    for assignment in objects(assignments):
        target = assignment_target(assignment)
        if target is not None and target not in targets:
            targets.append(target)
    return tuple(targets)


# --- device configurations (Identity protection template, custom OMA-URI profiles) ------------------


def oma_setting(item: Mapping[str, Any]) -> OmaSetting:
    return OmaSetting(
        oma_uri=text(item, "omaUri"),
        odata_type=odata_type(item),
        value=item.get("value"),
        display_name=text(item, "displayName"),
        # Intune returns string values masked ("****") with isEncrypted true and a
        # secretReferenceValueId; any of these means the value shown is not the value set.
        is_encrypted=item.get("isEncrypted") is True or bool(text(item, "secretReferenceValueId")),
    )


def device_configuration(item: Mapping[str, Any]) -> DevicePolicy | None:
    policy_id = text(item, "id")
    if not policy_id:
        return None
    item_type = odata_type(item)
    kind: PolicyKind = "other"
    if item_type == IDENTITY_PROTECTION_TYPE:
        kind = "identity-protection"
    elif item_type == CUSTOM_TYPE:
        kind = "custom"
    pin_recovery = item.get("pinRecoveryEnabled")
    return DevicePolicy(
        id=policy_id,
        name=text(item, "displayName"),
        kind=kind,
        odata_type=item_type,
        targets=included_targets(item.get("assignments")),
        pin_recovery_enabled=pin_recovery if isinstance(pin_recovery, bool) else None,
        pin_minimum_length=integer(item.get("pinMinimumLength")),
        oma_settings=tuple(oma_setting(setting) for setting in objects(item.get("omaSettings"))),
    )


# --- configuration policies (settings catalog, endpoint security) -----------------------------------


def _instance_value(instance: Mapping[str, Any]) -> tuple[object, list[Mapping[str, Any]]]:
    """The value of one setting instance and its child instances, whatever its kind.

    choice: the chosen option id; simple: the value; collections: a tuple of values; groups: None.
    The kind is read from which value property is present, which does not depend on @odata.type.
    """
    if isinstance(instance.get("choiceSettingValue"), dict):
        choice = obj(instance, "choiceSettingValue")
        return choice.get("value"), objects(choice.get("children"))
    if isinstance(instance.get("choiceSettingCollectionValue"), list):
        choices = objects(instance.get("choiceSettingCollectionValue"))
        children = [child for choice in choices for child in objects(choice.get("children"))]
        return tuple(choice.get("value") for choice in choices), children
    if isinstance(instance.get("simpleSettingValue"), dict):
        return obj(instance, "simpleSettingValue").get("value"), []
    if isinstance(instance.get("simpleSettingCollectionValue"), list):
        values = objects(instance.get("simpleSettingCollectionValue"))
        return tuple(value.get("value") for value in values), []
    if isinstance(instance.get("groupSettingValue"), dict):
        return None, objects(obj(instance, "groupSettingValue").get("children"))
    if isinstance(instance.get("groupSettingCollectionValue"), list):
        groups = objects(instance.get("groupSettingCollectionValue"))
        return None, [child for group in groups for child in objects(group.get("children"))]
    return None, []


def flatten_settings(settings: Iterable[Mapping[str, Any]]) -> tuple[CatalogSetting, ...]:
    """Every setting instance of a policy's settings, children after their parent, depth first.

    Windows Hello for Business settings live as children of the group setting collection
    `device_vendor_msft_passportforwork_{tenantid}`; a choice can carry children too.
    """
    flat: list[CatalogSetting] = []
    stack: list[Mapping[str, Any]] = [obj(setting, "settingInstance") for setting in reversed(list(settings))]
    while stack:
        instance = stack.pop()
        if not instance:
            continue
        value, children = _instance_value(instance)
        flat.append(CatalogSetting(text(instance, "settingDefinitionId"), value))
        stack.extend(reversed(children))
    return tuple(flat)


def configuration_policy(
    item: Mapping[str, Any], settings: Iterable[Mapping[str, Any]]
) -> DevicePolicy | None:
    policy_id = text(item, "id")
    if not policy_id:
        return None
    family = text(obj(item, "templateReference"), "templateFamily")
    kind: PolicyKind = "endpoint-security" if family.startswith("endpointSecurity") else "settings-catalog"
    return DevicePolicy(
        id=policy_id,
        name=text(item, "name"),
        kind=kind,
        odata_type="",
        targets=included_targets(item.get("assignments")),
        catalog_settings=flatten_settings(settings),
        template="" if family in ("", "none") else family,
    )


def _settings_incomplete(item: Mapping[str, Any], settings: list[Mapping[str, Any]]) -> bool:
    """Whether the inline settings may be cut short: a nextLink on them, or fewer than settingCount."""
    if isinstance(item.get("settings@odata.nextLink"), str):
        return True
    count = integer(item.get("settingCount"))
    return count is not None and count > len(settings)


async def _policy_settings(graph: GraphSession, item: Mapping[str, Any]) -> Sequence[Mapping[str, Any]]:
    settings = objects(item.get("settings"))
    policy_id = text(item, "id")
    if policy_id and _settings_incomplete(item, settings):
        # Expanded collections may be capped; the policy's own settings collection pages to the end.
        url = graph.url("beta", f"deviceManagement/configurationPolicies/{policy_id}/settings")
        return await collect_items(graph, url, CONFIGURATION_POLICIES, POLICIES_PERMISSION)
    return settings


# --- legacy Endpoint security intents (account protection) ------------------------------------------


def _intent_boolean(setting: Mapping[str, Any]) -> bool | None:
    """A deviceManagementBooleanSettingInstance's value: `value`, or `valueJson` ("true"/"false")."""
    value = setting.get("value")
    if isinstance(value, bool):
        return value
    raw = text(setting, "valueJson").strip().lower()
    return {"true": True, "false": False}.get(raw)


def account_protection_intent(
    item: Mapping[str, Any], settings: Sequence[Mapping[str, Any]], assignments: Sequence[Mapping[str, Any]]
) -> DevicePolicy | None:
    policy_id = text(item, "id")
    if not policy_id:
        return None
    recovery = [s for s in settings if text(s, "definitionId").lower() == INTENT_PIN_RECOVERY.lower()]
    return DevicePolicy(
        id=policy_id,
        name=text(item, "displayName"),
        kind="account-protection-intent",
        odata_type="",
        targets=included_targets(list(assignments)),
        pin_recovery_enabled=_intent_boolean(recovery[0]) if recovery else None,
        template=f"intent {ACCOUNT_PROTECTION_TEMPLATE}",
    )


async def read_account_protection_intents(graph: GraphSession) -> list[DevicePolicy]:
    """Legacy account protection policies: the intents of that template, with settings and assignments
    read below each (Graph does not inline them)."""
    intents = await collect_items(
        graph, graph.url("beta", "deviceManagement/intents"), INTENTS, POLICIES_PERMISSION
    )
    found: list[DevicePolicy] = []
    for intent in intents:
        intent_id = text(intent, "id")
        if not intent_id or text(intent, "templateId").lower() != ACCOUNT_PROTECTION_TEMPLATE:
            continue
        below = f"deviceManagement/intents/{intent_id}"
        settings = await collect_items(
            graph, graph.url("beta", f"{below}/settings"), INTENTS, POLICIES_PERMISSION
        )
        assignments = await collect_items(
            graph, graph.url("beta", f"{below}/assignments"), INTENTS, POLICIES_PERMISSION
        )
        policy = account_protection_intent(intent, settings, assignments)
        if policy is not None:
            found.append(policy)
    return found


async def read_device_policies(graph: GraphSession) -> tuple[DevicePolicy, ...]:
    configurations = await collect_items(
        graph,
        graph.url("beta", "deviceManagement/deviceConfigurations", {"$expand": "assignments"}),
        DEVICE_CONFIGURATIONS,
        POLICIES_PERMISSION,
    )
    policies = await collect_items(
        graph,
        graph.url("beta", "deviceManagement/configurationPolicies", {"$expand": "settings,assignments"}),
        CONFIGURATION_POLICIES,
        POLICIES_PERMISSION,
    )
    mapped: list[DevicePolicy | None] = [device_configuration(item) for item in configurations]
    for item in policies:
        mapped.append(configuration_policy(item, await _policy_settings(graph, item)))
    mapped.extend(await read_account_protection_intents(graph))
    found = tuple(policy for policy in mapped if policy is not None)
    if len(found) != len(mapped):
        log.warning("device policies without id left out: read=%d kept=%d", len(mapped), len(found))
    return found
