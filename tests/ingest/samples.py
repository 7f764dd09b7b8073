"""Inputs in the shapes Microsoft documents them, for the ingestion tests.

- dsregcmd /status: the section layout of "Troubleshoot devices by using the dsregcmd command" (Device
  State, Device Details, Tenant Details, User State, SSO State), with the User State lines Microsoft's
  PIN reset page shows (CanReset : DestructiveOnly / DestructiveAndNonDestructive).
- Resource-log records: the envelope and `properties` of "Interpret the Microsoft Entra sign-in logs
  schema in Azure Monitor" and "... audit logs schema ...", with the PIN reset apps' IDs.
- Alerts: the sample payload of "Common alert schema", as a log search alert.
"""

from __future__ import annotations

import copy
from typing import Any

from monitor.entra import PIN_RESET_CLIENT_APP_ID, PIN_RESET_SERVICE_APP_ID
from tests.support import TENANT_ID

INTUNE_DEVICE_ID = "0d5e0000-0000-4000-8000-000000000001"
ENTRA_DEVICE_ID = "ad000000-0000-4000-8000-000000000001"
RULE_LINE = "+----------------------------------------------------------------------+"


def _section(title: str, *lines: str) -> str:
    return "\n".join([RULE_LINE, f"| {title:<69}|", RULE_LINE, "", *lines, ""])


def dsregcmd_status(can_reset: str = "DestructiveOnly", *, tenant_id: str = TENANT_ID) -> str:
    """The whole output of dsregcmd /status on an Entra joined device, signed in as its user."""
    return "\n".join(
        [
            _section(
                "Device State",
                "             AzureAdJoined : YES",
                "          EnterpriseJoined : NO",
                "              DomainJoined : NO",
                "               Device Name : CONTOSO-PC001",
            ),
            _section(
                "Device Details",
                f"                  DeviceId : {ENTRA_DEVICE_ID}",
                "                Thumbprint : 9A3B5F0C1D2E3F405162738495A6B7C8D9E0F1A2",
                " DeviceCertificateValidity : [ 2026-01-01 10:00:00.000 UTC -- 2036-01-01 10:30:00.000 UTC ]",
                "            KeyContainerId : 1b2c3d4e-0000-4000-8000-000000000001",
                "               KeyProvider : Microsoft Platform Crypto Provider",
                "              TpmProtected : YES",
                "          DeviceAuthStatus : SUCCESS",
            ),
            _section(
                "Tenant Details",
                "                TenantName : Contoso",
                f"                  TenantId : {tenant_id}",
                "                       Idp : login.windows.net",
                "               AuthCodeUrl : https://login.microsoftonline.com/"
                + tenant_id
                + "/oauth2/authorize",
            ),
            _section(
                "User State",
                "                    NgcSet : YES",
                "                  NgcKeyId : {FA0DB076-A5D7-4844-82D8-50A2FB42EC7B}",
                f"                  CanReset : {can_reset}",
                "           WorkplaceJoined : NO",
                "             WamDefaultSet : YES",
                "       WamDefaultAuthority : organizations",
                "              WamDefaultId : https://login.microsoft.com",
                "            WamDefaultGUID : {B16898C6-A4C8-4DAC-8B6C-7A5B54EA9C57} (AzureAd)",
            ),
            _section(
                "SSO State",
                "                AzureAdPrt : YES",
                "      AzureAdPrtUpdateTime : 2026-11-20 08:15:26.000 UTC",
                "      AzureAdPrtExpiryTime : 2026-12-04 08:15:26.000 UTC",
                "       AzureAdPrtAuthority : https://login.microsoftonline.com/" + tenant_id,
                "             EnterprisePrt : NO",
                "    EnterprisePrtAuthority :",
            ),
            "For more information, please visit https://www.microsoft.com/aadjerrors",
        ]
    )


def device_report_body(can_reset: str = "DestructiveOnly", **changes: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "intuneDeviceId": INTUNE_DEVICE_ID,
        "collectedDateTime": "2026-11-20T10:00:00Z",
        "userPrincipalName": "user1@contoso.com",
        "dsregcmd": dsregcmd_status(can_reset),
    }
    body.update(changes)
    return {k: v for k, v in body.items() if v is not None}


