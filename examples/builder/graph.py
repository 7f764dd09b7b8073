"""Graph object factories (pure): the shapes of Microsoft's reference pages, in their key order."""

from __future__ import annotations

import functools
import json
import struct
import uuid
from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any, Final

from examples.builder.constants import (
    ALL_DEVICES_GROUP,
    ALL_USERS_GROUP,
    MICROSOFT_TENANT,
    PASSPORT,
    TAP_POLICY_ID,
)
from examples.builder.ids import iso, iso7, role_assignment_id
from examples.builder.model import Device, Person
from examples.builder.reference import APP_NAMES, PHONES, SKU_NUMBERS, App, Place

Json = dict[str, Any]


# --- sign-in status texts (Microsoft's AADSTS error code reference) ---------------------------------

_USER_MISTAKE = (
    "The user didn't enter the right credentials. \u00a0It's expected to see some number of these errors in "
    "your logs due to users making mistakes."
)


def status_for(code: int, *, app_id: str, resource_id: str, tenant_name: str) -> Json:
    """The signInStatus Graph writes for an AADSTS code, with the names filled in."""
    return dict(_status(code, app_id, resource_id, tenant_name))


@functools.lru_cache(maxsize=4096)
def _status(code: int, app_id: str, resource_id: str, tenant_name: str) -> tuple[tuple[str, Any], ...]:
    app = APP_NAMES.get(app_id, app_id)
    resource = APP_NAMES.get(resource_id, resource_id)
    reasons: dict[int, tuple[str, str | None]] = {
        0: ("Other.", None),
        50126: ("Error validating credentials due to invalid username or password.", _USER_MISTAKE),
        50076: (
            "Due to a configuration change made by your administrator, or because you moved to a new "
            f"location, you must use multi-factor authentication to access '{resource_id}'.",
            "MFA required in Azure AD",
        ),
        50079: (
            "Due to a configuration change made by your administrator, or because you moved to a new "
            f"location, you must enroll in multi-factor authentication to access '{resource_id}'.",
            "User needs to enroll for second factor authentication.",
        ),
        50074: ("Strong Authentication is required.", "MFA required in Azure AD"),
        50140: (
            "This error occurred due to 'Keep me signed in' interrupt when the user was signing in.",
            None,
        ),
        50089: (
            "Flow token expired - Authentication Failed. Have the user try signing-in again with "
            "username -password.",
            None,
        ),
        50173: (
            "The provided grant has expired due to it being revoked, a fresh auth token is needed. The "
            "user might have changed or reset their password.",
            None,
        ),
        53000: (
            "Device is not in required device state: compliant. Conditional Access policy requires a "
            "compliant device, and the device is not compliant. The user must enroll their device with an "
            "approved MDM provider like Intune.",
            "Device is not in required device state: compliant.",
        ),
        53003: (
            "Access has been blocked by Conditional Access policies. The access policy does not allow token "
            "issuance.",
            "Access has been blocked by Conditional Access policies.",
        ),
        65001: (
            f"The user or administrator has not consented to use the application with ID '{app_id}' named "
            f"'{app}'. Send an interactive authorization request for this user and resource.",
            "An admin has not consented to the PIN reset application.",
        ),
        650052: (
            f'The app needs access to a service ("{resource}") that your organization "{tenant_name}" has '
            "not subscribed to or enabled. Contact your IT Admin to review the configuration of your service "
            "subscriptions.",
            None,
        ),
        500011: (
            f"The resource principal named {resource_id} was not found in the tenant named {tenant_name}. "
            "This can happen if the application has not been installed by the administrator of the tenant or "
            "consented to by any user in the tenant. You might have sent your authentication request to the "
            "wrong tenant.",
            None,
        ),
        700016: (
            f"Application with identifier '{app_id}' was not found in the directory '{tenant_name}'. This "
            "can "
            "happen if the application has not been installed by the administrator of the tenant or "
            "consented "
            "to by any user in the tenant. You may have sent your authentication request to the wrong "
            "tenant.",
            None,
        ),
        7000112: (f"Application '{app_id}'({app}) is disabled.", None),
        70001: (f"Application with identifier '{app_id}' is disabled.", None),
    }
    reason, details = reasons[code]
    return (("errorCode", code), ("failureReason", reason), ("additionalDetails", details))


