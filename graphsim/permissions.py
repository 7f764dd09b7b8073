"""Which Microsoft Graph application permissions let an app read each path the simulator serves.

A tenant whose admin granted the app only some of its permissions gets tokens whose `roles` claim
lists those, and Graph refuses each request that none of them allows: 403 `Authorization_RequestDenied`
`Insufficient privileges to complete the operation.` The table below is taken from the "Permissions"
section of each API's reference page on Microsoft Learn (the least privileged application permission,
then the higher privileged ones that also allow the call), for the paths the monitor reads:

- "List organization": Organization.Read.All; Directory.Read.All, Organization.ReadWrite.All, ...
- "List domains": Domain.Read.All; Directory.Read.All, Domain.ReadWrite.All, Directory.ReadWrite.All
- "List servicePrincipals": Application.Read.All; Application.ReadWrite.All, Directory.Read.All, ...
- "List users": User.Read.All; Directory.Read.All, User.ReadWrite.All, Directory.ReadWrite.All
- "List signIns": AuditLog.Read.All, with Directory.Read.All for the directory lookups behind it
- "List directoryAudits": AuditLog.Read.All
- "List methods": UserAuthenticationMethod.Read.All; UserAuthenticationMethod.ReadWrite.All
- "List temporaryAccessPassMethods": UserAuthMethod-TAP.Read.All; UserAuthenticationMethod.Read.All,
  UserAuthMethod-TAP.ReadWrite.All, UserAuthenticationMethod.ReadWrite.All
- "Get temporaryAccessPassAuthenticationMethodConfiguration": Policy.Read.AuthenticationMethod;
  Policy.ReadWrite.AuthenticationMethod
- "List unifiedRoleAssignments": RoleManagement.Read.Directory; Directory.Read.All,
  RoleManagement.Read.All, RoleManagement.ReadWrite.Directory, Directory.ReadWrite.All
- "List managedDevices": DeviceManagementManagedDevices.Read.All; ...ReadWrite.All
- "List deviceConfigurations", "List configurationPolicies", intents:
  DeviceManagementConfiguration.Read.All; DeviceManagementConfiguration.ReadWrite.All
- "user: sendMail": Mail.Send

A path the table does not name is allowed with any grant: the simulator only refuses what it knows
Graph refuses.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from urllib.parse import unquote

# Each requirement is a tuple of alternatives; a request needs one alternative of every requirement.
Requirement = tuple[str, ...]


@dataclass(frozen=True)
class PathPermissions:
    pattern: re.Pattern[str]  # over "<path without version>", lower case
    needs: tuple[Requirement, ...]


def _rule(pattern: str, *needs: Requirement) -> PathPermissions:
    return PathPermissions(re.compile(pattern), needs)


_DIRECTORY = ("Directory.Read.All", "Directory.ReadWrite.All")
_AUDIT = ("AuditLog.Read.All",)
_CONFIGURATION = ("DeviceManagementConfiguration.Read.All", "DeviceManagementConfiguration.ReadWrite.All")
_ROLES = (
    "RoleManagement.Read.Directory",
    "RoleManagement.Read.All",
    "RoleManagement.ReadWrite.Directory",
    *_DIRECTORY,
)

# First match wins: the more specific paths come first.
TABLE: tuple[PathPermissions, ...] = (
    _rule(r"^organization\b", ("Organization.Read.All", "Organization.ReadWrite.All", *_DIRECTORY)),
    _rule(r"^domains\b", ("Domain.Read.All", "Domain.ReadWrite.All", *_DIRECTORY)),
    _rule(
        r"^serviceprincipals\b",
        ("Application.Read.All", "Application.ReadWrite.All", "Application.ReadWrite.OwnedBy", *_DIRECTORY),
    ),
    _rule(r"^auditlogs/signins\b", _AUDIT, _DIRECTORY),
    _rule(r"^auditlogs/", _AUDIT),
    _rule(
        r"^users[/(][^/]+/authentication/temporaryaccesspassmethods\b",
        (
            "UserAuthMethod-TAP.Read.All",
            "UserAuthMethod-TAP.ReadWrite.All",
            "UserAuthenticationMethod.Read.All",
            "UserAuthenticationMethod.ReadWrite.All",
        ),
    ),
    _rule(
        r"^users[/(][^/]+/authentication/",
        ("UserAuthenticationMethod.Read.All", "UserAuthenticationMethod.ReadWrite.All"),
    ),
    _rule(r"^users[/(][^/]+/sendmail$", ("Mail.Send",)),
    _rule(r"^users\b", ("User.Read.All", "User.ReadWrite.All", *_DIRECTORY)),
    _rule(r"^groups\b", ("GroupMember.Read.All", "Group.Read.All", "Group.ReadWrite.All", *_DIRECTORY)),
    _rule(
        r"^policies/authenticationmethodspolicy\b",
        ("Policy.Read.AuthenticationMethod", "Policy.ReadWrite.AuthenticationMethod"),
    ),
    _rule(r"^rolemanagement/directory/", _ROLES),
    _rule(
        r"^devicemanagement/manageddevices\b",
        ("DeviceManagementManagedDevices.Read.All", "DeviceManagementManagedDevices.ReadWrite.All"),
    ),
    _rule(r"^devicemanagement/(deviceconfigurations|configurationpolicies|intents)\b", _CONFIGURATION),
)


def _normalise(path: str) -> str:
    """`/v1.0//Users('x')/Authentication/Methods?...` -> `users('x')/authentication/methods`."""
    bare = unquote(path.partition("?")[0]).lower()
    parts = [part for part in bare.split("/") if part]
    return "/".join(parts[1:])  # without the version


def needs(path: str) -> tuple[Requirement, ...]:
    """What a GET (or sendMail POST) of `path` needs; () when the table does not name it."""
    rest = _normalise(path)
    for entry in TABLE:
        if entry.pattern.search(rest):
            return entry.needs
    return ()


def allowed(path: str, granted: Iterable[str]) -> bool:
    """Whether an app holding `granted` (permission names, any case) may call `path`."""
    held = {name.lower() for name in granted}
    return all(any(option.lower() in held for option in requirement) for requirement in needs(path))
