"""Errors raised by the Graph simulator.

`SnapshotError` is for the operator (a snapshot directory or file that cannot be served); `GraphError`
is an answer to one request, rendered as Microsoft Graph's OData error body.
"""

from __future__ import annotations

from dataclasses import dataclass, field


class SnapshotError(Exception):
    """The snapshot directory (or a file in it) cannot be served. The message is one line."""


@dataclass
class GraphError(Exception):
    """An OData error answer: `{"error": {"code": ..., "message": ..., "innerError": {...}}}`."""

    status: int
    code: str
    message: str
    headers: dict[str, str] = field(default_factory=dict)

    def __str__(self) -> str:
        return f"{self.status} {self.code}: {self.message}"


class FilterError(ValueError):
    """A `$filter` expression that does not parse or cannot be evaluated."""