def organization_object(
    *,
    tenant_id: str,
    display_name: str,
    created: datetime,
    place: Place,
    street: str,
    postal_code: str,
    domains: Sequence[Json],
    plans: Sequence[tuple[str, str]],
    tech_contact: str,
) -> Json:
    """organization (v1.0): GET /organization is a collection of exactly one."""
    assigned = [
        {
            "assignedDateTime": iso(created + timedelta(days=1)),
            "capabilityStatus": "Enabled",
            "service": service,
            "servicePlanId": plan_id,
        }
        for service, plan_id in plans
    ]
    return {
        "id": tenant_id,
        "deletedDateTime": None,
        "businessPhones": [PHONES.get(place.country, "+1 425 555 0100")],
        "city": place.city,
        "country": None,
        "countryLetterCode": place.country,
        "createdDateTime": iso(created),
        "defaultUsageLocation": None,
        "displayName": display_name,
        "isMultipleDataLocationsForServicesEnabled": None,
        "marketingNotificationEmails": [],
        "onPremisesLastSyncDateTime": None,
        "onPremisesSyncEnabled": None,
        "partnerTenantType": None,
        "postalCode": postal_code,
        "preferredLanguage": "en",
        "securityComplianceNotificationMails": [],
        "securityComplianceNotificationPhones": [],
        "state": place.state,
        "street": street,
        "technicalNotificationMails": [tech_contact],
        "tenantType": "AAD",
        "directorySizeQuota": {"used": 0, "total": 300000},
        "privacyProfile": None,
        "assignedPlans": assigned,
        "onPremisesSyncStatus": [],
        "provisionedPlans": [
            {"capabilityStatus": "Enabled", "provisioningStatus": "Success", "service": service}
            for service, _ in plans
        ],
        "verifiedDomains": [
            {
                "capabilities": "Email, OfficeCommunicationsOnline",
                "isDefault": domain["isDefault"],
                "isInitial": domain["isInitial"],
                "name": domain["id"],
                "type": domain["authenticationType"],
            }
            for domain in domains
        ],
    }


def domain_object(
    name: str, *, default: bool = False, initial: bool = False, federated: bool = False
) -> Json:
    """domain (v1.0). A federated domain has authenticationType 'Federated'."""
    services = (
        ["Email", "OfficeCommunicationsOnline"]
        if initial
        else ["Email", "OfficeCommunicationsOnline", "Intune"]
    )
    if federated:
        services.append("OrgIdAuthentication")
    return {
        "authenticationType": "Federated" if federated else "Managed",
        "availabilityStatus": None,
        "id": name,
        "isAdminManaged": True,
        "isDefault": default,
        "isInitial": initial,
        "isRoot": True,
        "isVerified": True,
        "supportedServices": services,
        "passwordValidityPeriodInDays": None if federated else 2147483647,
        "passwordNotificationWindowInDays": None if federated else 14,
        "state": None,
    }


def service_principal_object(
    *, object_id: str, app: App, created: datetime, enabled: bool = True, description: str | None = None
) -> Json:
    """servicePrincipal (v1.0) of a Microsoft first-party app."""
    return {
        "id": object_id,
        "deletedDateTime": None,
        "accountEnabled": enabled,
        "alternativeNames": [],
        "appDisplayName": app.name,
        "appDescription": None,
        "appId": app.app_id,
        "applicationTemplateId": None,
        "appOwnerOrganizationId": MICROSOFT_TENANT,
        "appRoleAssignmentRequired": False,
        "createdDateTime": iso(created),
        "description": description,
        "disabledByMicrosoftStatus": None,
        "displayName": app.name,
        "homepage": None,
        "loginUrl": None,
        "logoutUrl": None,
        "notes": None,
        "notificationEmailAddresses": [],
        "preferredSingleSignOnMode": None,
        "preferredTokenSigningKeyThumbprint": None,
        "replyUrls": [],
        "servicePrincipalNames": [app.app_id],
        "servicePrincipalType": "Application",
        "signInAudience": "AzureADMultipleOrgs",
        "tags": ["WindowsAzureActiveDirectoryIntegratedApp"],
        "tokenEncryptionKeyId": None,
        "samlSingleSignOnSettings": None,
        "addIns": [],
        "appRoles": [],
        "info": {
            "logoUrl": None,
            "marketingUrl": None,
            "privacyStatementUrl": None,
            "supportUrl": None,
            "termsOfServiceUrl": None,
        },
        "keyCredentials": [],
        "oauth2PermissionScopes": [],
        "passwordCredentials": [],
        "resourceSpecificApplicationPermissions": [],
        "verifiedPublisher": {"displayName": None, "verifiedPublisherId": None, "addedDateTime": None},
    }


def tap_policy_object(
    *,
    state: str = "enabled",
    default_lifetime: int = 60,
    default_length: int = 8,
    minimum_lifetime: int = 60,
    maximum_lifetime: int = 480,
    usable_once: bool = True,
) -> Json:
    """temporaryAccessPassAuthenticationMethodConfiguration (v1.0)."""
    return {
        "@odata.type": "#microsoft.graph.temporaryAccessPassAuthenticationMethodConfiguration",
        "id": TAP_POLICY_ID,
        "state": state,
        "defaultLifetimeInMinutes": default_lifetime,
        "defaultLength": default_length,
        "minimumLifetimeInMinutes": minimum_lifetime,
        "maximumLifetimeInMinutes": maximum_lifetime,
        "isUsableOnce": usable_once,
        "includeTargets": [{"targetType": "group", "id": "all_users", "isRegistrationRequired": False}],
        "excludeTargets": [],
    }


