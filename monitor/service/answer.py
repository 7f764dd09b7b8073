"""Every HTTP route's answer: one type, and one place that turns an error into a status code.

- 400: the request is malformed (`monitor.errors.BadRequest` and its kinds);
- 404: what it names does not exist (`monitor.errors.NotFound`);
- 503: the monitor is not configured, or Table Storage, the queue or a credential failed, with the
  reason in one line and never a secret. Nothing answers 500: an unforeseen error is a 503 that says
  so, and its stack goes to the log.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Literal

import orjson

from monitor.errors import BadRequest, NotFound

if TYPE_CHECKING:
    from monitor.service.runtime import Runtime

log = logging.getLogger(__name__)

JSON = "application/json"
Cause = Literal["", "bad-request", "not-found", "configuration", "storage", "unexpected"]


@dataclass(frozen=True)
class Answer:
    """An HTTP answer: status, body (a JSON object, or bytes of `media_type`) and extra headers."""

    status: int
    body: Mapping[str, Any] | bytes = field(default_factory=dict)
    media_type: str = JSON
    headers: Mapping[str, str] = field(default_factory=dict)
    # Why an error answer was given (`failure`), for routes that show errors as pages; "" otherwise.
    cause: Cause = ""

    def to_bytes(self) -> bytes:
        return self.body if isinstance(self.body, bytes) else orjson.dumps(dict(self.body))

    def json(self) -> Mapping[str, Any]:
        """The JSON body (the CLI prints it); {} for a body that is not JSON."""
        return {} if isinstance(self.body, bytes) else self.body


def refused(status: int, reason: str, cause: Cause = "") -> Answer:
    return Answer(status, {"error": reason}, cause=cause)


def failure(exc: Exception, route: str) -> Answer:
    """The answer to an error a route's work raised: the one mapping of errors to status codes."""
    from azure.core.exceptions import AzureError

    from monitor.settings import SettingsError
    from monitor.store.alerts import AlertConflict
    from monitor.store.base import StoreError
    from monitor.store.tenants import TenantConflict

    if isinstance(exc, BadRequest):
        return refused(400, str(exc), "bad-request")
    if isinstance(exc, NotFound):
        return refused(404, str(exc).strip("'\""), "not-found")
    if isinstance(exc, SettingsError):
        log.error("%s: refused, the monitor is misconfigured (%d problem(s))", route, len(exc.problems))
        said = f"the monitor is misconfigured: {'; '.join(exc.problems)}"
        return Answer(503, {"error": said, "problems": list(exc.problems)}, cause="configuration")
    if isinstance(exc, StoreError):
        # Store errors are one line naming the table and what the service said, never a secret.
        log.warning("%s: Table Storage failed: %s", route, exc)
        return refused(503, f"Table Storage unavailable: {exc}; try again", "storage")
    if isinstance(exc, AlertConflict | TenantConflict):
        log.warning("%s: %s", route, exc)
        return refused(503, f"{exc}", "storage")
    if isinstance(exc, AzureError):  # a credential that cannot get a token, before any table is touched
        log.warning("%s: Azure storage failed: %s", route, type(exc).__name__)
        return refused(503, f"Azure storage unavailable ({type(exc).__name__}); try again", "storage")
    log.error("%s: unexpected error", route, exc_info=exc)
    return refused(503, f"the monitor failed ({type(exc).__name__}); try again", "unexpected")


def respond(
    route: str,
    work: Callable[[Runtime], Answer],
    environ: Mapping[str, str] | None = None,
    *,
    error_page: Callable[[Answer], Answer] | None = None,
) -> Answer:
    """Build the invocation's Runtime, do the route's work, close the Runtime: an error is answered by
    `failure` (shown by `error_page` on routes that answer pages), never raised to the host."""
    from monitor.service.runtime import Runtime

    try:
        with Runtime.from_env(environ) as runtime:
            return work(runtime)
    except Exception as exc:  # noqa: BLE001 - a route answers every error; `failure` logs the unforeseen
        answer = failure(exc, route)
    return error_page(answer) if error_page is not None else answer
