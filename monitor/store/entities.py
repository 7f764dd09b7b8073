"""Table entities mapped from a record's own fields: every table that keeps a record is mapped here, none
by a mapper written by hand.

A field becomes a property of the same name in PascalCase (`issued_at` -> `IssuedAt`). Strings,
numbers, booleans and times are stored as Table Storage's own types, so they can be queried
(`IssuedAt ge @since`); anything else (tuples, mappings, a nested record) is stored as JSON text.
`None` is left out. Reading back follows the record's type hints, so a record round-trips exactly.

A `Layout` says where a table departs from that: a field its PartitionKey already holds (the tenant of
an alert, an outbox row or a lease) is not stored again, and a field that is the row's ETag is filled in
when read, never stored. A store adds what is computed rather than a field, such as an alert's `AlertId`
or a device report's `At`, to the mapped entity.

The records mapped here: sign-ins, sign-in hours, consent, findings, runs, inventory, TAP issuances and
sign-ins, unusable items and leases (monitor/store/tables.py); alerts and the outbox (alerts.py); device
reports, the pass gate and ingestion rejects (ingest.py); SOC reviews (reviews.py). What keeps no record
writes its few properties itself: checkpoints (a time), TAP sign-in hour counts (a count), weekly
snapshots (a compressed document cut into parts) and recovery chains (JSON documents, reports.py), the
review backlog (a JSON document) and the Sentinel upload ledger (a hash per row, reviews.py).

An integer outside Int32 (a Graph error code may be one) is written as Int64, which the SDK reads back
as an EntityProperty; reading unwraps it.

Table Storage keeps at most 64 KiB per string property (32K UTF-16 code units): a longer text is cut,
and a JSON value that would not fit is replaced by a note that says so.
"""

from __future__ import annotations

import dataclasses
import types
import typing
from collections.abc import Mapping
from datetime import UTC, datetime
from functools import cache
from typing import Any, TypeVar, get_args, get_origin, get_type_hints

import orjson
from azure.data.tables import EdmType, EntityProperty


@dataclasses.dataclass(frozen=True)
class Layout:
    """Where a table departs from the plain mapping: a field its PartitionKey already holds (not kept
    again as a property), and a field that takes the row's ETag when read (never stored)."""

    partition: str = ""
    etag: str = ""


PLAIN = Layout()
INT32 = range(-(2**31), 2**31)
MAX_TEXT = 30_000  # keep clear of the 32K-character limit of a string property
TRUNCATED = {"truncated": True, "note": "the value exceeded Table Storage's property size"}
R = TypeVar("R")


def pascal(name: str) -> str:
    return "".join(part[:1].upper() + part[1:] for part in name.split("_"))


@cache
def _hints(cls: Any) -> dict[str, Any]:
    return get_type_hints(cls)


def _plain(value: Any) -> Any:
    """A value as JSON can hold it: records become objects, times ISO 8601 strings."""
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {f.name: _plain(getattr(value, f.name)) for f in dataclasses.fields(value)}
    if isinstance(value, datetime):
        return value.astimezone(UTC).isoformat()
    if isinstance(value, Mapping):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, tuple | list | frozenset | set):
        return [_plain(v) for v in value]
    return value


def _utf16_units(text: str) -> int:
    return len(text) + sum(1 for c in text if ord(c) > 0xFFFF)


def cut(text: str) -> str:
    """`text` cut to MAX_TEXT UTF-16 code units, the unit Table Storage's limit counts (a character
    outside the Basic Multilingual Plane, such as an emoji, takes two)."""
    if len(text) <= MAX_TEXT // 2 or _utf16_units(text) <= MAX_TEXT:
        return text
    units = 0
    for end, char in enumerate(text):
        units += 2 if ord(char) > 0xFFFF else 1
        if units > MAX_TEXT:
            return text[:end]
    return text


def json_text(value: Any) -> str:
    text = orjson.dumps(_plain(value)).decode()
    return text if _utf16_units(text) <= MAX_TEXT else orjson.dumps(TRUNCATED).decode()


def to_entity(record: Any, partition: str, row: str, layout: Layout = PLAIN) -> dict[str, Any]:
    entity: dict[str, Any] = {"PartitionKey": partition, "RowKey": row}
    for f in dataclasses.fields(record):
        if f.name in (layout.partition, layout.etag):
            continue
        value = getattr(record, f.name)
        if value is None:
            continue
        if isinstance(value, str):
            entity[pascal(f.name)] = cut(value)
        elif isinstance(value, int) and not isinstance(value, bool) and value not in INT32:
            entity[pascal(f.name)] = EntityProperty(value, EdmType.INT64)
        elif isinstance(value, bool | int | float | datetime):
            entity[pascal(f.name)] = value
        else:
            entity[pascal(f.name)] = json_text(value)
    return entity


