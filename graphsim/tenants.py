"""Many tenants in one simulator, and Microsoft Entra's token endpoint as the simulator models it.

A multitenant app reads a customer tenant with a token issued in that tenant: the credential asks
`POST https://login.microsoftonline.com/{tenant}/oauth2/v2.0/token` (client credentials) and Entra
issues a JWT whose `tid` is the tenant and whose `appid`/`azp` is the app. Where Entra refuses is the
token step: an app with no service principal in the tenant (never consented there, or its enterprise
app deleted, which removes the consent) gets AADSTS7000229 ("The client application ... is missing
service principal in the tenant ...", `invalid_client`, 401), an app whose enterprise app is disabled
there gets AADSTS7000112 ("Application is disabled", `unauthorized_client`); see Microsoft's
"Microsoft Entra authentication and authorization error codes". An app whose permissions were revoked
but whose enterprise app remains still gets a token, without roles, and Graph answers each request
403 `Authorization_RequestDenied`.

So the simulator refuses at both steps:
- its token endpoint (`POST /{tenant}/oauth2/v2.0/token` on the simulator's own address) answers as
  above for a tenant it does not serve, or one marked "revoked" or "disabled";
- Graph answers 401 `InvalidAuthenticationToken` to a token for a tenant it does not serve or that is
  marked "revoked" or "disabled" (a token minted without the token endpoint, or issued before the
  change: real Entra lets an issued token live until it expires, about an hour; the simulator ends it
  at once, so that tests need not wait), and 403 to a tenant marked "permissions-removed".

A tenant can also grant the app only some of its permissions (`set_permissions`, or
`"grantedPermissions"` in its `_simulator.json`): its tokens carry those in `roles`, and Graph answers
403 `Authorization_RequestDenied` to each request that none of them allows (permissions.py), as it
answers an app whose admin consented to fewer permissions than the app asks for.
"""

from __future__ import annotations

import re
import threading
import time
import uuid
from collections.abc import Iterable, Mapping
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from os import PathLike
from pathlib import Path
from typing import Any, Literal, cast
from urllib.parse import parse_qs

from graphsim import permissions
from graphsim.engine import GraphEngine
from graphsim.errors import GraphError, SnapshotError
from graphsim.snapshot import TENANT_STATES, Snapshot
from graphsim.tokens import SIMULATOR_APP_ID, TOKEN_LIFETIME_SECONDS, make_token

TenantState = Literal["consented", "revoked", "disabled", "permissions-removed"]
TOKEN_PATH = re.compile(r"^/([^/]+)/oauth2/v2\.0/token/?$", re.IGNORECASE)


class ServedTenant:
    """One tenant's snapshot and engine, and what its admin did to the app."""

    def __init__(self, tenant_id: str, snapshot: Snapshot) -> None:
        self.tenant_id = tenant_id.lower()
        self.snapshot = snapshot
        self.engine = GraphEngine(snapshot)
        self._state: str | None = None  # set here; else what `_simulator.json` says
        # Permissions the admin granted, set here; else `_simulator.json`'s; None: all the app asks.
        self._granted: frozenset[str] | None = None
        self._granted_set = False
        self._lock = threading.Lock()

    @property
    def state(self) -> TenantState:
        with self._lock:
            state = self._state
        return cast(TenantState, state if state is not None else self.snapshot.config().consent)

    def set_state(self, state: str) -> None:
        if state not in TENANT_STATES:
            raise ValueError(f"tenant state must be one of {', '.join(TENANT_STATES)}, not {state!r}")
        with self._lock:
            self._state = state

    @property
    def granted(self) -> frozenset[str] | None:
        """The application permissions the tenant's admin granted the app; None: all it asks for."""
        with self._lock:
            if self._granted_set:
                return self._granted
        return self.snapshot.config().granted_permissions

    def set_permissions(self, granted: Iterable[str] | None) -> None:
        """Grant the app only `granted` (permission names, e.g. "AuditLog.Read.All"); None grants
        all it asks for again."""
        names = None if granted is None else frozenset(str(name).strip() for name in granted)
        if names is not None and not all(names):
            raise ValueError("a granted permission name is empty")
        with self._lock:
            self._granted = names
            self._granted_set = True

    def graph_refusal(self, path: str = "") -> GraphError | None:
        """What Graph answers a token of this tenant for `path`, given its state and the permissions
        its admin granted; None when it is served."""
        state = self.state
        if state in ("revoked", "disabled"):
            return GraphError(
                401,
                "InvalidAuthenticationToken",
                "Access token validation failure.",
                {"WWW-Authenticate": 'Bearer realm=""'},
            )
        granted = self.granted
        if state == "permissions-removed" or (granted is not None and not permissions.allowed(path, granted)):
            return GraphError(
                403, "Authorization_RequestDenied", "Insufficient privileges to complete the operation."
            )
        return None

    def as_dict(self) -> dict[str, Any]:
        granted = self.granted
        return {
            "tenant": self.tenant_id,
            "state": self.state,
            "snapshot": str(self.snapshot.root),
            "granted": None if granted is None else sorted(granted),
        }


