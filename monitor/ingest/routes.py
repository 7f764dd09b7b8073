"""What every ingestion route checks before anything is stored, in the order it checks it.

1. The key. In Azure the Functions host checks the function key (auth_level FUNCTION) before this code
   runs; what is left to check here is that a key came with the request at all (401) and, when
   MONITOR_INGEST_KEY_SHA256 lists digests, that it is one of those keys (403).
2. The size: past MONITOR_INGEST_MAX_BODY_BYTES is a 413, decided before the body is parsed.
3. JSON, then the route's published schema (docs/schemas/), then what the schema cannot say: a 400
   with the reason.

Only a body that passed all of them reaches storage, so a rejected body costs no storage round trip
and stores nothing.
"""

from __future__ import annotations

import codecs
import hashlib
import hmac
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import orjson

from monitor.ingest.schemas import SchemaName, violation
from monitor.service.answer import Answer, refused
from monitor.settings import Settings

KEY_HEADER = "x-functions-key"
KEY_PARAM = "code"


@dataclass(frozen=True)
class Accepted:
    """A body that passed the route's checks: the parsed document."""

    document: Any


def _header(headers: Mapping[str, str], name: str) -> str:
    value = headers.get(name)
    if value is None:
        value = next((v for k, v in headers.items() if k.lower() == name), None)
    return value or ""


def check_key(headers: Mapping[str, str], params: Mapping[str, str], settings: Settings) -> Answer | None:
    key = _header(headers, KEY_HEADER) or params.get(KEY_PARAM, "")
    if not key:
        return refused(401, f"no key: send the function key in the {KEY_HEADER} header or the code parameter")
    if settings.ingest_key_sha256:
        digest = hashlib.sha256(key.encode("utf-8", "surrogatepass")).hexdigest()
        if not any(hmac.compare_digest(digest, allowed) for allowed in settings.ingest_key_sha256):
            return refused(403, "this key is not allowed to post to this route")
    return None


_BOMS = ((codecs.BOM_UTF8, "utf-8"), (codecs.BOM_UTF16_LE, "utf-16-le"), (codecs.BOM_UTF16_BE, "utf-16-be"))


def _utf8(body: bytes) -> bytes | Answer:
    """The body as UTF-8. JSON is UTF-8 (RFC 8259), but a file saved on Windows may carry a byte order
    mark, and Windows PowerShell 5.1 saves UTF-16 with one: such a body is decoded by its mark."""
    for bom, encoding in _BOMS:
        if body.startswith(bom):
            try:
                return body[len(bom) :].decode(encoding).encode("utf-8")
            except UnicodeError:  # a lone surrogate, or an odd number of bytes
                return refused(
                    400,
                    f"body starts with a {encoding.upper()} byte order mark but is not {encoding.upper()}",
                )
    if len(body) >= 4 and (body[1::2][:2] == b"\0\0" or body[0::2][:2] == b"\0\0"):
        return refused(400, "body is UTF-16 without a byte order mark: send UTF-8 (or UTF-16 with its BOM)")
    return body


def check_body(
    headers: Mapping[str, str], body: bytes, settings: Settings, schema: SchemaName
) -> Answer | Accepted:
    limit = settings.ingest_max_body_bytes
    declared = _header(headers, "content-length")
    # ASCII digits only: "²" passes str.isdigit() but not int().
    if (declared.isascii() and declared.isdigit() and int(declared) > limit) or len(body) > limit:
        return refused(413, f"body larger than {limit} bytes")
    text = _utf8(body)
    if isinstance(text, Answer):
        return text
    if not text.strip():
        return refused(400, "empty body: send a JSON object")
    try:
        document = orjson.loads(text)
    except orjson.JSONDecodeError as exc:
        return refused(400, f"body is not JSON: {str(exc)[:200]}")
    reason = violation(schema, document)
    if reason is not None:
        return refused(400, reason)
    return Accepted(document)
