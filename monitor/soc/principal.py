"""The signed-in reviewer, as App Service built-in authentication (Easy Auth) hands it to the app: the
`X-MS-CLIENT-PRINCIPAL` header, Base64 of JSON {auth_typ, claims: [{typ, val}], name_typ, role_typ}
(Microsoft Learn, "Work with user identities in Azure App Service authentication"). App Service sets
the header itself and does not let external requests set it, but only where built-in authentication
is on: so the page trusts it only when infra/ says it turned Easy Auth on (MONITOR_SOC_EASY_AUTH=on).
"""

from __future__ import annotations

import base64
import binascii
from collections.abc import Mapping
from dataclasses import dataclass

import orjson

REVIEW_ROLE = "TapSignIn.Review"
HEADER = "x-ms-client-principal"
OBJECT_ID = "http://schemas.microsoft.com/identity/claims/objectidentifier"
MAX_HEADER = 16_384


@dataclass(frozen=True)
class Principal:
    name: str
    object_id: str
    roles: frozenset[str]
    identity_provider: str

    @property
    def may_review(self) -> bool:
        return REVIEW_ROLE in self.roles


class NotSignedIn(Exception):
    """No usable principal: the reason, in one line (the page answers 403 with it)."""


def principal_of(headers: Mapping[str, str]) -> Principal:
    lowered = {k.lower(): v for k, v in headers.items()}
    raw = lowered.get(HEADER, "").strip()
    if not raw:
        raise NotSignedIn("not signed in: App Service authentication passed no X-MS-CLIENT-PRINCIPAL")
    if len(raw) > MAX_HEADER:
        raise NotSignedIn("the X-MS-CLIENT-PRINCIPAL header is too large")
    try:
        document = orjson.loads(base64.b64decode(raw + "=" * (-len(raw) % 4), validate=False))
    except (binascii.Error, ValueError, orjson.JSONDecodeError):
        raise NotSignedIn("the X-MS-CLIENT-PRINCIPAL header is not Base64 JSON") from None
    if not isinstance(document, dict) or not isinstance(document.get("claims"), list):
        raise NotSignedIn("the X-MS-CLIENT-PRINCIPAL header holds no claims")
    name_typ = str(document.get("name_typ") or "name")
    role_typ = str(document.get("role_typ") or "roles")
    claims = [
        (str(c.get("typ", "")), str(c.get("val", ""))) for c in document["claims"] if isinstance(c, dict)
    ]
    names = [v for t, v in claims if t == name_typ] + [
        v for t, v in claims if t in ("preferred_username", "name")
    ]
    object_ids = [v for t, v in claims if t in (OBJECT_ID, "oid")]
    roles = frozenset(v for t, v in claims if t in (role_typ, "roles"))
    name = next((n for n in names if n.strip()), "")
    if not name:
        raise NotSignedIn("the principal has no name claim")
    return Principal(
        name=name.strip()[:256],
        object_id=(object_ids[0] if object_ids else "").strip()[:64],
        roles=roles,
        identity_provider=str(document.get("auth_typ", "")),
    )


def encode_principal(name: str, object_id: str, roles: tuple[str, ...]) -> str:
    """The header as Easy Auth sends it for a Microsoft Entra ID user (tests, the local front)."""
    name_typ = "http://schemas.xmlsoap.org/ws/2005/05/identity/claims/name"
    role_typ = "http://schemas.microsoft.com/ws/2008/06/identity/claims/role"
    claims = [
        {"typ": name_typ, "val": name},
        {"typ": "preferred_username", "val": name},
        {"typ": OBJECT_ID, "val": object_id},
        *({"typ": "roles", "val": role} for role in roles),
    ]
    document = {"auth_typ": "aad", "claims": claims, "name_typ": name_typ, "role_typ": role_typ}
    return base64.b64encode(orjson.dumps(document)).decode()