def load_tenants(
    tenants: Mapping[str, str | PathLike[str]] | str | PathLike[str], large_file_bytes: int
) -> dict[str, ServedTenant]:
    """Tenant ID (lower case) -> its snapshot, from a mapping or from a parent directory whose
    subdirectories (other than those starting with "." or "_") are tenant snapshots named by ID."""
    if isinstance(tenants, Mapping):
        directories = {str(tenant_id): Path(path) for tenant_id, path in tenants.items()}
    else:
        parent = Path(tenants)
        if not parent.is_dir():
            raise SnapshotError(f"tenants directory {parent} does not exist or is not a directory")
        directories = {
            child.name: child
            for child in sorted(parent.iterdir())
            if child.is_dir() and not child.name.startswith((".", "_"))
        }
    if not directories:
        raise SnapshotError("the simulator was given no tenants to serve")
    served: dict[str, ServedTenant] = {}
    for tenant_id, directory in directories.items():
        key = tenant_id.strip().lower()
        if not key or "/" in key:
            raise SnapshotError(f"tenant ID {tenant_id!r} is not usable")
        if key in served:
            raise SnapshotError(f"tenant {tenant_id} is given twice")
        try:
            snapshot = Snapshot(directory, large_file_bytes=large_file_bytes)
        except SnapshotError as exc:
            raise SnapshotError(f"tenant {tenant_id}: {exc}") from exc
        served[key] = ServedTenant(key, snapshot)
    return served


@dataclass(frozen=True)
class TokenRecord:
    """One request to the token endpoint: for which tenant and app, and the answer."""

    tenant: str
    app: str
    status: int
    error_code: int | None  # the AADSTS number of a refusal
    time: float = field(default_factory=time.time)

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def parse_token_form(body: bytes) -> dict[str, str]:
    """The form of a token request (`application/x-www-form-urlencoded`), one value per name."""
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError:
        return {}
    return {name: values[0] for name, values in parse_qs(text, keep_blank_values=True).items()}


def _entra_error(status: int, error: str, code: int, description: str) -> tuple[int, dict[str, Any]]:
    trace_id, correlation_id = str(uuid.uuid4()), str(uuid.uuid4())
    now = datetime.now(UTC).strftime("%Y-%m-%d %H:%M:%SZ")
    return status, {
        "error": error,
        "error_description": (
            f"AADSTS{code}: {description} Trace ID: {trace_id} Correlation ID: {correlation_id} "
            f"Timestamp: {now}"
        ),
        "error_codes": [code],
        "timestamp": now,
        "trace_id": trace_id,
        "correlation_id": correlation_id,
        "error_uri": f"https://login.microsoftonline.com/error?code={code}",
    }


def token_answer(
    tenant_id: str, form: Mapping[str, str], served: ServedTenant | None
) -> tuple[int, dict[str, Any], TokenRecord]:
    """Entra's answer to a client-credentials token request for `tenant_id` (`served` is the tenant
    the simulator serves under that ID, None when it serves none)."""
    app = (form.get("client_id") or SIMULATOR_APP_ID).lower()
    tenant = tenant_id.lower()
    status: int
    answer: dict[str, Any]
    code: int | None = None
    if form.get("grant_type") != "client_credentials":
        code = 70003
        status, answer = _entra_error(
            400, "unsupported_grant_type", code, "The app requested an unsupported grant type."
        )
    elif served is None or served.state == "revoked":
        code = 7000229
        status, answer = _entra_error(
            401,
            "invalid_client",
            code,
            f"The client application {app} is missing service principal in the tenant {tenant}.",
        )
    elif served.state == "disabled":
        code = 7000112
        status, answer = _entra_error(400, "unauthorized_client", code, f"Application '{app}' is disabled.")
    else:
        status = 200
        answer = {
            "token_type": "Bearer",
            "expires_in": TOKEN_LIFETIME_SECONDS,
            "ext_expires_in": TOKEN_LIFETIME_SECONDS,
            "access_token": make_token(tenant, app, roles=tuple(sorted(served.granted or ()))),
        }
    return status, answer, TokenRecord(tenant, app, status, code)
