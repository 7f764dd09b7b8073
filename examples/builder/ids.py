"""Deterministic IDs and Graph's time formats."""

from __future__ import annotations

import base64
import hashlib
import uuid
from datetime import UTC, datetime
from typing import Final

_NAMESPACE: Final = uuid.UUID("3b0e8a55-2f7c-5d1e-9c64-7a1f0d2b6e11")
_NAMESPACE_BYTES: Final = _NAMESPACE.bytes


def guid(*parts: object) -> str:
    """A deterministic GUID: uuid5 of the parts (tenant name, kind, index...).

    Computed as uuid.uuid5 does (SHA-1 of namespace and name, version 5, RFC 4122 variant) without building
    UUID objects: the load generator makes several per sign-in.
    """
    name = "/".join(str(part) for part in parts).encode()
    digest = bytearray(hashlib.sha1(_NAMESPACE_BYTES + name, usedforsecurity=False).digest()[:16])
    digest[6] = (digest[6] & 0x0F) | 0x50
    digest[8] = (digest[8] & 0x3F) | 0x80
    h = digest.hex()
    return f"{h[:8]}-{h[8:12]}-{h[12:16]}-{h[16:20]}-{h[20:]}"


def iso(moment: datetime) -> str:
    """Graph's whole-second UTC form, as sign-ins and most entities carry it: 2026-11-20T11:42:13Z."""
    if moment.tzinfo is not UTC:
        moment = moment.astimezone(UTC)
    return moment.replace(microsecond=0, tzinfo=None).isoformat() + "Z"


def iso7(moment: datetime) -> str:
    """The 7-fractional-digit form of directory audits and Intune: 2026-11-20T11:42:13.1234567Z."""
    moment = moment.astimezone(UTC)
    tick = (moment.microsecond * 7 + moment.second) % 10  # a stable 7th digit (.NET ticks)
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond:06d}{tick}Z"


def role_assignment_id(role_definition_id: str, principal_id: str) -> str:
    """Directory role assignment IDs: base64url of the role's and the principal's GUID bytes, then '-1'."""
    raw = uuid.UUID(role_definition_id).bytes_le + uuid.UUID(principal_id).bytes_le
    return base64.urlsafe_b64encode(raw).decode().rstrip("=") + "-1"


def _token_id(value: str) -> str:
    """uniqueTokenIdentifier: 22 characters of base64url, as Entra writes it."""
    return base64.urlsafe_b64encode(bytes.fromhex(value.replace("-", ""))).decode().rstrip("=")