def tap_method_object(
    *, method_id: str, created: datetime, lifetime: int, usable_once: bool, usable: bool, reason: str
) -> Json:
    """temporaryAccessPassAuthenticationMethod (v1.0). Graph never returns the pass itself."""
    return {
        "@odata.type": "#microsoft.graph.temporaryAccessPassAuthenticationMethod",
        "id": method_id,
        "temporaryAccessPass": None,
        "createdDateTime": iso7(created),
        "startDateTime": iso(created),
        "lifetimeInMinutes": lifetime,
        "isUsableOnce": usable_once,
        "isUsable": usable,
        "methodUsabilityReason": reason,
    }


def role_assignment_object(role_definition_id: str, principal_id: str) -> Json:
    """unifiedRoleAssignment (v1.0) of a directory role at tenant scope."""
    return {
        "id": role_assignment_id(role_definition_id, principal_id),
        "principalId": principal_id,
        "resourceScope": "/",
        "directoryScopeId": "/",
        "roleDefinitionId": role_definition_id,
    }


def audit_user(person_id: str, display_name: str | None, upn: str | None, ip: str | None) -> Json:
    return {
        "id": person_id,
        "displayName": display_name,
        "userPrincipalName": upn,
        "ipAddress": ip,
        "userType": None,
        "homeTenantId": None,
        "homeTenantName": None,
    }


def audit_app(app_id: str | None, display_name: str, sp_id: str | None) -> Json:
    return {
        "appId": app_id,
        "displayName": display_name,
        "servicePrincipalId": sp_id,
        "servicePrincipalName": None,
    }


def audit_target(
    target_id: str,
    *,
    type_: str,
    display_name: str | None = None,
    upn: str | None = None,
    modified: Sequence[tuple[str, str | None, str | None]] = (),
    group_type: str | None = None,
) -> Json:
    return {
        "id": target_id,
        "displayName": display_name,
        "type": type_,
        "userPrincipalName": upn,
        "groupType": group_type,
        "modifiedProperties": [
            {"displayName": name, "oldValue": old, "newValue": new} for name, old, new in modified
        ],
    }


def directory_audit_object(
    *,
    audit_id: str,
    when: datetime,
    category: str,
    correlation_id: str,
    activity: str,
    service: str,
    operation: str,
    result_reason: str,
    initiated_by_user: Json | None = None,
    initiated_by_app: Json | None = None,
    targets: Sequence[Json] = (),
    details: Sequence[tuple[str, str]] = (),
    result: str = "success",
) -> Json:
    """directoryAudit (v1.0), in the key order of the docs' example response."""
    return {
        "id": audit_id,
        "category": category,
        "correlationId": correlation_id,
        "result": result,
        "resultReason": result_reason,
        "activityDisplayName": activity,
        "activityDateTime": iso7(when),
        "loggedByService": service,
        "operationType": operation,
        "initiatedBy": {"app": initiated_by_app, "user": initiated_by_user},
        "targetResources": list(targets),
        "additionalDetails": [{"key": key, "value": value} for key, value in details],
    }


# --- Intune ------------------------------------------------------------------------------------------


def group_target(group_id: str, *, exclude: bool = False) -> Json:
    kind = "exclusionGroupAssignmentTarget" if exclude else "groupAssignmentTarget"
    return {
        "@odata.type": f"#microsoft.graph.{kind}",
        "deviceAndAppManagementAssignmentFilterId": None,
        "deviceAndAppManagementAssignmentFilterType": "none",
        "groupId": group_id,
    }


def all_devices_target() -> Json:
    return {
        "@odata.type": "#microsoft.graph.allDevicesAssignmentTarget",
        "deviceAndAppManagementAssignmentFilterId": None,
        "deviceAndAppManagementAssignmentFilterType": "none",
    }


def all_users_target() -> Json:
    return {
        "@odata.type": "#microsoft.graph.allLicensedUsersAssignmentTarget",
        "deviceAndAppManagementAssignmentFilterId": None,
        "deviceAndAppManagementAssignmentFilterType": "none",
    }


def _target_group_id(target: Json) -> str:
    kind = target["@odata.type"]
    if kind.endswith("allDevicesAssignmentTarget"):
        return ALL_DEVICES_GROUP
    if kind.endswith("allLicensedUsersAssignmentTarget"):
        return ALL_USERS_GROUP
    return str(target["groupId"])


def device_configuration_assignment(config_id: str, target: Json) -> Json:
    """deviceConfigurationAssignment (beta), as $expand=assignments returns it."""
    return {
        "id": f"{config_id}_{_target_group_id(target)}",
        "source": "direct",
        "sourceId": config_id,
        "intent": "apply",
        "target": target,
    }


def configuration_policy_assignment(policy_id: str, target: Json) -> Json:
    """deviceManagementConfigurationPolicyAssignment (beta)."""
    return {
        "id": f"{policy_id}_{_target_group_id(target)}",
        "source": "direct",
        "sourceId": policy_id,
        "target": target,
    }


def _device_configuration_base(
    odata_type: str,
    *,
    config_id: str,
    name: str,
    description: str,
    created: datetime,
    modified: datetime,
    version: int,
) -> Json:
    return {
        "@odata.type": f"#microsoft.graph.{odata_type}",
        "id": config_id,
        "lastModifiedDateTime": iso7(modified),
        "roleScopeTagIds": ["0"],
        "supportsScopeTags": True,
        "deviceManagementApplicabilityRuleOsEdition": None,
        "deviceManagementApplicabilityRuleOsVersion": None,
        "deviceManagementApplicabilityRuleDeviceMode": None,
        "createdDateTime": iso7(created),
        "description": description,
        "displayName": name,
        "version": version,
    }


