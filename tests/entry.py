"""The service's entry points as a trigger calls them: each call builds one Runtime from the environment
(or `environ`), runs the real entry point, and closes the Runtime. Tests that set up their environment
the way the Functions host does call these; tests over memory stores build a Runtime themselves."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from pathlib import Path
from typing import Any, Literal

from monitor.alerts.model import Alert, Notification
from monitor.pipeline import PassResult
from monitor.service import alerts, ingest, offline, passes
from monitor.service.health import Health
from monitor.service.health import health as service_health
from monitor.service.runtime import Runtime
from monitor.service.weekly import WeeklyRun
from monitor.store.alerts import dead_notifications as dead_of
from monitor.store.alerts import open_alerts as open_of


async def run_configured_pass(
    now: datetime | None = None, environ: Mapping[str, str] | None = None
) -> PassResult:
    with Runtime.from_env(environ) as runtime:
        return await passes.run_configured_pass(runtime, now)


async def run_requested_pass(
    message: bytes | str, environ: Mapping[str, str] | None = None, now: datetime | None = None
) -> passes.PassOutcome:
    with Runtime.from_env(environ) as runtime:
        return await passes.run_requested_pass(runtime, message, now)


def health(environ: Mapping[str, str] | None = None) -> Health:
    return service_health(environ)


def list_alerts(
    tenant_id: str | None = None, state: Literal["open", "resolved", "all"] = "open"
) -> list[Alert]:
    with Runtime.from_env() as runtime:
        return alerts.list_alerts(runtime, tenant_id, state)


def open_alerts(tenant_id: str) -> list[Alert]:
    with Runtime.from_env() as runtime:
        return open_of(runtime.alerts, tenant_id)


def dead_notifications(tenant_id: str) -> list[Notification]:
    with Runtime.from_env() as runtime:
        return dead_of(runtime.alerts, tenant_id)


def outbox(
    tenant_id: str | None, status: Literal["pending", "delivered", "dead"] | None
) -> list[Notification]:
    with Runtime.from_env() as runtime:
        return alerts.outbox(runtime, tenant_id, status)


def ingest_log_events(
    bodies: Sequence[bytes | str], environ: Mapping[str, str] | None = None, now: datetime | None = None
) -> ingest.LogIngest:
    with Runtime.from_env(environ) as runtime:
        return ingest.ingest_log_events(runtime, bodies, now)


async def weekly_from_snapshot(
    snapshot: Path,
    now: datetime | None,
    output: Path,
    previous: Mapping[str, Any] | None = None,
    environ: Mapping[str, str] | None = None,
) -> WeeklyRun:
    with Runtime.from_env(environ, require_storage=False) as runtime:
        return await offline.weekly_from_snapshot(runtime, snapshot, now, output, previous)


def alert_confirm_page(
    method: str,
    alert_id: str,
    params: Mapping[str, str],
    headers: Mapping[str, str],
    body: bytes,
    environ: Mapping[str, str] | None = None,
    now: datetime | None = None,
) -> tuple[int, bytes, dict[str, str]]:
    from monitor.service.answer import respond

    answer = respond(
        "alert confirmation",
        lambda rt: alerts.alert_confirm_page(rt, method, alert_id, params, headers, body, now),
        environ,
        error_page=alerts.confirm_error_page,
    )
    return answer.status, answer.to_bytes(), dict(answer.headers)
