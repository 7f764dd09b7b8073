"""Entra ID resource-log records (a diagnostic setting's stream to an Event Hub) as the poll's records.

Each Event Hub event body is `{"records": [...]}`; each record has `time`, `category`, `tenantId` and
`properties`, the Graph-like sign-in or directory audit (Microsoft Learn: "Interpret the Microsoft Entra
sign-in logs schema in Azure Monitor" and "... audit logs schema ..."). `properties` is close to Graph's
object but not the same, so it is brought to Graph's shape before the poll's own mappers read it:

- there is no `signInEventTypes`: the category says which kind a sign-in is (SignInLogs holds
  interactive sign-ins, NonInteractiveUserSignInLogs the others);
- `createdDateTime` carries an offset and seven fractional digits (`...5522137+00:00`);
- a record may lack a property the envelope holds: the time (`time`), the result code (`resultType`,
  a string), the caller's address (`callerIpAddress`) and the correlation ID;
- an audit's `result` is a plain string ("success"), not an object.

Each record stands alone: one that cannot be read or stored (a tenant ID that is not a GUID, a result
code that is not a number Table Storage holds, a time outside what it keeps, an ID too long to be a
key, a text longer than any Entra writes, nesting deeper than any real record) is counted with its
reason, and the rest are kept.

The same mappers (`pin_reset_signin`, `tap_signin`, `tap_issuance`) then produce the same records the
poll produces, keyed by the same sign-in and audit IDs, so a sign-in seen by both is stored once.
"""

from __future__ import annotations

import dataclasses
import re
from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, Final

import orjson

from monitor.collectors.fields import obj, text
from monitor.collectors.signins import pin_reset_signin
from monitor.collectors.tap import TAP_ISSUED, tap_issuance, tap_signin, uses_tap
from monitor.entra import PIN_RESET_APPS
from monitor.ingest.errors import RejectedBody
from monitor.ingest.schemas import violation
from monitor.records import PinResetSignIn, TapIssuance, TapSignIn

SIGNIN_CATEGORIES: Final = {
    "SignInLogs": "interactiveUser",
    "NonInteractiveUserSignInLogs": "nonInteractiveUser",
}
AUDIT_CATEGORY: Final = "AuditLogs"
_TENANT_IN_RESOURCE = re.compile(r"^/tenants/([0-9A-Fa-f-]{36})/", re.ASCII)
_GUID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}", re.ASCII)
_KEEP_REASONS = 10
# What a stored record must fit: sign-in and audit IDs are keys (Table Storage: at most 1 KiB, and an
# escaped character takes three), result codes are Int64 properties, and times are kept from 1601 to
# 9999; a log record from before 1970 or after 9000 is an error in the record, not a sign-in.
MAX_ID = 256
MAX_TEXT = 4_096  # a name, an address, a failure reason: far longer than any Entra writes
INT64 = range(-(2**63), 2**63)
EARLIEST = datetime(1970, 1, 1, tzinfo=UTC)
LATEST = datetime(9000, 1, 1, tzinfo=UTC)
# What mapping a record may raise on a value no check above foresaw: the record is counted, not the batch.
_UNREADABLE = (ValueError, TypeError, OverflowError, RecursionError, KeyError, AttributeError)


@dataclass
class TenantRecords:
    """What one batch held for one tenant, mapped into the monitor's records."""

    pin_reset_signins: list[PinResetSignIn] = field(default_factory=list)
    tap_signins: list[TapSignIn] = field(default_factory=list)
    tap_issuances: list[TapIssuance] = field(default_factory=list)


@dataclass
class LogBatch:
    """A batch of records read: the good ones by tenant, and a count of the rest."""

    tenants: dict[str, TenantRecords] = field(default_factory=lambda: defaultdict(TenantRecords))
    received: int = 0
    ignored: int = 0  # well-formed, but nothing the monitor keeps (other categories, apps, activities)
    malformed: int = 0
    malformed_reasons: list[str] = field(default_factory=list)  # the first few, one line each

    def reject(self, position: str, reason: str) -> None:
        self.malformed += 1
        if len(self.malformed_reasons) < _KEEP_REASONS:
            self.malformed_reasons.append(f"{position}: {reason}")

    def to_json(self) -> dict[str, Any]:
        return {
            "received": self.received,
            "ignored": self.ignored,
            "malformed": self.malformed,
            "malformedReasons": list(self.malformed_reasons),
            "tenants": {
                tenant: {
                    "pinResetSignIns": len(found.pin_reset_signins),
                    "tapSignIns": len(found.tap_signins),
                    "tapIssuances": len(found.tap_issuances),
                }
                for tenant, found in sorted(self.tenants.items())
            },
        }


def event_records(body: bytes | str) -> list[Any]:
    """The records of one event body; raises RejectedBody when the body is not `{"records": [...]}`."""
    try:
        document = orjson.loads(body)
    except orjson.JSONDecodeError as exc:
        raise RejectedBody(f"not JSON: {exc}") from None
    if type(document) is not dict or type(document.get("records")) is not list:
        raise RejectedBody('not a resource-log batch: expected {"records": [...]}')
    return list(document["records"])