def identity_protection_configuration(
    *,
    config_id: str,
    name: str,
    created: datetime,
    modified: datetime,
    pin_recovery: bool,
    targets: Sequence[Json],
    description: str = "",
    pin_minimum_length: int = 6,
) -> Json:
    """windowsIdentityProtectionConfiguration: the Identity protection template (Windows Hello)."""
    item = _device_configuration_base(
        "windowsIdentityProtectionConfiguration",
        config_id=config_id,
        name=name,
        description=description,
        created=created,
        modified=modified,
        version=2,
    )
    item |= {
        "useSecurityKeyForSignin": True,
        "enhancedAntiSpoofingForFacialFeaturesEnabled": True,
        "pinMinimumLength": pin_minimum_length,
        "pinMaximumLength": 127,
        "pinUppercaseCharactersUsage": "allowed",
        "pinLowercaseCharactersUsage": "allowed",
        "pinSpecialCharactersUsage": "allowed",
        "pinExpirationInDays": 0,
        "pinPreviousBlockCount": 0,
        "pinRecoveryEnabled": pin_recovery,
        "securityDeviceRequired": True,
        "unlockWithBiometricsEnabled": True,
        "useCertificatesForOnPremisesAuthEnabled": False,
        "windowsHelloForBusinessBlocked": False,
    }
    item["assignments"] = [device_configuration_assignment(config_id, t) for t in targets]
    return item


def oma_setting(
    kind: str,
    *,
    name: str,
    oma_uri: str,
    value: Any,
    description: str | None = None,
    secret_id: str | None = None,
) -> Json:
    """omaSettingBoolean / omaSettingString / omaSettingInteger of a custom profile, as Graph lists it.

    Intune keeps every String value encrypted: Graph returns it as "****" with isEncrypted true and a
    secretReferenceValueId, and only getOmaSettingPlainTextValue (a ReadWrite permission) gives the text
    (https://learn.microsoft.com/graph/api/intune-deviceconfig-deviceconfiguration-getomasettingplaintextvalue).
    So a String setting never holds its plain value here; Boolean and Integer values come back plain.
    """
    masked = kind == "String"
    if masked and secret_id is None:
        raise ValueError(f"String OMA setting {name} needs the secretReferenceValueId Graph returns with it")
    return {
        "@odata.type": f"#microsoft.graph.omaSetting{kind}",
        "displayName": name,
        "description": description,
        "omaUri": oma_uri,
        "secretReferenceValueId": secret_id if masked else None,
        "isEncrypted": masked,
        "value": "****" if masked else value,
    }


def custom_configuration(
    *,
    config_id: str,
    name: str,
    created: datetime,
    modified: datetime,
    settings: Sequence[Json],
    targets: Sequence[Json],
    description: str = "",
) -> Json:
    """windows10CustomConfiguration: a custom OMA-URI profile."""
    item = _device_configuration_base(
        "windows10CustomConfiguration",
        config_id=config_id,
        name=name,
        description=description,
        created=created,
        modified=modified,
        version=1,
    )
    item["omaSettings"] = list(settings)
    item["assignments"] = [device_configuration_assignment(config_id, t) for t in targets]
    return item


def endpoint_protection_configuration(
    *, config_id: str, name: str, created: datetime, modified: datetime, targets: Sequence[Json]
) -> Json:
    """windows10EndpointProtectionConfiguration (BitLocker): trimmed to its BitLocker properties."""
    item = _device_configuration_base(
        "windows10EndpointProtectionConfiguration",
        config_id=config_id,
        name=name,
        description="BitLocker for OS and fixed drives, recovery keys escrowed to Entra ID",
        created=created,
        modified=modified,
        version=3,
    )
    item |= {
        "bitLockerAllowStandardUserEncryption": True,
        "bitLockerDisableWarningForOtherDiskEncryption": True,
        "bitLockerEnableStorageCardEncryptionOnMobile": False,
        "bitLockerEncryptDevice": True,
        "bitLockerRecoveryPasswordRotation": "enabledForAzureAd",
        "bitLockerSystemDrive": {
            "startupAuthenticationRequired": True,
            "startupAuthenticationBlockWithoutTpmChip": True,
            "startupAuthenticationTpmUsage": "allowed",
            "startupAuthenticationTpmPinUsage": "blocked",
            "startupAuthenticationTpmKeyUsage": "blocked",
            "startupAuthenticationTpmPinAndKeyUsage": "blocked",
            "minimumPinLength": None,
            "recoveryOptions": {
                "blockDataRecoveryAgent": True,
                "recoveryPasswordUsage": "required",
                "recoveryKeyUsage": "allowed",
                "hideRecoveryOptions": True,
                "enableRecoveryInformationSaveToStore": True,
                "recoveryInformationToStore": "passwordAndKey",
                "enableBitLockerAfterRecoveryInformationToStore": True,
            },
            "prebootRecoveryEnableMessageAndUrl": False,
            "prebootRecoveryMessage": None,
            "prebootRecoveryUrl": None,
            "encryptionMethod": "xtsAes256",
        },
    }
    item["assignments"] = [device_configuration_assignment(config_id, t) for t in targets]
    return item


