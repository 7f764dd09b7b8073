"""Onboarding a customer tenant: the admin-consent URL its admin opens, and a check of what the tenant
lets the monitor read.

`consent_url(app_id, tenant_id)` is the tenant-wide admin consent URL of Microsoft's "Grant tenant-wide
admin consent to an application" (`https://login.microsoftonline.com/{tenant}/adminconsent?client_id=`);
with a redirect URI it is the v2 admin consent endpoint of "Admin consent on the Microsoft identity
platform" (`.../{tenant}/v2.0/adminconsent?client_id=...&scope=https://graph.microsoft.com/.default
&redirect_uri=...`), where `/.default` asks for every application permission the app registration
lists, which is how app permissions must be requested there.

`await check(settings, tenant_id)` asks a token in the tenant first: Entra's refusal is classified
(`AccessProblem`: not consented, app disabled, consent revoked, tenant not found, provider's credential
misconfigured, transient). With a token it probes each permission of the manifest that a customer
tenant grants (monitor.permissions, without those only a setting turns on, such as Mail.Send for alert
mail) with one cheap read that needs it, through msgraph-sdk, and says per permission granted, refused
(with Graph's error code) or unknown (throttled, unavailable, network, no licence to tell), and which
rules and features would be skipped and why. The result holds no token and no secret.

A probe shows that the read the monitor does works, whichever permission allows it: an admin who granted
a higher privileged permission (Directory.Read.All covers Domain.Read.All's reads) sees "granted".
"""

from __future__ import annotations

import asyncio
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any, Literal
from urllib.parse import quote, urlencode

from azure.core.exceptions import AzureError, ClientAuthenticationError
from msgraph.generated.models.o_data_errors.o_data_error import ODataError

from monitor import sources
from monitor.graph.credentials import GRAPH_SCOPE
from monitor.graph.errors import GraphReadError
from monitor.permissions import PermissionNeed, needs
from monitor.rules import load_catalog
from monitor.settings import Settings
from monitor.tenants.credential import customer_tenant_id, tenant_credential
from monitor.tenants.settings import MspSettings, guid

if TYPE_CHECKING:
    from monitor.graph.session import GraphSession

LOGIN = "https://login.microsoftonline.com"

AccessProblem = Literal[
    "not_consented",
    "app_disabled",
    "consent_revoked",
    "tenant_not_found",
    "provider_misconfigured",
    "transient",
]
"""Why the monitor cannot read a tenant at all; what quarantine keys on.

- `not_consented`: the app has no service principal in the tenant (AADSTS7000229, AADSTS700016,
  AADSTS65001) and the tenant was never checked as consented; or every read is refused. The customer's
  admin opens the consent URL.
- `consent_revoked`: the same answers from a tenant that was consented before: its admin deleted the
  enterprise app or revoked the permissions. Quarantine, alert the provider; only the customer can undo it.
- `app_disabled`: the enterprise app is there but disabled in the tenant (AADSTS7000112).
- `tenant_not_found`: no such tenant (AADSTS90002): a typo, or a deleted tenant.
- `provider_misconfigured`: Entra refused the provider's own federated credential (AADSTS70021,
  AADSTS700211, AADSTS700212, AADSTS700213: no matching federated identity record). Every tenant fails
  the same way, so this is the provider's to fix and no reason to quarantine one customer.
- `transient`: the token endpoint or the network failed, or every probe was throttled; try again.
"""

TenantAccess = Literal["ready", "partial"] | AccessProblem
PermissionState = Literal["granted", "refused", "unknown"]

# AADSTS numbers from Microsoft's "Microsoft Entra authentication and authorization error codes"
# (https://learn.microsoft.com/entra/identity-platform/reference-error-codes).
_NO_SERVICE_PRINCIPAL = frozenset({7000229, 700016, 65001})
_APP_DISABLED = frozenset({7000112})
_TENANT_NOT_FOUND = frozenset({90002})
_FEDERATION = frozenset({70021, 700211, 700212, 700213})
_AADSTS = re.compile(r"AADSTS(\d+)")
_LICENCE_CODES = frozenset({"Authentication_RequestFromNonPremiumTenantOrB2CTenant"})


