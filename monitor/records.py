"""The monitor's own records of a tenant.

Collectors map Graph's answers into these; rules, stores and reports see nothing else. Every record is
frozen: a pass reads the tenant once and reasons over what it read.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any, Generic, Literal, TypeVar

from monitor.entra import PIN_RESET_APPS, ErrorClass, error_class

T = TypeVar("T")


def iso(moment: datetime) -> str:
    """A time as every output of the monitor writes it: UTC, whole seconds, `Z`."""
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


def optional_iso(moment: datetime | None) -> str | None:
    """`iso`, or None (JSON null) for a time that is not known."""
    return iso(moment) if moment else None


def utcnow() -> datetime:
    """The wall clock, in UTC to the second (passes fix their own `now` for the data's windows)."""
    return datetime.now(UTC).replace(microsecond=0)


@dataclass(frozen=True, slots=True)
class Tenant:
    id: str
    display_name: str


@dataclass(frozen=True, slots=True)
class TenantDomain:
    name: str
    authentication_type: str  # "Managed" or "Federated", as Graph spells it
    is_verified: bool

    @property
    def federated(self) -> bool:
        return self.authentication_type.lower() == "federated"


@dataclass(frozen=True, slots=True)
class ServicePrincipal:
    object_id: str
    app_id: str
    display_name: str
    account_enabled: bool


@dataclass(frozen=True, slots=True)
class ConsentState:
    """Whether one PIN reset app is consented in the tenant: its service principal, or None."""

    app_id: str
    principal: ServicePrincipal | None

    @property
    def app_name(self) -> str:
        return PIN_RESET_APPS.get(self.app_id, self.app_id)

    @property
    def consented(self) -> bool:
        return self.principal is not None


@dataclass(frozen=True, slots=True)
class PinResetSignIn:
    """One sign-in of either PIN reset app, as the monitor keeps it (no tokens, no secrets)."""

    id: str
    created: datetime
    app_id: str
    app_display_name: str
    resource_id: str
    resource_display_name: str
    user_id: str
    user_principal_name: str
    error_code: int
    failure_reason: str
    device_id: str
    device_name: str
    operating_system: str
    ip_address: str
    country: str
    interactive: bool
    correlation_id: str

    @property
    def succeeded(self) -> bool:
        return self.error_code == 0

    @property
    def error_class(self) -> ErrorClass:
        return error_class(self.error_code)


@dataclass(frozen=True, slots=True)
class SignInHour:
    """PIN reset sign-ins of one hour, one app and one result code.

    The unit the store keeps for windows and baselines: counts stay small however many sign-ins a
    tenant has, and an hour is recomputed whole each time a pass reads it (see collectors.signins).
    """

    hour: datetime  # the start of the hour, UTC
    app_id: str
    error_code: int
    count: int
    first: datetime
    last: datetime
    sample_users: tuple[str, ...] = ()

    @property
    def error_class(self) -> ErrorClass:
        return error_class(self.error_code)


@dataclass(frozen=True, slots=True)
class ManagedDevice:
    """A Windows device enrolled in Intune (beta managedDevices)."""

    id: str  # the Intune managed device ID: the subject of device findings
    name: str
    operating_system: str
    os_version: str  # "10.0.19045.3693"
    sku_family: str  # edition as Intune reports it ("Enterprise", "Professional", ...); "" if unknown
    sku_number: int | None  # Windows SKU number (4 Enterprise, 48 Pro, 101 Home, ...), if reported
    join_type: str  # azureADJoined, hybridAzureADJoined, azureADRegistered, ...
    azure_ad_device_id: str
    user_principal_name: str
    user_id: str
    last_sync: datetime | None


PolicyKind = Literal[
    "identity-protection",
    "custom",
    "settings-catalog",
    "endpoint-security",
    # A legacy Endpoint security account protection policy (beta deviceManagement/intents).
    "account-protection-intent",
    "other",
]


@dataclass(frozen=True, slots=True)
class OmaSetting:
    """One OMA-URI setting of a custom profile, as Graph gave it."""

    oma_uri: str
    odata_type: str  # "#microsoft.graph.omaSettingBoolean", "#microsoft.graph.omaSettingString", ...
    value: object  # bool, str, int: whatever the profile holds
    display_name: str = ""
    # Intune keeps string values encrypted and Graph returns a placeholder for them (the plain text needs
    # getOmaSettingPlainTextValue, which requires a ReadWrite permission): the value is set but unreadable.
    is_encrypted: bool = False


@dataclass(frozen=True, slots=True)
class CatalogSetting:
    """One setting of a settings catalog or endpoint security policy, children flattened."""

    definition_id: str  # "device_vendor_msft_passportforwork_{tenantid}_policies_enablepinrecovery"
    value: object  # a choice value id ("..._true"), a string, an integer; None for a group


@dataclass(frozen=True, slots=True)
class DevicePolicy:
    """An Intune device configuration or configuration policy, reduced to what PIN reset needs."""

    id: str
    name: str
    kind: PolicyKind
    odata_type: str  # deviceConfigurations' @odata.type; "" for configurationPolicies
    # Included targets ("all devices", "all users", "group <id>"); exclusions do not count.
    targets: tuple[str, ...]
    # Identity protection template, or a legacy account protection intent: pinRecoveryEnabled (None
    # when not set).
    pin_recovery_enabled: bool | None = None
    pin_minimum_length: int | None = None
    oma_settings: tuple[OmaSetting, ...] = ()
    catalog_settings: tuple[CatalogSetting, ...] = ()
    template: str = ""  # templateReference.templateFamily of a configuration policy, if any

    @property
    def assigned(self) -> bool:
        return bool(self.targets)


@dataclass(frozen=True, slots=True)
class TapPolicy:
    """The Temporary Access Pass authentication method configuration."""

    state: str  # "enabled" or "disabled"
    default_lifetime_minutes: int | None
    minimum_lifetime_minutes: int | None
    maximum_lifetime_minutes: int | None
    default_length: int | None
    is_usable_once: bool | None
    include_targets: tuple[str, ...] = ()  # target ids: "all_users" or group ids

    @property
    def enabled(self) -> bool:
        return self.state.lower() == "enabled"


@dataclass(frozen=True, slots=True)
class TapIssuance:
    """A Temporary Access Pass an admin issued: the audit event, and the pass as Graph still shows it."""

    audit_id: str
    user_id: str
    user_principal_name: str
    issued_at: datetime
    issued_by: str  # the admin's UPN, or the app's name
    issued_by_id: str
    # From the user's temporaryAccessPassMethods, while the pass exists (None once deleted or expired).
    start: datetime | None = None
    lifetime_minutes: int | None = None
    usable_once: bool | None = None
    usability: str = ""  # methodUsabilityReason: EnabledByPolicy, Expired, OneTimeUsed, ...

    def valid_until(self, fallback_lifetime_minutes: int) -> datetime:
        """End of the pass's validity; unknown lifetimes use the fallback (the policy's maximum)."""
        start = self.start or self.issued_at
        return start + timedelta(minutes=self.lifetime_minutes or fallback_lifetime_minutes)

    def to_json(self) -> dict[str, Any]:
        """The one public shape of an issuance (scan, the SOC view, finding evidence), in Graph's names."""
        return {
            "auditId": self.audit_id,
            "issuedBy": self.issued_by,
            "issuedDateTime": iso(self.issued_at),
            "startDateTime": iso(self.start) if self.start else None,
            "lifetimeInMinutes": self.lifetime_minutes,
            "isUsableOnce": self.usable_once,
            "methodUsabilityReason": self.usability or None,
        }


@dataclass(frozen=True, slots=True)
class TapSignIn:
    """A sign-in made with a Temporary Access Pass: one record for the SOC."""

    id: str
    created: datetime
    user_id: str
    user_principal_name: str
    succeeded: bool  # the TAP step succeeded and the sign-in did (errorCode 0)
    error_code: int
    failure_reason: str
    app_display_name: str
    ip_address: str
    city: str
    country: str
    device_id: str
    device_name: str
    operating_system: str
    risk_during_signin: str  # none, low, medium, high, hidden, unknownFutureValue
    risk_aggregated: str
    risk_state: str
    # Countries of this user's other successful sign-ins before this one (None: no history read).
    prior_countries: tuple[str, ...] | None
    issuance: TapIssuance | None = None

    def to_json(self) -> dict[str, Any]:
        """The one public shape of a TAP sign-in (scan's `tap_signins`, the SOC view, finding evidence):
        scan's published fields first, then the rest, in Graph's names where Graph has one."""
        return {
            "id": self.id,
            "createdDateTime": iso(self.created),
            "userPrincipalName": self.user_principal_name,
            "succeeded": self.succeeded,
            "ipAddress": self.ip_address,
            "countryOrRegion": self.country,
            "deviceId": self.device_id,
            "riskLevel": self.risk_during_signin,
            "userId": self.user_id,
            "errorCode": self.error_code,
            "failureReason": self.failure_reason,
            "app": self.app_display_name,
            "city": self.city,
            "deviceName": self.device_name,
            "operatingSystem": self.operating_system,
            "riskLevelAggregated": self.risk_aggregated,
            "riskState": self.risk_state,
            "priorCountries": list(self.prior_countries) if self.prior_countries is not None else None,
            "issuance": self.issuance.to_json() if self.issuance else None,
        }


MethodAction = Literal["registered", "deleted"]


@dataclass(frozen=True, slots=True)
class MethodChange:
    """A user's authentication method registered or deleted, as the directory audit log records it
    ("User registered security info", "Admin deleted security info", ...). TAP issuances are not
    method changes here: they are TapIssuance."""

    audit_id: str
    at: datetime
    user_id: str
    user_principal_name: str
    action: MethodAction
    by_admin: bool  # "Admin ... security info" (else the user did it, in their own session)
    method: str  # the audit's resultReason, which names the method ("User registered Fido2 ...")
    initiated_by: str  # UPN of whoever did it, or the app's name


@dataclass(frozen=True, slots=True)
class UserMethod:
    """One authentication method a user has now (GET /users/{id}/authentication/methods)."""

    id: str
    kind: str  # the @odata.type without its namespace: "fido2AuthenticationMethod", ...
    display_name: str  # what Graph calls it (a device, a phone type, a key model), if anything
    created: datetime | None  # createdDateTime; Graph gives none for phone and email methods


@dataclass(frozen=True, slots=True)
class RoleHolding:
    """One privileged directory role a user holds, and how: "direct" (an active assignment),
    "eligible" (PIM, activates on demand), "active through PIM" (an activated eligibility), or
    "through group <name>" (a role-assignable group the user is a transitive member of)."""

    role: str
    how: str

    def __str__(self) -> str:
        return f"{self.role} ({self.how})"


# The values "Troubleshoot devices by using the dsregcmd command" documents, and "" for no CanReset line.
CanReset = Literal["DestructiveOnly", "NonDestructiveOnly", "DestructiveAndNonDestructive", "Unknown", ""]


@dataclass(frozen=True, slots=True)
class DeviceReport:
    """What a device said of itself in `dsregcmd /status`, run in its signed-in user's context.

    Graph cannot see whether non-destructive PIN reset will work on a device (nor Group Policy); only
    the device's own User State shows it (CanReset). A report is evidence, never proof: it comes from
    the device, so rules trust it only for devices the tenant's Intune inventory knows.
    """

    intune_device_id: str  # the subject of device findings
    tenant_id: str
    received: datetime  # when the monitor received it
    collected: datetime | None  # when the device says it ran dsregcmd
    can_reset: CanReset  # "" when the report has no CanReset line (no Windows Hello container)
    ngc_set: bool | None  # User State NgcSet: the user has a Windows Hello container
    ngc_key_id: str
    workplace_joined: bool | None
    azure_ad_joined: bool | None
    domain_joined: bool | None
    entra_device_id: str  # Device Details DeviceId: the Entra device ID (Intune's azureADDeviceId)
    user_principal_name: str = ""  # whose User State this is, if the script sent it
    azure_ad_prt: bool | None = None  # SSO State AzureAdPrt

    @property
    def at(self) -> datetime:
        """The report's time: when it was collected, else when it arrived."""
        return self.collected or self.received


ProblemKind = Literal["skipped", "error"]


@dataclass(frozen=True, slots=True)
class DataProblem:
    """Why a piece of tenant data could not be read.

    `skipped`: the tenant does not let us read it (missing permission, missing licence); `error`:
    reading failed (a malformed page, a server that kept failing). Rules that need the data report
    the same status and reason, never a pass.
    """

    kind: ProblemKind
    reason: str
    source: str = ""  # the Graph path it concerns


@dataclass(frozen=True, slots=True)
class UnusableItem:
    """One item of a Graph stream the monitor could not use: what it was and why."""

    stream: str  # "signins.pin-reset", "signins.tap", ...
    item_id: str  # Graph's id, or "sha1:..." of the item when it has none
    why: str  # "status.errorCode is not an integer", "createdDateTime is not a time", ...
    seen: datetime  # when a pass first met it (its own time may be what is unreadable)
    created: datetime | None = None


@dataclass(frozen=True, slots=True)
class UnusableItems:
    """The unusable items of one stream in a rule's window: a rule over that stream cannot pass."""

    source: str
    count: int
    sample_ids: tuple[str, ...]
    reasons: tuple[str, ...]

    @classmethod
    def of(cls, source: str, items: Iterable[UnusableItem]) -> UnusableItems | None:
        found = sorted(items, key=lambda i: (i.seen, i.item_id))
        if not found:
            return None
        reasons = tuple(dict.fromkeys(i.why for i in found))
        return cls(source, len(found), tuple(i.item_id for i in found[:5]), reasons)

    def describe(self) -> str:
        return (
            f"{self.count} item(s) of {self.source} could not be used ({'; '.join(self.reasons)}; "
            f"first ids: {', '.join(self.sample_ids)})"
        )

    def to_json(self) -> dict[str, Any]:
        return {
            "source": self.source,
            "count": self.count,
            "sampleIds": list(self.sample_ids),
            "reasons": list(self.reasons),
        }


class DataUnavailable(Exception):
    def __init__(self, problem: DataProblem) -> None:
        super().__init__(problem.reason)
        self.problem = problem


@dataclass(frozen=True, slots=True)
class Readout(Generic[T]):
    """One piece of tenant data as a pass read it: the value, or the problem that kept it away."""

    value: T | None = None
    problem: DataProblem | None = None
    # Items of the data that could not be used: the value holds the rest, and no rule over it may pass.
    unusable: UnusableItems | None = None

    @classmethod
    def of(cls, value: T) -> Readout[T]:
        return cls(value=value)

    @classmethod
    def missing(cls, problem: DataProblem) -> Readout[T]:
        return cls(problem=problem)

    @property
    def available(self) -> bool:
        return self.problem is None

    def get(self) -> T:
        """The value; raises DataUnavailable (which the rule engine turns into skipped/error)."""
        if self.problem is not None:
            raise DataUnavailable(self.problem)
        assert self.value is not None
        return self.value


def _not_read(source: str) -> DataProblem:
    return DataProblem("error", f"{source} was not read in this pass", source)


@dataclass(frozen=True)
class TenantFacts:
    """Everything a pass read about the tenant: the one input of every rule."""

    tenant: Tenant
    now: datetime
    domains: Readout[tuple[TenantDomain, ...]] = field(
        default_factory=lambda: Readout.missing(_not_read("domains"))
    )
    consent: Readout[Mapping[str, ConsentState]] = field(
        default_factory=lambda: Readout.missing(_not_read("servicePrincipals"))
    )
    pin_reset_hours: Readout[tuple[SignInHour, ...]] = field(
        default_factory=lambda: Readout.missing(_not_read("auditLogs/signIns"))
    )
    windows_devices: Readout[tuple[ManagedDevice, ...]] = field(
        default_factory=lambda: Readout.missing(_not_read("deviceManagement/managedDevices"))
    )
    device_policies: Readout[tuple[DevicePolicy, ...]] = field(
        default_factory=lambda: Readout.missing(_not_read("deviceManagement configurations"))
    )
    tap_policy: Readout[TapPolicy] = field(
        default_factory=lambda: Readout.missing(_not_read("TemporaryAccessPass policy"))
    )
    tap_issuances: Readout[tuple[TapIssuance, ...]] = field(
        default_factory=lambda: Readout.missing(_not_read("auditLogs/directoryAudits"))
    )
    # User ID -> the privileged directory roles the user holds (monitor.entra.PRIVILEGED_ROLES), each
    # with how: directly, PIM-eligible, activated through PIM, or through a role-assignable group.
    privileged_users: Readout[Mapping[str, tuple[RoleHolding, ...]]] = field(
        default_factory=lambda: Readout.missing(_not_read("roleManagement/directory/roleAssignments"))
    )
    # Ways of holding a role that could not be read (PIM without Entra ID P2, a group's members): the
    # privileged users above are then only part of them, and rules say so.
    privileged_users_unread: tuple[DataProblem, ...] = ()
    tap_signins: Readout[tuple[TapSignIn, ...]] = field(
        default_factory=lambda: Readout.missing(_not_read("TAP sign-ins"))
    )
    # Registrations and removals of authentication methods (directory audits) in the lookback.
    method_changes: Readout[tuple[MethodChange, ...]] = field(
        default_factory=lambda: Readout.missing(_not_read("auditLogs/directoryAudits (security info)"))
    )
    # User ID -> the methods the user has now, read only for users who recovered with a pass.
    user_methods: Readout[Mapping[str, tuple[UserMethod, ...]]] = field(
        default_factory=lambda: Readout.missing(_not_read("users/{id}/authentication/methods"))
    )
    # The latest `dsregcmd /status` report of each device that posted one (monitor.ingest).
    device_reports: Readout[tuple[DeviceReport, ...]] = field(
        default_factory=lambda: Readout.missing(_not_read("device reports"))
    )