def wifi_configuration(
    *, config_id: str, name: str, ssid: str, created: datetime, modified: datetime, targets: Sequence[Json]
) -> Json:
    """windowsWifiConfiguration: the office Wi-Fi."""
    item = _device_configuration_base(
        "windowsWifiConfiguration",
        config_id=config_id,
        name=name,
        description="",
        created=created,
        modified=modified,
        version=1,
    )
    item |= {
        "meteredConnectionLimit": "unrestricted",
        "ssid": ssid,
        "networkName": ssid,
        "connectAutomatically": True,
        "connectToPreferredNetwork": True,
        "connectWhenNetworkNameIsHidden": False,
        "wifiSecurityType": "wpa2Personal",
        "preSharedKey": None,
        "proxySetting": "none",
        "proxyManualAddress": None,
        "proxyManualPort": None,
        "proxyAutomaticConfigurationUrl": None,
        "forceFIPSCompliance": False,
    }
    item["assignments"] = [device_configuration_assignment(config_id, t) for t in targets]
    return item


def update_ring_configuration(
    *, config_id: str, name: str, created: datetime, modified: datetime, targets: Sequence[Json]
) -> Json:
    """windowsUpdateForBusinessConfiguration: an update ring (trimmed)."""
    item = _device_configuration_base(
        "windowsUpdateForBusinessConfiguration",
        config_id=config_id,
        name=name,
        description="",
        created=created,
        modified=modified,
        version=4,
    )
    item |= {
        "deliveryOptimizationMode": "httpWithPeeringNat",
        "prereleaseFeatures": "notAllowed",
        "automaticUpdateMode": "autoInstallAtMaintenanceTime",
        "microsoftUpdateServiceAllowed": True,
        "driversExcluded": False,
        "qualityUpdatesDeferralPeriodInDays": 3,
        "featureUpdatesDeferralPeriodInDays": 0,
        "qualityUpdatesPaused": False,
        "featureUpdatesPaused": False,
        "businessReadyUpdatesOnly": "userDefined",
        "skipChecksBeforeRestart": False,
        "deadlineForFeatureUpdatesInDays": 7,
        "deadlineForQualityUpdatesInDays": 3,
        "deadlineGracePeriodInDays": 2,
        "postponeRebootUntilAfterDeadline": False,
        "userPauseAccess": "enabled",
        "userWindowsUpdateScanAccess": "enabled",
        "updateNotificationLevel": "defaultNotifications",
    }
    item["assignments"] = [device_configuration_assignment(config_id, t) for t in targets]
    return item


# Settings catalog instances (deviceManagementConfigurationSetting).


def choice_instance(
    definition_id: str, value: str, *, children: Sequence[Json] = (), template: tuple[str, str] | None = None
) -> Json:
    """deviceManagementConfigurationChoiceSettingInstance; `template` = (instance, value) template IDs."""
    return {
        "@odata.type": "#microsoft.graph.deviceManagementConfigurationChoiceSettingInstance",
        "settingDefinitionId": definition_id,
        "settingInstanceTemplateReference": (
            {"settingInstanceTemplateId": template[0]} if template else None
        ),
        "choiceSettingValue": {
            "settingValueTemplateReference": (
                {"settingValueTemplateId": template[1], "useTemplateDefault": False} if template else None
            ),
            "value": value,
            "children": list(children),
        },
    }


def integer_instance(definition_id: str, value: int) -> Json:
    return {
        "@odata.type": "#microsoft.graph.deviceManagementConfigurationSimpleSettingInstance",
        "settingDefinitionId": definition_id,
        "settingInstanceTemplateReference": None,
        "simpleSettingValue": {
            "@odata.type": "#microsoft.graph.deviceManagementConfigurationIntegerSettingValue",
            "settingValueTemplateReference": None,
            "value": value,
        },
    }


def group_collection_instance(
    definition_id: str, children: Sequence[Json], template: str | None = None
) -> Json:
    return {
        "@odata.type": "#microsoft.graph.deviceManagementConfigurationGroupSettingCollectionInstance",
        "settingDefinitionId": definition_id,
        "settingInstanceTemplateReference": {"settingInstanceTemplateId": template} if template else None,
        "groupSettingCollectionValue": [{"settingValueTemplateReference": None, "children": list(children)}],
    }


def passport_choice(policy: str, enabled: bool, *, template: tuple[str, str] | None = None) -> Json:
    """A PassportForWork (Windows Hello for Business) choice: `policy` like 'enablepinrecovery'."""
    definition = f"{PASSPORT}_policies_{policy}"
    return choice_instance(definition, f"{definition}_{'true' if enabled else 'false'}", template=template)


