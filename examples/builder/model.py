"""The tenant model: people, devices, passes, expectations and what a generated tenant is."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, NamedTuple

from examples.builder.constants import RULES, WINDOW_DAYS
from examples.builder.reference import Place


@dataclass(eq=False)
class Person:
    index: int
    id: str
    given: str | None
    surname: str | None
    display_name: str
    upn: str
    mail: str | None
    job_title: str | None
    department: str | None
    place: Place
    home_ip: str
    created: datetime
    language: str
    roles: list[str] = field(default_factory=list)
    devices: list[Device] = field(default_factory=list)
    federated: bool = False
    signs_in: bool = True
    activity: float = 1.0

    @property
    def windows_device(self) -> Device | None:
        return next((d for d in self.devices if d.platform == "Windows"), None)

    @property
    def mobile_device(self) -> Device | None:
        return next((d for d in self.devices if d.platform != "Windows"), None)


@dataclass(eq=False)
class Device:
    intune_id: str
    aad_id: str
    name: str
    owner: Person
    platform: str  # "Windows", "iOS", "Android"
    os_version: str
    sku_family: str
    join_type: str  # azureADJoined, hybridAzureADJoined, azureADRegistered
    compliance: str
    manufacturer: str
    model: str
    chassis: str
    serial: str
    mac: str
    imei: str
    eas_id: str
    enrolled: datetime
    last_sync: datetime
    management_agent: str
    enrollment_type: str
    label: str = ""

    @property
    def trust_type(self) -> str:
        return {
            "azureADJoined": "Azure AD joined",
            "hybridAzureADJoined": "Hybrid Azure AD joined",
            "azureADRegistered": "Azure AD registered",
        }[self.join_type]

    @property
    def is_compliant(self) -> bool:
        return self.compliance == "compliant"


@dataclass(eq=False)
class TapIssuance:
    user: Person
    issuer: Person
    issued: datetime
    lifetime: int
    usable_once: bool
    method_id: str
    deleted: datetime | None = None
    uses: list[datetime] = field(default_factory=list)


@dataclass(frozen=True)
class Risk:
    during: str
    aggregated: str
    state: str = "none"
    detail: str = "none"
    events: tuple[str, ...] = ()


@dataclass
class Expectations:
    """What the monitor must report for a tenant: rule -> subjects that fire, rules skipped (and why),
    and rules whose outcome depends on configurable thresholds. Every other rule must pass."""

    fires: dict[str, list[str]] = field(default_factory=dict)
    skipped: dict[str, str] = field(default_factory=dict)
    unasserted: dict[str, str] = field(default_factory=dict)

    def passes(self) -> list[str]:
        return [
            r for r in RULES if r not in self.fires and r not in self.skipped and r not in self.unasserted
        ]


@dataclass
class TenantDescription:
    """What the tests and the README need to know about a generated tenant."""

    name: str
    tenant_id: str
    display_name: str
    story: str
    domains: list[str]
    users: int
    signins: int
    pin_reset_signins: int
    tap_signins: int
    devices: int
    tap_user_ids: list[str]
    expectations: Expectations
    notes: dict[str, Any] = field(default_factory=dict)
    labels: dict[str, str] = field(default_factory=dict)  # subject ID -> what it is, for the README


class SerializedSignIn(NamedTuple):
    """A sign-in already rendered as its JSON line (load tenants), with what sorts it newest first."""

    created: str
    id: str
    line: bytes


class SerializedSignIns(list[SerializedSignIn]):
    """The sign-in log of a load tenant, newest first, as rendered lines."""


@dataclass
class GeneratedTenant:
    description: TenantDescription
    documents: dict[str, Any]  # snapshot-relative path -> JSON document


@dataclass(frozen=True)
class TenantSpec:
    name: str
    display_name: str
    story: str
    domain: str
    initial_domain: str
    country: str
    users: int
    devices: int  # Intune-managed devices; 0 with no Intune licence
    created: datetime
    street: str
    postal_code: str
    licence: str = "P2"  # "P2", "P1" or "Free"
    federation_host: str | None = None  # the users' domain is federated to this identity provider
    extra_domain: str | None = None  # a second verified domain, federated to extra_federation_host if set
    extra_federation_host: str | None = None
    pin_resets_per_day: float = 5.0
    noise_signins: int = 500
    noise_audits: int = 60
    windows_share: float = 0.8
    hybrid_share: float = 0.25
    days: int = WINDOW_DAYS
    # A twin (the same tenant at another moment) shares the IDs and the random history of this tenant.
    twin_of: str = ""

    @property
    def key(self) -> str:
        """What IDs and randomness derive from: the tenant's own name, or its twin's."""
        return self.twin_of or self.name