def consent_url(app_id: str, tenant_id: str, redirect: str | None = None, state: str | None = None) -> str:
    """The URL the customer's admin opens to grant the app its permissions in tenant `tenant_id`.

    Without `redirect`: the tenant-wide admin consent URL (Entra shows the result page itself). With
    `redirect` (a redirect URI registered on the app): the v2 admin consent endpoint, which sends the
    admin back there with `admin_consent=True&tenant=...` or an error. ValueError for a non-GUID ID.
    """
    app = guid(app_id)
    if app is None:
        raise ValueError(f"the app ID must be the app registration's client ID (a GUID), got {app_id[:60]!r}")
    tenant = customer_tenant_id(tenant_id)
    if not redirect:
        return f"{LOGIN}/{tenant}/adminconsent?client_id={app}"
    query = {"client_id": app, "scope": f"{GRAPH_SCOPE}", "redirect_uri": redirect}
    if state:
        query["state"] = state
    return f"{LOGIN}/{tenant}/v2.0/adminconsent?{urlencode(query, quote_via=quote, safe=':/')}"


def aadsts_code(message: str) -> int | None:
    """The first AADSTS number in an Entra error message, or None."""
    found = _AADSTS.search(message)
    return int(found.group(1)) if found else None


def classify_refusal(message: str, *, was_consented: bool = False) -> AccessProblem:
    """The class of a token refusal, from Entra's message (`ClientAuthenticationError`'s text)."""
    code = aadsts_code(message)
    if code in _NO_SERVICE_PRINCIPAL:
        return "consent_revoked" if was_consented else "not_consented"
    if code in _APP_DISABLED:
        return "app_disabled"
    if code in _TENANT_NOT_FOUND:
        return "tenant_not_found"
    if code in _FEDERATION:
        return "provider_misconfigured"
    return "transient"


def entra_reason(message: str) -> str:
    """Entra's refusal without its trace, correlation IDs and timestamp, on one line."""
    text = " ".join(message.split())
    start = text.find("AADSTS")
    text = text[start:] if start >= 0 else text
    return text.split(" Trace ID:")[0].strip()[:300]


@dataclass(frozen=True)
class Probe:
    """One cheap read that needs `permission`: `path` (version/path) with `query`."""

    permission: str
    version: str
    path: str  # "{id}" stands for a user of the tenant
    query: Mapping[str, str] = field(default_factory=dict)

    def describe(self) -> str:
        return f"GET {self.version}/{self.path}"


PROBES: dict[str, Probe] = {
    probe.permission: probe
    for probe in (
        Probe("Application.Read.All", "v1.0", "servicePrincipals", {"$top": "1", "$select": "id"}),
        Probe("AuditLog.Read.All", "v1.0", "auditLogs/directoryAudits", {"$top": "1"}),
        Probe(
            "DeviceManagementConfiguration.Read.All",
            "beta",
            "deviceManagement/deviceConfigurations",
            {"$top": "1", "$select": "id"},
        ),
        Probe(
            "DeviceManagementManagedDevices.Read.All",
            "beta",
            "deviceManagement/managedDevices",
            {"$top": "1", "$select": "id"},
        ),
        # What every pass reads first, and the tenant's display name.
        Probe("Directory.Read.All", "v1.0", "organization", {"$select": "id,displayName"}),
        Probe("Domain.Read.All", "v1.0", "domains", {"$select": "id"}),
        Probe(
            "Policy.Read.AuthenticationMethod",
            "v1.0",
            "policies/authenticationMethodsPolicy/authenticationMethodConfigurations/TemporaryAccessPass",
        ),
        Probe(
            "RoleManagement.Read.Directory",
            "v1.0",
            "roleManagement/directory/roleAssignments",
            {"$top": "1", "$select": "id"},
        ),
        Probe("UserAuthenticationMethod.Read.All", "v1.0", "users/{id}/authentication/methods"),
        Probe("UserAuthMethod-TAP.Read.All", "v1.0", "users/{id}/authentication/temporaryAccessPassMethods"),
    )
}
# A user ID no tenant has: when no user can be listed, the methods probes ask for it, and Graph answers
# 404 when the read is allowed and 403 when it is not.
_NO_USER = "00000000-0000-0000-0000-000000000000"


def customer_permissions() -> list[PermissionNeed]:
    """The manifest's permissions a customer tenant grants: all but those only a setting turns on
    (Mail.Send sends alert mail from the provider's own mailbox, never from a customer's tenant)."""
    return [need for need in needs() if need.condition is None]


@dataclass(frozen=True)
class PermissionCheck:
    permission: str
    state: PermissionState
    probe: str  # "GET v1.0/domains"
    status: int | None = None  # Graph's HTTP status, None when no answer came
    code: str = ""  # Graph's error code
    reason: str = ""

    def to_json(self) -> dict[str, Any]:
        return {
            "permission": self.permission,
            "state": self.state,
            "probe": self.probe,
            "status": self.status,
            "code": self.code or None,
            "reason": self.reason,
        }