def from_entity(cls: type[R], entity: Mapping[str, Any], layout: Layout = PLAIN) -> R:
    """The record `cls` an entity of `to_entity` holds. Properties it does not hold take the field's
    default (a row written before the field existed). `entity` is the SDK's TableEntity or the plain
    dict of a page read without it (times as ISO 8601 text, Int64 as text: the type hints say which)."""
    record: Any = cls
    values: dict[str, Any] = {}
    for name, key, decode, required in _plan(record, layout):
        value = entity.get(key, _ABSENT)
        if value is _ABSENT:
            if required:
                values[name] = None
        else:
            values[name] = decode(value)
    if layout.etag:
        metadata = getattr(entity, "metadata", None) or {}
        values[layout.etag] = str(metadata.get("etag", ""))
    return cls(**values)


_ABSENT = object()
Decoder = typing.Callable[[Any], Any]


@cache
def _plan(cls: Any, layout: Layout) -> tuple[tuple[str, str, Decoder, bool], ...]:
    """Per stored field of `cls`: its name, its property, how to decode it and whether it has no
    default. Worked out once per record type and layout: decoding 50,000 sign-ins should not walk type
    hints 50,000 times."""
    hints = _hints(cls)
    return tuple(
        (
            f.name,
            "PartitionKey" if f.name == layout.partition else pascal(f.name),
            _decoder(hints[f.name]),
            f.default is dataclasses.MISSING and f.default_factory is dataclasses.MISSING,
        )
        for f in dataclasses.fields(cls)
        if f.name != layout.etag
    )


def _decoder(hint: Any) -> Decoder:
    """What `_decode(hint, value)` does, with the type hint looked at once rather than per value."""
    origin = get_origin(hint)
    if origin in (typing.Union, types.UnionType):
        options = [a for a in get_args(hint) if a is not type(None)]
        if len(options) == 1:
            inner = _decoder(options[0])
            return lambda value: None if value is None else inner(value)
        return lambda value: _decode(hint, value)
    if hint is str:
        return lambda value: value if type(value) is str else _decode(hint, value)
    if hint is datetime:
        return _datetime
    if hint in (int, float, bool):
        return lambda value: hint(value) if type(value) in _SCALARS else _decode(hint, value)
    if origin is typing.Literal or hint is Any:
        return lambda value: value if type(value) is str else _decode(hint, value)
    if dataclasses.is_dataclass(hint) and isinstance(hint, type):
        return lambda value: (
            _from_plain(hint, orjson.loads(value)) if type(value) is str else _decode(hint, value)
        )
    return lambda value: _decode(hint, value)


_SCALARS = (int, float, bool, str)


def _datetime(value: Any) -> datetime | None:
    if isinstance(value, EntityProperty):
        value = value.value
    if value is None:
        return None
    moment = datetime.fromisoformat(value) if isinstance(value, str) else value
    return datetime.fromtimestamp(moment.timestamp(), UTC)


@cache
def _plain_plan(cls: Any) -> tuple[tuple[str, Decoder], ...]:
    hints = _hints(cls)
    return tuple((f.name, _decoder(hints[f.name])) for f in dataclasses.fields(cls))


def _from_plain(cls: Any, document: Mapping[str, Any]) -> Any:
    return cls(**{name: decode(document[name]) for name, decode in _plain_plan(cls) if name in document})


def _decode(hint: Any, value: Any) -> Any:
    if isinstance(value, EntityProperty):
        value = value.value
    if value is None:
        return None
    origin = get_origin(hint)
    if origin in (typing.Union, types.UnionType):
        options = [a for a in get_args(hint) if a is not type(None)]
        return _decode(options[0], value) if len(options) == 1 else value
    if hint is datetime:
        moment = datetime.fromisoformat(value) if isinstance(value, str) else value
        return datetime.fromtimestamp(moment.timestamp(), UTC)
    if hint in (str, int, float, bool):
        return hint(value)
    if origin is typing.Literal or hint is Any:
        return value
    if isinstance(value, str):
        value = orjson.loads(value)
    if dataclasses.is_dataclass(hint) and isinstance(hint, type):
        return _from_plain(hint, value)
    if origin is tuple:
        item = get_args(hint)[0]
        return tuple(_decode(item, v) for v in value)
    return value  # a mapping or list kept as JSON
