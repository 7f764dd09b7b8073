"""What each Graph endpoint the monitor reads supports, as Microsoft documents it.

One `EndpointSpec` per path pattern (relative to the version, `{id}` for a key segment): the properties
and operators `$filter` accepts, the `$orderby` properties, page sizes, default ordering, navigation
properties that appear only with `$expand`, and the flavour of errors the owning service answers with.
Paths not in the table get `GENERIC`: any filter, page size 100 by default and at most 999.

Sources (Microsoft Graph docs, microsoftgraph/microsoft-graph-docs-contrib):
- signIn resource type (beta) and List signIns: "The maximum and default page size is 1,000 objects and
  by default, the most recent sign-ins are returned first"; per-property `Supports $filter (...)`; beta
  "returns only interactive sign-ins unless you set an explicit filter" on signInEventTypes.
- directoryAudit resource type and List directoryAudits: `$filter` (eq, ge, le, startswith), `$top`,
  `$orderby`, skiptoken; the attribute table of the earlier List directoryAudits page.
- List servicePrincipals / List users: default and maximum page sizes 100 and 999; a larger `$top` is
  answered `Request_UnsupportedQuery: Invalid page size specified: '1000'. Must be between 1 and 999
  inclusive.`; `ne`, `not` and `endsWith` need advanced queries (ConsistencyLevel: eventual + $count).
- List unifiedRoleAssignments: `$filter`, `$expand` (principal), `$select`.
- Intune: managedDevices pages by 1,000; settings catalog configurationPolicies by 25
  (microsoftgraph issues: ugurkocde/IntuneAssignmentChecker#28, ThomasKur/M365Documentation#45).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

ALL_OPTIONS = frozenset(
    {"$filter", "$select", "$top", "$skip", "$orderby", "$expand", "$count", "$skiptoken"}
)


@dataclass(frozen=True)
class Navigation:
    """A navigation property that Graph returns only when it is expanded.

    `resolve_from` lists collections (version-relative paths, with the `@odata.type` to give the
    object) in which the target is looked up by the item's `key_property` when the snapshot item does
    not carry the navigation inline."""

    name: str
    collection: bool = True
    key_property: str | None = None
    resolve_from: tuple[tuple[str, str], ...] = ()


@dataclass(frozen=True)
class EndpointSpec:
    pattern: str
    family: str  # reporting | directory | intune | policy | generic
    resource: str  # entity type name used in error messages
    kind: str = "collection"  # collection | entity
    versions: frozenset[str] = frozenset({"v1.0", "beta"})
    # property path (lower case, '/'-joined) -> operators; None: any property, any operator
    filters: Mapping[str, frozenset[str]] | None = None
    # logical operators allowed outside lambda bodies
    filter_logic: frozenset[str] = frozenset({"and", "or", "not"})
    # operators that need ConsistencyLevel: eventual and $count=true (directory objects)
    advanced_operators: frozenset[str] = frozenset()
    orderby: frozenset[str] | None = None  # None: any property; empty: $orderby not supported
    default_order: tuple[tuple[str, bool], ...] = ()  # (property, descending)
    default_page_size: int = 100
    max_page_size: int = 999
    top_above_max: str = "cap"  # cap | error
    options: frozenset[str] = ALL_OPTIONS
    # Options Graph does not document here and whose answer today is uncertain: refused as Graph
    # refused them when last seen, unless a snapshot's _simulator.json switches them on for the path.
    switchable_options: frozenset[str] = frozenset()
    navigations: Mapping[str, Navigation] = field(default_factory=dict)
    key_properties: tuple[str, ...] = ("id",)
    interactive_only_by_default: bool = False
    # top-level properties read into columns when a large file is loaded
    index_properties: tuple[str, ...] = ()

    @property
    def segments(self) -> tuple[str, ...]:
        return tuple(self.pattern.lower().split("/"))


def _ops(*names: str) -> frozenset[str]:
    return frozenset(names)


EQ = _ops("eq")
EQ_STARTS = _ops("eq", "startswith")


def _by_path(filters: Mapping[str, frozenset[str]]) -> dict[str, frozenset[str]]:
    """Filter tables are written with Graph's property names and looked up in lower case."""
    return {path.lower(): ops for path, ops in filters.items()}


