"""What the monitor reads about a tenant, once each: the facts rules reason over, where each comes from,
and the Graph permission and licence it needs.

Each entry names a field of `monitor.records.TenantFacts`. Rules declare the facts they read
(`Rule.reads`); the registry refuses a name that is not here, docs/rules.md shows each rule's
permissions and licence from here, and `python -m monitor permissions` builds the least-privilege
manifest from here. This entry is what a new fact adds for those three; reading it still takes its
`TenantFacts` field, a collector, the lines of `monitor.pipeline` that put it into a pass's facts and
its healthy value in `monitor.rules.cases._builders` (the README's "Add a rule" lists them).

Permissions are Microsoft Graph application permissions, as "Permissions" on each API's reference page
(https://learn.microsoft.com/graph/permissions-reference) names them.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Final

ENTRA_P1: Final = "Microsoft Entra ID P1 or P2"
ENTRA_P2: Final = "Microsoft Entra ID P2"
INTUNE: Final = "Microsoft Intune"

# Sign-in logs: "List signIns" (https://learn.microsoft.com/graph/api/signin-list) takes AuditLog.Read.All,
# and the directory lookups behind it Directory.Read.All.
SIGNIN_PERMISSIONS: Final = ("AuditLog.Read.All", "Directory.Read.All")


@dataclass(frozen=True)
class Fact:
    """One piece of tenant data a pass reads."""

    name: str  # the TenantFacts field
    description: str
    sources: tuple[str, ...]  # Graph paths (version/path)
    permissions: tuple[str, ...]  # all of them are needed
    licence: str = ""  # "" when any tenant has it
    # What uses the fact besides rules (views, reports), for the permissions manifest.
    features: tuple[str, ...] = ()
    # Part of the fact that needs more than `licence` (the rule says so when it is missing).
    partial: str = ""


FACTS: Final[dict[str, Fact]] = {
    fact.name: fact
    for fact in (
        Fact(
            "domains",
            "the tenant's domains and whether each is federated",
            ("v1.0/domains",),
            ("Domain.Read.All",),
        ),
        Fact(
            "consent",
            "the service principals of the two PIN reset apps",
            ("v1.0/servicePrincipals",),
            ("Application.Read.All",),
        ),
        Fact(
            "pin_reset_hours",
            "sign-ins of the PIN reset apps, counted per hour, app and error code",
            ("beta/auditLogs/signIns",),
            SIGNIN_PERMISSIONS,
            ENTRA_P1,
            features=("weekly report: PIN reset attempts and failures",),
        ),
        Fact(
            "windows_devices",
            "Windows devices enrolled in Intune, with edition, build and join type",
            ("beta/deviceManagement/managedDevices",),
            ("DeviceManagementManagedDevices.Read.All",),
            INTUNE,
            features=("weekly report: device readiness",),
        ),
        Fact(
            "device_policies",
            "Intune device configurations and configuration policies, with settings and assignments",
            ("beta/deviceManagement/deviceConfigurations", "beta/deviceManagement/configurationPolicies"),
            ("DeviceManagementConfiguration.Read.All",),
            INTUNE,
            features=("weekly report: PIN recovery policy state",),
        ),
        Fact(
            "tap_policy",
            "the Temporary Access Pass authentication method configuration",
            (
                "v1.0/policies/authenticationMethodsPolicy/authenticationMethodConfigurations/TemporaryAccessPass",
            ),
            ("Policy.Read.AuthenticationMethod",),
        ),
        Fact(
            "tap_issuances",
            "Temporary Access Passes admins issued (directory audits), with each user's current pass",
            ("v1.0/auditLogs/directoryAudits", "v1.0/users/{id}/authentication/temporaryAccessPassMethods"),
            ("AuditLog.Read.All", "UserAuthMethod-TAP.Read.All"),
            features=("SOC view: who issued each pass", "weekly report: passes issued, used and expired"),
        ),
        Fact(
            "privileged_users",
            "holders of privileged directory roles",
            ("v1.0/roleManagement/directory/roleAssignments",),
            ("RoleManagement.Read.Directory",),
        ),
        Fact(
            "tap_signins",
            "sign-ins made with a Temporary Access Pass, with each user's usual countries",
            ("beta/auditLogs/signIns",),
            SIGNIN_PERMISSIONS,
            ENTRA_P1,
            features=("SOC view of TAP sign-ins", "weekly report: TAP sign-ins by result and risk"),
            partial=f"risk levels need {ENTRA_P2}; without it Graph returns them as 'hidden'",
        ),
        Fact(
            "method_changes",
            "registrations and removals of users' authentication methods (directory audits)",
            ("v1.0/auditLogs/directoryAudits",),
            ("AuditLog.Read.All",),
            features=("SOC view: each pass's recovery chain",),
        ),
        Fact(
            "user_methods",
            "the authentication methods of users who recovered with a Temporary Access Pass",
            ("v1.0/users/{id}/authentication/methods",),
            # "List methods" names it the least privileged application permission for other users.
            ("UserAuthenticationMethod.Read.All",),
            features=("SOC view: whether a recovery removed the old methods",),
        ),
        Fact(
            "device_reports",
            "each device's latest dsregcmd /status report (CanReset), posted by the devices themselves",
            # Not Graph: devices post them to the monitor's own route (docs/ingest.md); no permission.
            ("POST /api/device-reports",),
            (),
        ),
    )
}

# Read by every pass whatever the rules: the tenant's ID and name (GET /organization).
TENANT_PERMISSION: Final = "Directory.Read.All"


@dataclass(frozen=True)
class Feature:
    """A permission needed by something other than a fact: sending mail, for instance."""

    permission: str
    feature: str
    condition: str | None = None  # the setting that turns it on; None: always needed


FEATURES: Final[tuple[Feature, ...]] = (
    Feature(TENANT_PERMISSION, "the tenant's ID and name, read by every pass (GET /organization)"),
    Feature(
        "Mail.Send",
        "alert email sent through Microsoft Graph from one mailbox (limit it to that mailbox with "
        "RBAC for Applications in Exchange Online)",
        "MONITOR_ALERT_EMAIL_TRANSPORT=graph",
    ),
)


def unknown_facts(names: Iterable[str]) -> list[str]:
    return sorted(set(names) - set(FACTS))


def permissions_of(names: Iterable[str]) -> tuple[str, ...]:
    """Every permission the facts `names` need, in a stable order."""
    found: list[str] = []
    for name in names:
        for permission in FACTS[name].permissions:
            if permission not in found:
                found.append(permission)
    return tuple(found)


def licences_of(names: Iterable[str]) -> tuple[str, ...]:
    found: list[str] = []
    for name in names:
        licence = FACTS[name].licence
        if licence and licence not in found:
            found.append(licence)
    return tuple(found)