@dataclass(frozen=True)
class SkippedUse:
    """A rule or feature that needs a permission the tenant refused (or that could not be checked)."""

    name: str  # the rule ID, or the feature's description
    kind: Literal["rule", "feature"]
    permissions: tuple[str, ...]
    certain: bool  # False: only "unknown" permissions stand in its way
    reason: str

    def to_json(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "kind": self.kind,
            "permissions": list(self.permissions),
            "certain": self.certain,
            "reason": self.reason,
        }


@dataclass(frozen=True)
class TenantCheck:
    """What one customer tenant lets the monitor read, at `checked_at`."""

    tenant_id: str
    access: TenantAccess
    checked_at: datetime
    display_name: str = ""
    problem_reason: str = ""  # Entra's refusal (AADSTS code and sentence) when access is a problem
    permissions: tuple[PermissionCheck, ...] = ()
    skipped: tuple[SkippedUse, ...] = ()
    # The admin-consent URL, when the customer's admin has something to grant (consent given again with
    # /.default grants every permission the app lists, the missing ones included).
    consent_url: str = ""

    @property
    def problem(self) -> AccessProblem | None:
        access = self.access
        if access == "ready" or access == "partial":
            return None
        return access

    def to_text(self) -> str:
        """The check for a person: the verdict, each permission, what is skipped, what to do."""
        name = f" ({self.display_name})" if self.display_name else ""
        lines = [f"tenant {self.tenant_id}{name}: {self.access}"]
        if self.problem_reason:
            lines.append(f"  {self.problem_reason}")
        width = max((len(p.permission) for p in self.permissions), default=0)
        for check in self.permissions:
            said = f" {check.code or check.status}" if check.state != "granted" else ""
            why = f": {check.reason}" if check.state != "granted" and check.reason else ""
            lines.append(f"  {check.permission:<{width}}  {check.state}{said}{why}")
        for use in self.skipped:
            certainty = "skipped" if use.certain else "may be skipped"
            lines.append(f"  {use.kind} {use.name} {certainty}: {use.reason}")
        if self.consent_url:
            lines.append(f"  the customer's admin grants what is missing at: {self.consent_url}")
        return "\n".join(lines) + "\n"

    def to_json(self) -> dict[str, Any]:
        return {
            "tenant": self.tenant_id,
            "displayName": self.display_name or None,
            "access": self.access,
            "problem": self.problem,
            "reason": self.problem_reason or None,
            "checkedAt": self.checked_at.astimezone(UTC).isoformat().replace("+00:00", "Z"),
            "permissions": [p.to_json() for p in self.permissions],
            "skippedRules": [s.to_json() for s in self.skipped if s.kind == "rule"],
            "skippedFeatures": [s.to_json() for s in self.skipped if s.kind == "feature"],
            "consentUrl": self.consent_url or None,
        }


def _odata_cause(exc: BaseException) -> ODataError | None:
    cause = exc.__cause__
    return cause if isinstance(cause, ODataError) else None


def _answered(permission: str, probe: str, exc: GraphReadError) -> PermissionCheck:
    """A probe's error answer, as a permission state."""
    cause = _odata_cause(exc)
    code = cause.error.code if cause is not None and cause.error and cause.error.code else ""
    message = cause.error.message if cause is not None and cause.error and cause.error.message else ""
    status = exc.status
    if status == 404:
        return PermissionCheck(permission, "granted", probe, 404, code, "the read is allowed (nothing there)")
    licence = code in _LICENCE_CODES or "not applicable to target tenant" in message.lower()
    if licence:
        return PermissionCheck(
            permission,
            "unknown",
            probe,
            status,
            code,
            f"the tenant lacks the licence this read needs: {message}",
        )
    if status == 403:
        return PermissionCheck(permission, "refused", probe, status, code, message or "forbidden")
    if status == 401:
        return PermissionCheck(permission, "refused", probe, status, code, message or "token refused")
    return PermissionCheck(permission, "unknown", probe, status, code, exc.reason[:300])


def _skipped(checks: Iterable[PermissionCheck], wanted: list[PermissionNeed]) -> tuple[SkippedUse, ...]:
    by_name = {check.permission: check for check in checks}

    def blocked(names: Iterable[str]) -> tuple[list[PermissionCheck], list[PermissionCheck]]:
        found = [by_name[name] for name in names if name in by_name]
        return [c for c in found if c.state == "refused"], [c for c in found if c.state == "unknown"]

    def reason(refused: list[PermissionCheck], unknown: list[PermissionCheck]) -> str:
        parts = [f"{c.permission} refused ({c.code or c.status})" for c in refused]
        parts += [f"{c.permission} not checked ({c.reason or c.code or c.status})" for c in unknown]
        return "needs " + "; ".join(parts)

    uses: list[SkippedUse] = []
    for entry in load_catalog():
        refused, unknown = blocked(sources.permissions_of(entry.rule.reads))
        if refused or unknown:
            names = tuple(c.permission for c in refused + unknown)
            uses.append(SkippedUse(entry.rule.id, "rule", names, bool(refused), reason(refused, unknown)))
    features: dict[str, list[str]] = {}
    for need in wanted:
        for feature in need.features:
            features.setdefault(feature, []).append(need.name)
    for feature, permissions in features.items():
        refused, unknown = blocked(permissions)
        if refused or unknown:
            names = tuple(c.permission for c in refused + unknown)
            uses.append(SkippedUse(feature, "feature", names, bool(refused), reason(refused, unknown)))
    return tuple(uses)