def read_records(records: Iterable[Any], batch: LogBatch, position: str = "record") -> None:
    """Map each record into `batch`: kept, ignored, or counted as malformed with its reason."""
    for index, record in enumerate(records):
        batch.received += 1
        where = f"{position} {index}"
        try:
            _read_record(record, batch, where)
        except _UNREADABLE as exc:
            batch.reject(where, f"unreadable ({type(exc).__name__}: {str(exc)[:120]})")


def _read_record(record: Any, batch: LogBatch, where: str) -> None:
    reason = violation("resource-log-record", record)
    if reason is not None:
        batch.reject(where, reason)
        return
    tenant = _tenant(record)
    if not tenant:
        batch.reject(where, "no tenantId, and resourceId does not name a tenant")
        return
    if not _GUID.fullmatch(tenant):
        batch.reject(where, f"tenantId {tenant[:40]!r} is not a GUID")
        return
    category = record["category"]
    if category in SIGNIN_CATEGORIES:
        _read_signin(record, SIGNIN_CATEGORIES[category], batch, tenant, where)
    elif category == AUDIT_CATEGORY:
        _read_audit(record, batch, tenant, where)
    else:
        batch.ignored += 1


def _long_text(record: Any) -> str | None:
    """A text field of a mapped record longer than any real one (Table Storage would cut it)."""
    for item in dataclasses.fields(record):
        value = getattr(record, item.name)
        if isinstance(value, str) and len(value) > MAX_TEXT:
            return f"{item.name} is {len(value)} characters long (at most {MAX_TEXT})"
    return None


def unstorable(record: Any, record_id: str, moment: datetime, error_code: int = 0) -> str | None:
    """Why a mapped record cannot be stored as it is; None when it can."""
    if (reason := _long_text(record)) is not None:
        return reason
    if len(record_id) > MAX_ID:
        return f"the id is {len(record_id)} characters long (at most {MAX_ID})"
    if not EARLIEST <= moment < LATEST:
        return f"the time {moment.isoformat()} is outside {EARLIEST.year} to {LATEST.year}"
    if error_code not in INT64:
        return f"the result code {str(error_code)[:30]} is not a 64-bit integer"
    return None


def _tenant(record: Mapping[str, Any]) -> str:
    tenant = text(record, "tenantId") or text(record["properties"], "tenantId")
    if not tenant:
        found = _TENANT_IN_RESOURCE.match(text(record, "resourceId"))
        tenant = found.group(1) if found else ""
    return tenant.lower()


def graph_signin(record: Mapping[str, Any], event_type: str) -> dict[str, Any]:
    """The record's sign-in in the shape Graph's beta signIns returns it."""
    item = dict(record["properties"])
    item.setdefault("createdDateTime", record.get("time"))
    item["signInEventTypes"] = [event_type]
    status = dict(obj(item, "status"))
    if type(status.get("errorCode")) is not int:
        result = text(record, "resultType")
        if result.isascii() and result.isdigit():
            status["errorCode"] = int(result)
        item["status"] = status
    for graph_name, record_name in (("ipAddress", "callerIpAddress"), ("correlationId", "correlationId")):
        if not text(item, graph_name) and text(record, record_name):
            item[graph_name] = record[record_name]
    return item


def _read_signin(
    record: Mapping[str, Any], event_type: str, batch: LogBatch, tenant: str, where: str
) -> None:
    item = graph_signin(record, event_type)
    pin_reset = text(item, "appId") in PIN_RESET_APPS or text(item, "resourceId") in PIN_RESET_APPS
    tap = uses_tap(item)
    if not pin_reset and not tap:
        batch.ignored += 1
        return
    mapped = pin_reset_signin(item) if pin_reset else None
    # Nothing but the stream is read here, so where the user usually signs in from is unknown (None);
    # the poll's targeted read fills it in, and the store keeps what it knows (monitor.ingest.stream).
    tap_record = tap_signin(item, None) if tap else None
    if (pin_reset and mapped is None) or (tap and tap_record is None):
        batch.reject(where, "the sign-in lacks an id, a time or a result code")
        return
    kept = mapped or tap_record
    assert kept is not None
    reason = unstorable(kept, kept.id, kept.created, kept.error_code)
    if reason is None and mapped is not None and tap_record is not None:
        reason = _long_text(tap_record)
    if reason is not None:
        batch.reject(where, reason)
        return
    found = batch.tenants[tenant]
    if mapped is not None:
        found.pin_reset_signins.append(mapped)
    if tap_record is not None:
        found.tap_signins.append(tap_record)


def _read_audit(record: Mapping[str, Any], batch: LogBatch, tenant: str, where: str) -> None:
    audit = dict(record["properties"])
    audit.setdefault("activityDateTime", record.get("time"))
    issuance = tap_issuance(audit) if text(audit, "activityDisplayName") == TAP_ISSUED else None
    if issuance is None:
        batch.ignored += 1
        return
    if not issuance.audit_id:
        batch.reject(where, "the TAP issuance audit has no id")
        return
    reason = unstorable(issuance, issuance.audit_id, issuance.issued_at)
    if reason is None and issuance.start is not None:
        reason = unstorable(issuance, issuance.audit_id, issuance.start)
    if reason is not None:
        batch.reject(where, reason)
        return
    batch.tenants[tenant].tap_issuances.append(issuance)