_SIGNIN_FILTERS = _by_path(
    {
        "id": EQ,
        # Documented: eq, le, ge. gt and lt work too (Get-AzureADAuditSignInLogs examples use gt).
        "createdDateTime": _ops("eq", "ge", "le", "gt", "lt"),
        "userId": EQ,
        "appId": EQ,
        "resourceId": EQ,
        "resourceDisplayName": EQ,
        "correlationId": EQ,
        "originalRequestId": EQ,
        "userPrincipalName": EQ_STARTS,
        "userDisplayName": EQ_STARTS,
        "appDisplayName": EQ_STARTS,
        "ipAddress": EQ_STARTS,
        "userAgent": EQ_STARTS,
        "location/city": EQ_STARTS,
        "location/state": EQ_STARTS,
        "location/countryOrRegion": EQ_STARTS,
        # Documented: eq. Microsoft's own examples also use `status/errorCode ne 0` for failures.
        "status/errorCode": _ops("eq", "ne"),
        "clientAppUsed": EQ,
        "conditionalAccessStatus": EQ,
        "conditionalAccessAudiences": EQ,
        "deviceDetail/browser": EQ_STARTS,
        "deviceDetail/operatingSystem": EQ_STARTS,
        "authenticationRequirement": EQ_STARTS,
        "riskDetail": EQ,
        "riskLevelAggregated": EQ,
        "riskLevelDuringSignIn": EQ,
        "riskState": EQ,
        "riskEventTypes_v2": _ops("any", "eq", "startswith"),
        "servicePrincipalId": EQ_STARTS,
        "servicePrincipalName": EQ_STARTS,
        "tokenIssuerName": EQ,
    }
)

_BETA_SIGNIN_FILTERS = {**_SIGNIN_FILTERS, "signineventtypes": _ops("any", "eq", "ne")}

_AUDIT_FILTERS = _by_path(
    {
        "id": EQ,
        "activitydatetime": _ops("eq", "ge", "le"),
        "activitydisplayname": EQ_STARTS,
        "correlationid": EQ,
        "loggedbyservice": EQ,
        "initiatedby/user/id": EQ,
        "initiatedby/user/displayname": EQ,
        "initiatedby/user/userprincipalname": EQ_STARTS,
        "initiatedby/app/appid": EQ,
        "initiatedby/app/displayname": EQ,
        "targetresources": _ops("any"),
        "targetresources/id": EQ,
        "targetresources/displayname": EQ_STARTS,
    }
)

_DIRECTORY_COMPARE = _ops("eq", "ne", "in", "ge", "le", "startswith", "endswith")
_SERVICE_PRINCIPAL_FILTERS = _by_path(
    {
        "id": _ops("eq", "ne", "in"),
        "appid": _ops("eq", "ne", "in", "startswith"),
        "accountenabled": _ops("eq", "ne"),
        "appdisplayname": _DIRECTORY_COMPARE,
        "displayname": _DIRECTORY_COMPARE,
        "appownerorganizationid": _ops("eq", "ne", "in"),
        "approleassignmentrequired": _ops("eq", "ne"),
        "preferredsinglesignonmode": _ops("eq", "ne", "in"),
        "publishername": _DIRECTORY_COMPARE,
        "serviceprincipaltype": _ops("eq", "ne", "in"),
        "alternativenames": _ops("any", "eq", "startswith"),
        "serviceprincipalnames": _ops("any", "eq", "startswith"),
        "tags": _ops("any", "eq", "startswith"),
        "notificationemailaddresses": _ops("any", "eq", "startswith"),
    }
)