def configuration_policy(
    *,
    policy_id: str,
    name: str,
    created: datetime,
    modified: datetime,
    settings: Sequence[Json],
    targets: Sequence[Json],
    description: str = "",
    template: Json | None = None,
) -> Json:
    """deviceManagementConfigurationPolicy (beta) with settings and assignments inline."""
    return {
        "id": policy_id,
        "name": name,
        "description": description,
        "platforms": "windows10",
        "technologies": "mdm",
        "createdDateTime": iso7(created),
        "lastModifiedDateTime": iso7(modified),
        "settingCount": len(settings),
        "creationSource": None,
        "roleScopeTagIds": ["0"],
        "isAssigned": bool(targets),
        "templateReference": template
        or {
            "templateId": "",
            "templateFamily": "none",
            "templateDisplayName": None,
            "templateDisplayVersion": None,
        },
        "priorityMetaData": None,
        "settings": [
            {"id": str(index), "settingInstance": instance} for index, instance in enumerate(settings)
        ],
        "assignments": [configuration_policy_assignment(policy_id, t) for t in targets],
    }


def managed_device_object(device: Device, tenant_domain: str) -> Json:
    """managedDevice (beta), in the key order of the reference page."""
    owner = device.owner
    windows = device.platform == "Windows"
    storage = 255_060_000_000 if windows else 128_000_000_000
    enrolled_local = device.enrolled
    managed_name = (
        f"{owner.upn.split('@')[0]}_{device.platform}_{enrolled_local.month}/{enrolled_local.day}/"
        f"{enrolled_local.year}_{enrolled_local.strftime('%I:%M %p').lstrip('0')}"
    )
    return {
        "id": device.intune_id,
        "userId": owner.id,
        "deviceName": device.name,
        "ownerType": "company",
        "managedDeviceOwnerType": "company",
        "managementState": "managed",
        "enrolledDateTime": iso(device.enrolled),
        "lastSyncDateTime": iso(device.last_sync),
        "chassisType": device.chassis,
        "operatingSystem": device.platform,
        "deviceType": {"Windows": "windowsRT", "iOS": "iPhone", "Android": "androidEnterprise"}[
            device.platform
        ],
        "complianceState": device.compliance,
        "jailBroken": "Unknown" if windows else "False",
        "managementAgent": device.management_agent,
        "osVersion": device.os_version,
        "easActivated": not windows,
        "easDeviceId": device.eas_id,
        "easActivationDateTime": "0001-01-01T00:00:00Z",
        "aadRegistered": True,
        "azureADRegistered": True,
        "deviceEnrollmentType": device.enrollment_type,
        "lostModeState": "disabled",
        "activationLockBypassCode": None,
        "emailAddress": owner.mail or owner.upn,
        "azureActiveDirectoryDeviceId": device.aad_id,
        "azureADDeviceId": device.aad_id,
        "deviceRegistrationState": "registered",
        "deviceCategoryDisplayName": "Unknown Category",
        "isSupervised": device.platform == "iOS",
        "exchangeLastSuccessfulSyncDateTime": "0001-01-01T00:00:00Z",
        "exchangeAccessState": "none",
        "exchangeAccessStateReason": "none",
        "remoteAssistanceSessionUrl": None,
        "remoteAssistanceSessionErrorDetails": None,
        "isEncrypted": True,
        "userPrincipalName": owner.upn,
        "model": device.model,
        "manufacturer": device.manufacturer,
        "imei": "" if windows else device.imei,
        "complianceGracePeriodExpirationDateTime": "9999-12-31T23:59:59Z",
        "serialNumber": device.serial,
        "phoneNumber": "",
        "androidSecurityPatchLevel": "2024-10-01" if device.platform == "Android" else "",
        "userDisplayName": owner.display_name,
        "configurationManagerClientEnabledFeatures": None,
        "wiFiMacAddress": device.mac,
        "deviceHealthAttestationState": None,
        "subscriberCarrier": "",
        "meid": "",
        "totalStorageSpaceInBytes": storage,
        "freeStorageSpaceInBytes": storage // 3,
        "managedDeviceName": managed_name,
        "partnerReportedThreatState": "unknown",
        "retireAfterDateTime": "0001-01-01T00:00:00Z",
        "usersLoggedOn": [{"userId": owner.id, "lastLogOnDateTime": iso(device.last_sync)}]
        if windows
        else [],
        "preferMdmOverGroupPolicyAppliedDateTime": "0001-01-01T00:00:00Z",
        "autopilotEnrolled": windows and device.join_type == "azureADJoined",
        "requireUserEnrollmentApproval": None,
        "managementCertificateExpirationDate": iso(device.enrolled + timedelta(days=365)),
        "iccid": None,
        "udid": None,
        "roleScopeTagIds": [],
        "windowsActiveMalwareCount": 0,
        "windowsRemediatedMalwareCount": 0,
        "notes": None,
        "configurationManagerClientHealthState": None,
        "configurationManagerClientInformation": None,
        "ethernetMacAddress": None,
        "physicalMemoryInBytes": 0,
        "processorArchitecture": "x64" if windows else "unknown",
        "specificationVersion": None,
        "joinType": device.join_type,
        "skuFamily": device.sku_family,
        "skuNumber": SKU_NUMBERS.get(device.sku_family, 0),
        "managementFeatures": "none",
        "chromeOSDeviceInfo": [],
        "enrollmentProfileName": None,
        "bootstrapTokenEscrowed": False,
        "deviceFirmwareConfigurationInterfaceManaged": False,
        "hardwareInformation": {
            "serialNumber": device.serial,
            "totalStorageSpace": storage,
            "freeStorageSpace": storage // 3,
            "imei": None,
            "meid": None,
            "manufacturer": device.manufacturer,
            "model": device.model,
            "phoneNumber": None,
            "subscriberCarrier": None,
            "cellularTechnology": None,
            "wifiMac": device.mac,
            "operatingSystemLanguage": None,
            "isSupervised": False,
            "isEncrypted": True,
            "batterySerialNumber": None,
            "batteryHealthPercentage": 0,
            "batteryChargeCycles": 0,
            "isSharedDevice": False,
            "sharedDeviceCachedUsers": [],
            "tpmSpecificationVersion": "2.0, 0, 1.59" if windows else None,
            "operatingSystemEdition": None,
            "deviceFullQualifiedDomainName": (
                f"{device.name}.corp.{tenant_domain}" if device.join_type == "hybridAzureADJoined" else None
            ),
            "deviceGuardVirtualizationBasedSecurityHardwareRequirementState": "meetHardwareRequirements",
            "deviceGuardVirtualizationBasedSecurityState": "running" if windows else "notLicensed",
            "deviceGuardLocalSystemAuthorityCredentialGuardState": "running" if windows else "notLicensed",
            "osBuildNumber": None,
            "operatingSystemProductType": SKU_NUMBERS.get(device.sku_family, 0),
            "ipAddressV4": None,
            "subnetAddress": None,
            "esimIdentifier": None,
            "systemManagementBIOSVersion": None,
            "tpmManufacturer": None,
            "tpmVersion": None,
            "wiredIPv4Addresses": [],
            "batteryLevelPercentage": None,
            "residentUsersCount": None,
            "productName": None,
            "deviceLicensingStatus": "unknown",
            "deviceLicensingLastErrorCode": 0,
            "deviceLicensingLastErrorDescription": None,
        },
        "deviceActionResults": [],
    }