def signin_record(
    signin_id: str = "0231f922-93fa-4005-bb11-b344eca03c01",
    *,
    created: str = "2026-11-20T11:02:15.5522137+00:00",
    error_code: int = 65001,
    category: str = "SignInLogs",
    app_id: str = PIN_RESET_CLIENT_APP_ID,
    methods: tuple[str, ...] = ("Password",),
    risk: str = "none",
) -> dict[str, Any]:
    """A sign-in as a diagnostic setting streams it (Microsoft's sample, with PIN reset app IDs)."""
    return {
        "time": created.replace("+00:00", "Z"),
        "resourceId": f"/tenants/{TENANT_ID}/providers/Microsoft.aadiam",
        "operationName": "Sign-in activity",
        "operationVersion": "1.0",
        "category": category,
        "tenantId": TENANT_ID,
        "resultType": str(error_code),
        "resultSignature": "None",
        "resultDescription": "The user or administrator has not consented to use the application.",
        "durationMs": 0,
        "callerIpAddress": "203.0.113.7",
        "correlationId": "a75a10bd-c126-486b-9742-c03110d36262",
        "identity": "Adele Vance",
        "Level": 4,
        "location": "DE",
        "properties": {
            "id": signin_id,
            "createdDateTime": created,
            "userDisplayName": "Adele Vance",
            "userPrincipalName": "adelev@contoso.com",
            "userId": "00000042-0000-4000-8000-000000000000",
            "appId": app_id,
            "appDisplayName": "Microsoft Pin Reset Client Production",
            "ipAddress": "203.0.113.7",
            "status": {
                "errorCode": error_code,
                "failureReason": "The user or administrator has not consented to use the application.",
            },
            "clientAppUsed": "Browser",
            "deviceDetail": {
                "deviceId": ENTRA_DEVICE_ID,
                "displayName": "CONTOSO-PC001",
                "operatingSystem": "Windows10",
                "browser": "Edge 131.0.0",
            },
            "location": {"city": "Berlin", "state": "Berlin", "countryOrRegion": "DE"},
            "correlationId": "a75a10bd-c126-486b-9742-c03110d36262",
            "conditionalAccessStatus": "notApplied",
            "isInteractive": category == "SignInLogs",
            "riskDetail": "none",
            "riskLevelAggregated": risk,
            "riskLevelDuringSignIn": risk,
            "riskState": "atRisk" if risk in ("medium", "high") else "none",
            "resourceDisplayName": "Microsoft Pin Reset Service Production",
            "resourceId": PIN_RESET_SERVICE_APP_ID,
            "authenticationDetails": [
                {"authenticationMethod": m, "succeeded": error_code == 0} for m in methods
            ],
        },
    }


def tap_issuance_record(audit_id: str = "Directory_5e7a1b2c-0000-4000-8000-000000000001") -> dict[str, Any]:
    """A TAP issuance in the AuditLogs category (`result` is a plain string in the stream)."""
    return {
        "time": "2026-11-20T09:00:00.1234567Z",
        "resourceId": f"/tenants/{TENANT_ID}/providers/Microsoft.aadiam",
        "operationName": "Admin registered security info",
        "operationVersion": "1.0",
        "category": "AuditLogs",
        "tenantId": TENANT_ID,
        "resultSignature": "None",
        "durationMs": 0,
        "callerIpAddress": "<null>",
        "correlationId": "c0ffee00-0000-4000-8000-000000000001",
        "Level": 4,
        "properties": {
            "id": audit_id,
            "category": "UserManagement",
            "correlationId": "c0ffee00-0000-4000-8000-000000000001",
            "result": "success",
            "resultReason": "Admin registered temporary access pass method for user",
            "activityDisplayName": "Admin registered security info",
            "activityDateTime": "2026-11-20T09:00:00.1234567+00:00",
            "loggedByService": "Authentication Methods",
            "operationType": "Add",
            "initiatedBy": {
                "user": {
                    "id": "he1pde5k-0000-4000-8000-000000000009",
                    "userPrincipalName": "helpdesk@contoso.com",
                }
            },
            "targetResources": [
                {
                    "id": "00000042-0000-4000-8000-000000000000",
                    "type": "User",
                    "userPrincipalName": "adelev@contoso.com",
                }
            ],
            "additionalDetails": [],
        },
    }


ALERT: dict[str, Any] = {
    "schemaId": "azureMonitorCommonAlertSchema",
    "data": {
        "essentials": {
            "alertId": "/subscriptions/00000000-0000-4000-8000-000000000000/providers/"
            "Microsoft.AlertsManagement/alerts/b9569717-bc32-442f-add5-83a997729330",
            "alertRule": "PIN reset sign-ins failing",
            "severity": "Sev2",
            "signalType": "Log",
            "monitorCondition": "Fired",
            "monitoringService": "Log Alerts V2",
            "alertTargetIDs": [
                "/subscriptions/00000000-0000-4000-8000-000000000000/resourcegroups/monitor/providers/"
                "microsoft.operationalinsights/workspaces/entra-logs"
            ],
            "configurationItems": ["entra-logs"],
            "originAlertId": "0a1b2c3d-0000-4000-8000-000000000001",
            "firedDateTime": "2026-11-20T11:58:24.3713213Z",
            "description": "Failed PIN reset sign-ins in SigninLogs",
            "essentialsVersion": "1.0",
            "alertContextVersion": "1.0",
        },
        "alertContext": {
            "properties": None,
            "conditionType": "LogQueryCriteria",
            "condition": {
                "windowSize": "PT15M",
                "allOf": [
                    {
                        "searchQuery": "SigninLogs | where AppId == '9115dd05-fad5-4f9c-acc7-305d08b1b04e' "
                        "and ResultType != 0",
                        "metricValue": 12,
                        "operator": "GreaterThan",
                        "threshold": "0",
                        "timeAggregation": "Count",
                    }
                ],
            },
        },
        "customProperties": None,
    },
}


def alert(condition: str = "Fired", tenant_id: str | None = None) -> dict[str, Any]:
    document = copy.deepcopy(ALERT)
    document["data"]["essentials"]["monitorCondition"] = condition
    if tenant_id is not None:
        # A log search alert: the rule's custom properties arrive in alertContext.properties.
        document["data"]["alertContext"]["properties"] = {"tenantId": tenant_id}
    return document