_DIRECTORY_OPTIONS = frozenset({"$filter", "$select", "$top", "$orderby", "$expand", "$count", "$skiptoken"})
_REPORTING_OPTIONS = frozenset({"$filter", "$select", "$top", "$orderby", "$count", "$skiptoken"})
# Microsoft's "List signIns" pages (v1.0 and beta) document only $filter, $top and $skiptoken. $select
# was answered 400 "Query option 'Select' is not allowed..." in 2022 (Microsoft Q&A, "Query option
# 'Select' is not allowed. To allow it, set the 'AllowedQueryOptions' property..."); whether it still is
# is not documented, so a snapshot can switch $select, $orderby and $count on.
_SIGNIN_OPTIONS = frozenset({"$filter", "$top", "$skiptoken"})
_SIGNIN_SWITCHABLE = frozenset({"$select", "$orderby", "$count"})

_ROLE_ASSIGNMENT_NAVIGATIONS = {
    "principal": Navigation(
        "principal",
        collection=False,
        key_property="principalId",
        resolve_from=(
            ("users", "#microsoft.graph.user"),
            ("servicePrincipals", "#microsoft.graph.servicePrincipal"),
            ("groups", "#microsoft.graph.group"),
        ),
    ),
    "roledefinition": Navigation(
        "roleDefinition",
        collection=False,
        key_property="roleDefinitionId",
        resolve_from=(
            ("roleManagement/directory/roleDefinitions", "#microsoft.graph.unifiedRoleDefinition"),
        ),
    ),
    "directoryscope": Navigation("directoryScope", collection=False),
    "appscope": Navigation("appScope", collection=False),
}

_DEVICE_CONFIGURATION_NAVIGATIONS = {
    "assignments": Navigation("assignments"),
    "groupassignments": Navigation("groupAssignments"),
    "devicestatuses": Navigation("deviceStatuses"),
    "userstatuses": Navigation("userStatuses"),
    "devicesettingstatesummaries": Navigation("deviceSettingStateSummaries"),
    "devicestatusoverview": Navigation("deviceStatusOverview", collection=False),
    "userstatusoverview": Navigation("userStatusOverview", collection=False),
}

_CONFIGURATION_POLICY_NAVIGATIONS = {
    "assignments": Navigation("assignments"),
    "settings": Navigation("settings"),
}


def _reporting(pattern: str, resource: str, **kwargs: object) -> EndpointSpec:
    values: dict[str, object] = {
        "family": "reporting",
        "resource": resource,
        "filter_logic": frozenset({"and"}),
        "default_page_size": 1000,
        "max_page_size": 1000,
        "top_above_max": "cap",
        "options": _REPORTING_OPTIONS,
    }
    values.update(kwargs)
    return EndpointSpec(pattern=pattern, **values)  # type: ignore[arg-type]


def _directory(pattern: str, resource: str, **kwargs: object) -> EndpointSpec:
    values: dict[str, object] = {
        "family": "directory",
        "resource": resource,
        "advanced_operators": frozenset({"ne", "not", "endswith"}),
        "default_page_size": 100,
        "max_page_size": 999,
        "top_above_max": "error",
        "options": _DIRECTORY_OPTIONS,
        "navigations": {},
    }
    values.update(kwargs)
    return EndpointSpec(pattern=pattern, **values)  # type: ignore[arg-type]


def _intune(pattern: str, resource: str, **kwargs: object) -> EndpointSpec:
    values: dict[str, object] = {
        "family": "intune",
        "resource": resource,
        "default_page_size": 1000,
        "max_page_size": 1000,
        "top_above_max": "cap",
        "versions": frozenset({"beta", "v1.0"}),
    }
    values.update(kwargs)
    return EndpointSpec(pattern=pattern, **values)  # type: ignore[arg-type]


_SIGNIN_INDEX = ("id", "createdDateTime", "appId", "resourceId", "userId", "signInEventTypes")

