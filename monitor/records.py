"""The monitor's own records of a tenant.

Collectors map Graph's answers into these; rules, stores and reports see nothing else. Every record is
frozen: a pass reads the tenant once and reasons over what it read.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Generic, Literal, TypeVar

from monitor.domain import PIN_RESET_APPS, ErrorClass, error_class

T = TypeVar("T")


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


class DataUnavailable(Exception):
    def __init__(self, problem: DataProblem) -> None:
        super().__init__(problem.reason)
        self.problem = problem


@dataclass(frozen=True, slots=True)
class Readout(Generic[T]):
    """One piece of tenant data as a pass read it: the value, or the problem that kept it away."""

    value: T | None = None
    problem: DataProblem | None = None

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