def _overall(checks: tuple[PermissionCheck, ...], was_consented: bool) -> TenantAccess:
    states = {check.state for check in checks}
    if states == {"granted"}:
        return "ready"
    if states == {"refused"}:
        return "consent_revoked" if was_consented else "not_consented"
    if states == {"unknown"}:
        return "transient"
    return "partial"


async def check(
    settings: Settings,
    tenant_id: str,
    *,
    msp: MspSettings | None = None,
    was_consented: bool = False,
    now: datetime | None = None,
) -> TenantCheck:
    """Probe what tenant `tenant_id` grants, through its own credential and Graph session.

    `was_consented`: the tenant passed a check before, so a missing service principal means consent
    was revoked rather than never given. Raises ValueError for a tenant ID that is not a GUID and
    SettingsError when the deployment has no way to reach customer tenants; everything the tenant or
    Graph answers is in the result.
    """
    from monitor.graph.session import GraphSession

    tenant = customer_tenant_id(tenant_id)
    checked_at = now or datetime.now(UTC)
    msp = msp if msp is not None else settings.msp
    grant_url = consent_url(msp.app_id, tenant, msp.consent_redirect_uri or None) if msp.enabled else ""
    credential = tenant_credential(settings, tenant, msp)
    async with GraphSession(settings, credential=credential) as graph:
        try:
            await credential.get_token(GRAPH_SCOPE)
        except ClientAuthenticationError as exc:
            message = str(exc.message or exc)
            refusal = classify_refusal(message, was_consented=was_consented)
            return TenantCheck(
                tenant,
                refusal,
                checked_at,
                problem_reason=entra_reason(message),
                consent_url=grant_url if refusal in ("not_consented", "consent_revoked") else "",
            )
        except AzureError as exc:
            return TenantCheck(
                tenant, "transient", checked_at, problem_reason=f"token request failed ({type(exc).__name__})"
            )
        wanted = customer_permissions()
        probes = [PROBES[need.name] for need in wanted if need.name in PROBES]
        user = await _first_user(graph)
        display_name = ""

        async def run(probe: Probe) -> PermissionCheck:
            nonlocal display_name
            path = probe.path.replace("{id}", quote(user or _NO_USER, safe=""))
            target = graph.url(probe.version, path, probe.query or None)
            source = f"{probe.version}/{probe.path}"
            try:
                document = await graph.entity(target, source=source, permission=probe.permission)
            except GraphReadError as exc:
                return _answered(probe.permission, probe.describe(), exc)
            if probe.path == "organization":
                display_name = _organization_name(document)
            return PermissionCheck(probe.permission, "granted", probe.describe(), 200)

        checks = await asyncio.gather(*(run(probe) for probe in probes))
        unprobed = [
            PermissionCheck(need.name, "unknown", "", reason="the monitor has no probe for this permission")
            for need in wanted
            if need.name not in PROBES
        ]
    results = tuple(sorted((*checks, *unprobed), key=lambda c: c.permission.lower()))
    refused = any(result.state == "refused" for result in results)
    return TenantCheck(
        tenant,
        _overall(results, was_consented),
        checked_at,
        display_name=display_name,
        permissions=results,
        skipped=_skipped(results, wanted),
        consent_url=grant_url if refused else "",
    )


async def _first_user(graph: GraphSession) -> str:
    """A user of the tenant for the methods probes; "" when none can be listed (they then ask for a
    user no tenant has, which Graph answers 404 when the read is allowed)."""
    target = graph.url("v1.0", "users", {"$top": "1", "$select": "id"})
    try:
        document = await graph.entity(target, source="v1.0/users", permission="Directory.Read.All")
    except GraphReadError:
        return ""
    users = document.get("value")
    if isinstance(users, list) and users and isinstance(users[0], dict):
        return str(users[0].get("id") or "")
    return ""


def _organization_name(document: Mapping[str, Any]) -> str:
    organizations = document.get("value")
    if isinstance(organizations, list) and organizations and isinstance(organizations[0], dict):
        return str(organizations[0].get("displayName") or "")
    return ""
