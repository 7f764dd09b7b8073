"""Access tokens as the simulator reads and issues them: JWT-shaped, unsigned, never verified.

A real Microsoft Entra access token for Graph is a JWT whose claims name the tenant it was issued in
(`tid`) and the client application that asked for it (`appid` in v1.0 tokens, `azp` in v2.0 ones):
Microsoft's "Access token claims reference". The simulator chooses the tenant snapshot by `tid` and
counts the report throttle per app by `appid`/`azp`, as Graph does.

The tokens here are signed with nothing (`"alg": "none"`, empty signature) and the simulator never
checks a signature, an audience or an expiry: it only models which tenant and which app a request
comes from. They are worthless anywhere but the simulator, which is all they are for.
"""

from __future__ import annotations

import base64
import binascii
import time
from dataclasses import dataclass
from typing import Any

import orjson

GRAPH_AUDIENCE = "https://graph.microsoft.com"
# The client ID the simulator's token endpoint and SimulatorCredential use when none is given: a fixed,
# made-up GUID (no real app registration has it).
SIMULATOR_APP_ID = "5e3ce6c0-2b1f-4285-8d4b-75ee78787346"
TOKEN_LIFETIME_SECONDS = 3599


@dataclass(frozen=True)
class TokenClaims:
    """What the simulator reads from a token: the tenant and the client application."""

    tenant: str
    app: str


def _b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def make_token(
    tenant: str,
    app: str = SIMULATOR_APP_ID,
    *,
    roles: tuple[str, ...] = (),
    lifetime_seconds: int = TOKEN_LIFETIME_SECONDS,
    now: float | None = None,
) -> str:
    """An unsigned app-only access token for Graph, shaped as Entra's v1.0 tokens are."""
    issued = int(time.time() if now is None else now)
    header = {"typ": "JWT", "alg": "none"}
    claims: dict[str, Any] = {
        "aud": GRAPH_AUDIENCE,
        "iss": f"https://sts.windows.net/{tenant}/",
        "iat": issued,
        "nbf": issued,
        "exp": issued + lifetime_seconds,
        "appid": app,
        "idtyp": "app",
        "roles": list(roles),
        "tid": tenant,
        "ver": "1.0",
    }
    return f"{_b64url(orjson.dumps(header))}.{_b64url(orjson.dumps(claims))}."


def read_token(token: str) -> TokenClaims | None:
    """The tenant and app of a JWT-shaped token; None for anything else (an opaque or broken token,
    or one without a `tid`). The signature, audience and expiry are not checked."""
    parts = token.strip().split(".")
    if len(parts) != 3:
        return None
    payload = parts[1]
    try:
        claims = orjson.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    except (binascii.Error, ValueError):
        return None
    if not isinstance(claims, dict):
        return None
    tenant = claims.get("tid")
    app = claims.get("appid", claims.get("azp", ""))
    if not isinstance(tenant, str) or not tenant or not isinstance(app, str):
        return None
    return TokenClaims(tenant=tenant.lower(), app=app.lower())
