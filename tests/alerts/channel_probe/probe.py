"""A throw-away alert channel, to prove that a channel is one module: tests/alerts/test_channels.py
adds this directory to the package path of monitor.alerts.channels, and nothing else, and then sees
notices, digests and the weekly report reach it. It posts nowhere: it keeps what it was handed."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from monitor.alerts.channels.base import Notices, Via, Weekly, read_url, what
from monitor.alerts.delivery import Outcome
from monitor.alerts.settings import AlertDestination

BUNDLES = False
RECEIVED: list[str] = []


def configure(name: str, prefix: str, env: Mapping[str, str], problems: list[str]) -> dict[str, Any]:
    return {"url": read_url(name, "probe", prefix, env, problems)}


def targets(destination: AlertDestination) -> tuple[str, ...]:
    return (destination.name,)


def render_notices(notices: Notices, via: Via) -> str:
    kind = "digest" if notices.digest else "notice"
    events = ", ".join(sorted(f"{i['event']} {i['alert']['rule']}" for i in notices.items))
    return f"{kind} to {notices.destination.name}: {events}"


def render_weekly(weekly: Weekly, via: Via) -> str:
    return f"weekly report to {weekly.destination.name}: {weekly.report.snapshot.tenant.display_name}"


async def send_notices(notices: Notices, via: Via) -> Outcome:
    RECEIVED.append(render_notices(notices, via))
    return Outcome("sent")


async def send_weekly(weekly: Weekly, via: Via) -> list[tuple[str, Outcome]]:
    RECEIVED.append(render_weekly(weekly, via))
    return [(what(weekly.destination), Outcome("sent"))]