def windows_label(build: str, sku: str) -> str:
    number = int(build.split(".")[2])
    names = {
        14393: "Windows 10 1607",
        15063: "Windows 10 1703",
        16299: "Windows 10 1709",
        17134: "Windows 10 1803",
        17763: "Windows 10 1809",
        18362: "Windows 10 1903",
        18363: "Windows 10 1909",
        19045: "Windows 10 22H2",
        22631: "Windows 11 23H2",
        26100: "Windows 11 24H2",
    }
    edition = {"Core": "Home"}.get(sku, sku)
    return f"{names.get(number, f'Windows build {number}')} {edition}"


def user_object(person: Person) -> Json:
    """user (v1.0): the default properties of GET /users, then the few the monitor $selects."""
    return {
        "businessPhones": [],
        "displayName": person.display_name,
        "givenName": person.given,
        "jobTitle": person.job_title,
        "mail": person.mail,
        "mobilePhone": None,
        "officeLocation": person.place.city if person.signs_in else None,
        "preferredLanguage": person.language if person.signs_in else None,
        "surname": person.surname,
        "userPrincipalName": person.upn,
        "id": person.id,
        "accountEnabled": True,
        "usageLocation": person.place.country,
        "userType": "Member",
        "createdDateTime": iso(person.created),
        "department": person.department,
    }


# --- Privileged Identity Management and role-assignable groups -------------------------------------------
# https://learn.microsoft.com/graph/api/resources/privilegedidentitymanagementv3-overview


def role_eligibility_instance(
    role_definition_id: str,
    principal_id: str,
    *,
    schedule_id: str,
    start: datetime,
    end: datetime | None,
    member_type: str = "Direct",
) -> Json:
    """unifiedRoleEligibilityScheduleInstance (v1.0): a principal may activate the role, as the List
    roleEligibilityScheduleInstances example shows it (its id is the assignment id with '-e')."""
    return {
        "id": role_assignment_id(role_definition_id, principal_id) + "-e",
        "principalId": principal_id,
        "roleDefinitionId": role_definition_id,
        "directoryScopeId": "/",
        "appScopeId": None,
        "startDateTime": iso(start),
        "endDateTime": iso(end) if end else None,
        "memberType": member_type,
        "roleEligibilityScheduleId": schedule_id,
    }