TABLE: tuple[EndpointSpec, ...] = (
    # sign-in and audit logs
    _reporting(
        "auditLogs/signIns",
        "signIn",
        versions=frozenset({"beta"}),
        options=_SIGNIN_OPTIONS,
        switchable_options=_SIGNIN_SWITCHABLE,
        filters=_BETA_SIGNIN_FILTERS,
        orderby=frozenset({"createddatetime"}),
        default_order=(("createdDateTime", True),),
        interactive_only_by_default=True,
        index_properties=_SIGNIN_INDEX,
    ),
    _reporting(
        "auditLogs/signIns",
        "signIn",
        versions=frozenset({"v1.0"}),
        options=_SIGNIN_OPTIONS,
        switchable_options=_SIGNIN_SWITCHABLE,
        filters=_SIGNIN_FILTERS,
        orderby=frozenset({"createddatetime"}),
        default_order=(("createdDateTime", True),),
        index_properties=_SIGNIN_INDEX[:-1],
    ),
    _reporting("auditLogs/signIns/{id}", "signIn", kind="entity"),
    _reporting(
        "auditLogs/directoryAudits",
        "directoryAudit",
        filters=_AUDIT_FILTERS,
        orderby=frozenset({"activitydatetime"}),
        default_order=(("activityDateTime", True),),
        index_properties=("id", "activityDateTime", "activityDisplayName"),
    ),
    _reporting("auditLogs/directoryAudits/{id}", "directoryAudit", kind="entity"),
    # directory objects
    _directory("organization", "Organization"),
    _directory("organization/{id}", "Organization", kind="entity"),
    _directory("domains", "Domain", advanced_operators=frozenset()),
    _directory("domains/{id}", "Domain", kind="entity"),
    _directory(
        "servicePrincipals",
        "ServicePrincipal",
        filters=_SERVICE_PRINCIPAL_FILTERS,
        orderby=frozenset({"displayname"}),
    ),
    _directory("servicePrincipals/{id}", "ServicePrincipal", kind="entity", key_properties=("id", "appId")),
    _directory("users", "User", orderby=frozenset({"displayname", "userprincipalname"})),
    _directory("users/{id}", "User", kind="entity", key_properties=("id", "userPrincipalName")),
    _directory("groups", "Group"),
    _directory("groups/{id}", "Group", kind="entity"),
    EndpointSpec(
        "users/{id}/authentication/temporaryAccessPassMethods",
        family="policy",
        resource="temporaryAccessPassAuthenticationMethod",
        filters={},
        orderby=frozenset(),
        options=frozenset({"$select", "$skiptoken"}),
    ),
    EndpointSpec(
        "users/{id}/authentication/temporaryAccessPassMethods/{id}",
        family="policy",
        resource="temporaryAccessPassAuthenticationMethod",
        kind="entity",
    ),
    _directory(
        "roleManagement/directory/roleAssignments",
        "unifiedRoleAssignment",
        filters={
            "id": _ops("eq", "in"),
            "roledefinitionid": _ops("eq", "in"),
            "principalid": _ops("eq", "in"),
            "directoryscopeid": _ops("eq", "in"),
            "appscopeid": EQ,
        },
        filter_logic=frozenset({"and", "or"}),
        advanced_operators=frozenset(),
        orderby=frozenset(),
        navigations=_ROLE_ASSIGNMENT_NAVIGATIONS,
    ),
    _directory(
        "roleManagement/directory/roleAssignments/{id}",
        "unifiedRoleAssignment",
        kind="entity",
        navigations=_ROLE_ASSIGNMENT_NAVIGATIONS,
    ),
    _directory(
        "roleManagement/directory/roleDefinitions", "unifiedRoleDefinition", advanced_operators=frozenset()
    ),
    # Privileged Identity Management: eligible roles, and active ones (assignmentType "Assigned" or
    # "Activated"); their list pages document $filter on principalId and roleDefinitionId.
    *(
        _directory(
            f"roleManagement/directory/{name}",
            resource,
            filters={
                "id": _ops("eq", "in"),
                "roledefinitionid": _ops("eq", "in"),
                "principalid": _ops("eq", "in"),
                "directoryscopeid": _ops("eq", "in"),
                "appscopeid": EQ,
                "assignmenttype": EQ,
                "membertype": EQ,
            },
            filter_logic=frozenset({"and", "or"}),
            advanced_operators=frozenset(),
            orderby=frozenset(),
            navigations=_ROLE_ASSIGNMENT_NAVIGATIONS,
        )
        for name, resource in (
            ("roleEligibilityScheduleInstances", "unifiedRoleEligibilityScheduleInstance"),
            ("roleAssignmentScheduleInstances", "unifiedRoleAssignmentScheduleInstance"),
            ("roleEligibilitySchedules", "unifiedRoleEligibilitySchedule"),
        )
    ),
    _directory("groups/{id}/transitiveMembers", "directoryObject", advanced_operators=frozenset()),
    _directory("roleManagement/directory/roleDefinitions/{id}", "unifiedRoleDefinition", kind="entity"),
    # authentication methods policy
    EndpointSpec(
        "policies/authenticationMethodsPolicy",
        family="policy",
        resource="authenticationMethodsPolicy",
        kind="entity",
    ),
    EndpointSpec(
        "policies/authenticationMethodsPolicy/authenticationMethodConfigurations",
        family="policy",
        resource="authenticationMethodConfiguration",
    ),
    EndpointSpec(
        "policies/authenticationMethodsPolicy/authenticationMethodConfigurations/{id}",
        family="policy",
        resource="authenticationMethodConfiguration",
        kind="entity",
    ),
    # Intune
    _intune("deviceManagement/managedDevices", "managedDevice"),
    _intune("deviceManagement/managedDevices/{id}", "managedDevice", kind="entity"),
    _intune(
        "deviceManagement/deviceConfigurations",
        "deviceConfiguration",
        navigations=_DEVICE_CONFIGURATION_NAVIGATIONS,
    ),
    _intune(
        "deviceManagement/deviceConfigurations/{id}",
        "deviceConfiguration",
        kind="entity",
        navigations=_DEVICE_CONFIGURATION_NAVIGATIONS,
    ),
    _intune("deviceManagement/deviceConfigurations/{id}/assignments", "deviceConfigurationAssignment"),
    _intune(
        "deviceManagement/configurationPolicies",
        "deviceManagementConfigurationPolicy",
        default_page_size=25,
        navigations=_CONFIGURATION_POLICY_NAVIGATIONS,
    ),
    _intune(
        "deviceManagement/configurationPolicies/{id}",
        "deviceManagementConfigurationPolicy",
        kind="entity",
        navigations=_CONFIGURATION_POLICY_NAVIGATIONS,
    ),
    _intune(
        "deviceManagement/configurationPolicies/{id}/assignments",
        "deviceManagementConfigurationPolicyAssignment",
    ),
    _intune("deviceManagement/configurationPolicies/{id}/settings", "deviceManagementConfigurationSetting"),
    # Legacy Endpoint security policies (security baselines, account protection): each intent's settings
    # and assignments are collections below it.
    _intune("deviceManagement/intents", "deviceManagementIntent"),
    _intune("deviceManagement/intents/{id}", "deviceManagementIntent", kind="entity"),
    _intune("deviceManagement/intents/{id}/settings", "deviceManagementSettingInstance"),
    _intune("deviceManagement/intents/{id}/assignments", "deviceManagementIntentAssignment"),
)

GENERIC = EndpointSpec(pattern="*", family="generic", resource="entity")
GENERIC_ENTITY = EndpointSpec(pattern="*", family="generic", resource="entity", kind="entity")


def match(version: str, segments: Sequence[str]) -> EndpointSpec | None:
    """The spec for a request path (segments after the version, key segments replaced by `{id}`)."""
    lowered = tuple(segment.lower() for segment in segments)
    best: tuple[int, EndpointSpec] | None = None
    for spec in TABLE:
        if version not in spec.versions:
            continue
        pattern = spec.segments
        if len(pattern) != len(lowered):
            continue
        wildcards = 0
        for want, have in zip(pattern, lowered, strict=True):
            if want == "{id}":
                wildcards += 1
            elif want != have:
                break
        else:
            if best is None or wildcards < best[0]:
                best = (wildcards, spec)
    return best[1] if best else None


def describe_page_sizes() -> list[tuple[str, str, int, int, str]]:
    """(versions, pattern, default, max, what a larger $top gets) for every collection in the table."""
    return [
        (
            "/".join(sorted(spec.versions)),
            spec.pattern,
            spec.default_page_size,
            spec.max_page_size,
            spec.top_above_max,
        )
        for spec in TABLE
        if spec.kind == "collection"
    ]
