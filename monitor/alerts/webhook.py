"""The generic webhook: a versioned JSON body (docs/webhook-schema-v1.json) signed with HMAC-SHA256.

The receiver recomputes `sha256=` + hex(HMAC-SHA256(key, raw body)) and compares it with the
`X-Monitor-Signature` header in constant time; `sentAt` in the signed body lets it refuse replays.
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any

import orjson

from monitor.rules.evidence import iso

SCHEMA_VERSION = "1"
SIGNATURE_HEADER = "X-Monitor-Signature"
DELIVERY_HEADER = "X-Monitor-Delivery"


def body(delivery_id: str, items: Sequence[Mapping[str, Any]], sent_at: datetime, digest: bool) -> bytes:
    document = {
        "schemaVersion": SCHEMA_VERSION,
        "source": "pin-reset-monitor",
        "deliveryId": delivery_id,
        "kind": "digest" if digest else "notification",
        "sentAt": iso(sent_at),
        "notifications": list(items),
    }
    return orjson.dumps(document)


def signature(key: bytes, raw: bytes) -> str:
    return "sha256=" + hmac.new(key, raw, hashlib.sha256).hexdigest()


def verify(key: bytes, raw: bytes, header: str) -> bool:
    return hmac.compare_digest(signature(key, raw), header)