def role_assignment_instance(
    role_definition_id: str,
    principal_id: str,
    *,
    assignment_type: str = "Assigned",
    instance_id: str | None = None,
    schedule_id: str | None = None,
    start: datetime | None = None,
    end: datetime | None = None,
    member_type: str = "Direct",
) -> Json:
    """unifiedRoleAssignmentScheduleInstance (v1.0): an active assignment, permanent ('Assigned', with
    the role assignment's own id, as the List roleAssignmentScheduleInstances example shows) or made by
    activating an eligibility ('Activated', time-bound)."""
    origin = role_assignment_id(role_definition_id, principal_id)
    return {
        "id": instance_id or origin,
        "principalId": principal_id,
        "roleDefinitionId": role_definition_id,
        "directoryScopeId": "/",
        "appScopeId": None,
        "startDateTime": iso(start) if start else None,
        "endDateTime": iso(end) if end else None,
        "assignmentType": assignment_type,
        "memberType": member_type,
        "roleAssignmentOriginId": origin,
        "roleAssignmentScheduleId": schedule_id or origin,
    }


def security_group_object(
    *, group_id: str, name: str, description: str, created: datetime, role_assignable: bool = False
) -> Json:
    """group (v1.0): a cloud security group, in the key order of the reference page. A role-assignable
    group is a security group, not mail-enabled, whose membership is assigned (never dynamic).

    https://learn.microsoft.com/entra/identity/role-based-access-control/groups-concept
    """
    return {
        "id": group_id,
        "deletedDateTime": None,
        "classification": None,
        "createdDateTime": iso(created),
        "creationOptions": [],
        "description": description,
        "displayName": name,
        "expirationDateTime": None,
        "groupTypes": [],
        "isAssignableToRole": True if role_assignable else None,
        "mail": None,
        "mailEnabled": False,
        "mailNickname": name.lower().replace(" ", "-"),
        "membershipRule": None,
        "membershipRuleProcessingState": None,
        "onPremisesDomainName": None,
        "onPremisesLastSyncDateTime": None,
        "onPremisesNetBiosName": None,
        "onPremisesSamAccountName": None,
        "onPremisesSecurityIdentifier": None,
        "onPremisesSyncEnabled": None,
        "preferredDataLocation": None,
        "preferredLanguage": None,
        "proxyAddresses": [],
        "renewedDateTime": iso(created),
        "resourceBehaviorOptions": [],
        "resourceProvisioningOptions": [],
        "securityEnabled": True,
        "securityIdentifier": cloud_sid(group_id),
        "theme": None,
        "visibility": "Private" if role_assignable else None,
        "onPremisesProvisioningErrors": [],
        "serviceProvisioningErrors": [],
    }


def cloud_sid(object_id: str) -> str:
    """The SID Entra gives a cloud-only object: S-1-12-1 and its GUID's bytes as four 32-bit numbers."""
    parts = struct.unpack("<4I", uuid.UUID(object_id).bytes_le)
    return "S-1-12-1-" + "-".join(str(part) for part in parts)


def member_reference(person: Person) -> Json:
    """A user as GET /groups/{id}/transitiveMembers lists it (directoryObject cast to user)."""
    return {
        "@odata.type": "#microsoft.graph.user",
        "id": person.id,
        "businessPhones": [],
        "displayName": person.display_name,
        "givenName": person.given,
        "jobTitle": person.job_title,
        "mail": person.mail,
        "mobilePhone": None,
        "officeLocation": person.place.city,
        "preferredLanguage": person.language,
        "surname": person.surname,
        "userPrincipalName": person.upn,
    }


# --- Legacy Endpoint security policies (beta deviceManagement/intents) -------------------------------
# https://learn.microsoft.com/graph/api/resources/intune-deviceintent-devicemanagementintent

ACCOUNT_PROTECTION_TEMPLATE: Final = "0f2b5d70-d4e9-4156-8c16-1397eb6c54a5"
IDENTITY_PROTECTION_SETTING: Final = "deviceConfiguration--windowsIdentityProtectionConfiguration_"


def intent_object(
    *, intent_id: str, name: str, description: str, modified: datetime, template_id: str, assigned: bool
) -> Json:
    """deviceManagementIntent (beta): an Endpoint security policy made from a template before the
    settings catalog (configurationPolicies) took over."""
    return {
        "@odata.type": "#microsoft.graph.deviceManagementIntent",
        "id": intent_id,
        "displayName": name,
        "description": description,
        "isAssigned": assigned,
        "isMigratingToConfigurationPolicy": False,
        "lastModifiedDateTime": iso7(modified),
        "templateId": template_id,
        "roleScopeTagIds": ["0"],
    }


def intent_setting(setting_id: str, name: str, kind: str, value: bool | int | str | None) -> Json:
    """deviceManagement<kind>SettingInstance (beta) of an intent (kind: Boolean, Integer or String);
    valueJson is the value as JSON text, 'null' when the setting is not configured."""
    return {
        "@odata.type": f"#microsoft.graph.deviceManagement{kind}SettingInstance",
        "id": setting_id,
        "definitionId": IDENTITY_PROTECTION_SETTING + name,
        "valueJson": json.dumps(value),
        "value": value,
    }


def intent_assignment(intent_id: str, target: Json) -> Json:
    """deviceManagementIntentAssignment (beta)."""
    return {
        "@odata.type": "#microsoft.graph.deviceManagementIntentAssignment",
        "id": f"{intent_id}_{_target_group_id(target)}",
        "target": target,
    }
