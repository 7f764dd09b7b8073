"""Well-known identifiers, snapshot paths and the fixed clock of the generated tenants."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Final

from monitor.rules import load_catalog

NOW: Final = datetime(2026, 11, 20, 12, 0, tzinfo=UTC)
WINDOW_DAYS: Final = 30  # P1/P2 sign-in and audit retention
FREE_AUDIT_DAYS: Final = 7  # retention without a premium licence

PIN_RESET_SERVICE: Final = "b8456c59-1230-44c7-a4a2-99b085333e84"
PIN_RESET_CLIENT: Final = "9115dd05-fad5-4f9c-acc7-305d08b1b04e"
PIN_RESET_SERVICE_NAME: Final = "Microsoft Pin Reset Service Production"
PIN_RESET_CLIENT_NAME: Final = "Microsoft Pin Reset Client Production"
MICROSOFT_TENANT: Final = "f8cdef31-a31e-4b4a-93e4-5f571e91255a"  # appOwnerOrganizationId of Microsoft apps

AAD_GRAPH: Final = "00000002-0000-0000-c000-000000000000"  # Windows Azure Active Directory
MS_GRAPH: Final = "00000003-0000-0000-c000-000000000000"
MY_SIGNINS: Final = "19db86c3-b2b9-44cc-b339-36da233a3be2"
AZURE_PORTAL: Final = "c44b4083-3bb0-49c1-b47d-974e53cbdf3c"
AZURE_MGMT_API: Final = "797f4846-ba00-4fd7-ba43-dac1f8f63013"

GLOBAL_ADMIN: Final = "62e90394-69f5-4237-9190-012177145e10"
PRIVILEGED_ROLE_ADMIN: Final = "e8611ab8-c189-46e8-94e1-60213ab1f814"
PRIVILEGED_AUTH_ADMIN: Final = "7be44c8a-adaf-4e2a-84d6-ab2649e08a13"
AUTH_ADMIN: Final = "c4e39bd9-1100-46d3-8c65-fb160da0071f"
SECURITY_ADMIN: Final = "194ae4cb-b126-40b2-bd5b-6091b380977d"
CLOUD_APP_ADMIN: Final = "158c047a-c907-4556-b7ef-446551a6b5f7"
INTUNE_ADMIN: Final = "3a2c62db-5318-420d-8d74-23affee5d9d5"
EXCHANGE_ADMIN: Final = "29232cdf-9323-42fd-ade2-1d097af3e4de"
USER_ADMIN: Final = "fe930be7-5e62-47db-91af-98c3a49a38b1"

# Intune's virtual groups: the targets behind allLicensedUsersAssignmentTarget and allDevicesAssignmentTarget.
ALL_USERS_GROUP: Final = "acacacac-9df4-4c7d-9d50-4ef0226f57a9"
ALL_DEVICES_GROUP: Final = "adadadad-808e-44e2-905a-0b7873a8a531"

PASSPORT: Final = "device_vendor_msft_passportforwork_{tenantid}"
ENABLE_PIN_RECOVERY: Final = f"{PASSPORT}_policies_enablepinrecovery"
WEB_SIGNIN_URLS_URI: Final = "./Vendor/MSFT/Policy/Config/Authentication/ConfigureWebSignInAllowedUrls"

# The rule ids come from the monitor's catalog, so a new rule is expected to pass on every bundled tenant
# until a scenario says otherwise.
RULES: Final = tuple(entry.rule.id for entry in load_catalog())

TAP_POLICY_ID: Final = "TemporaryAccessPass"
SIGNINS_PATH: Final = "beta/auditLogs/signIns.json"
AUDITS_PATH: Final = "v1.0/auditLogs/directoryAudits.json"
TAP_POLICY_PATH: Final = (
    "v1.0/policies/authenticationMethodsPolicy/authenticationMethodConfigurations/TemporaryAccessPass.json"
)
