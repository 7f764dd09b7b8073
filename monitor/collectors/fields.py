"""Reading fields of Graph's JSON defensively: a missing or mistyped field is a default, not a crash.

JSON parsed by orjson has exact types (str, int, bool, dict, list), so `type(x) is` checks suffice; they
are also the cheapest, which matters on the sign-in path (about fifteen lookups a sign-in).
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

from monitor.graph.session import JSON, GraphSession

_EMPTY: Mapping[str, Any] = {}


def text(item: Mapping[str, Any], key: str, default: str = "") -> str:
    value = item.get(key)
    return value if type(value) is str else default


def obj(item: Mapping[str, Any], key: str) -> Mapping[str, Any]:
    value = item.get(key)
    return value if type(value) is dict else _EMPTY


def objects(value: object) -> list[Mapping[str, Any]]:
    """The objects of a JSON array (anything else in it, or a non-array, is ignored)."""
    return [entry for entry in value if type(entry) is dict] if type(value) is list else []


def integer(value: object) -> int | None:
    return value if type(value) is int else None


def boolean(value: object) -> bool | None:
    return value if type(value) is bool else None


def parse_time(value: object) -> datetime | None:
    """An ISO 8601 time from Graph (up to 7 fractional digits), in UTC; None if absent or unreadable."""
    if type(value) is not str or not value:
        return None
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        return None
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


def odata_time(moment: datetime) -> str:
    """A time as an OData $filter literal."""
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


async def collect_items(graph: GraphSession, target: Any, source: str, permission: str) -> list[JSON]:
    """Every object of a small collection, all pages (use `graph.pages` for large ones)."""
    items: list[JSON] = []
    async for page in graph.pages(target, source=source, permission=permission):
        items.extend(item for item in page if type(item) is dict)
    return items
