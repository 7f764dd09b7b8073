"""The weekly report through the alert channels: every configured destination gets it once a week.

Each channel renders and sends it (monitor/alerts/channels/): Teams an Adaptive Card with the headline
figures, email the headline figures as the body with report.html attached (one message per recipient),
the webhook the report's JSON, signed like every notification (X-Monitor-Signature).

The report is kept in Table Storage whatever happens here; a destination that does not take it is
reported in one line and the next week's report goes out as usual (a weekly summary is not retried:
the next one supersedes it). Secrets (URLs, keys) come from the settings and are never logged.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable, Sequence
from datetime import datetime
from typing import TYPE_CHECKING, Any

import httpx

from monitor.alerts import channels
from monitor.alerts.channels.base import Rollup, Via, Weekly, what
from monitor.alerts.settings import AlertDestination, AlertSettings
from monitor.weekly.delivery import report_location, rollup_location

if TYPE_CHECKING:
    from monitor.graph.session import GraphSession
    from monitor.weekly.report import WeeklyReport
    from monitor.weekly.rollup import WeeklyRollup

log = logging.getLogger(__name__)


Send = Callable[[AlertDestination, Any, Via], Awaitable[Sequence[tuple[str, Any]]] | None]


async def _each_destination(
    settings: AlertSettings, graph: GraphSession | None, at: datetime, kind: str, send: Send
) -> list[str]:
    """Hand one message to every destination through its channel (`send` gives the channel's call, or
    None for a channel that does not take this kind): one line per destination or recipient."""
    chosen = [(d, channels.get(d.channel)) for d in settings.destinations]
    said: list[str] = []
    async with httpx.AsyncClient(timeout=settings.request_timeout_seconds) as http:
        via = Via(settings, http, graph, at)
        for destination, channel in chosen:
            sent = send(destination, channel, via)
            if sent is None:
                said.append(
                    f"{what(destination)}: not sent (the {destination.channel} channel takes no {kind})"
                )
                continue
            for target, outcome in await sent:
                line = (
                    f"{target}: sent" if outcome.kind == "sent" else f"{target}: not sent ({outcome.reason})"
                )
                if outcome.kind != "sent":
                    log.warning("%s %s", kind, line)
                said.append(line)
    return said


def _emailed(settings: AlertSettings) -> bool:
    return any(d.channel == "email" and d.recipients for d in settings.destinations)


async def send_weekly(
    report: WeeklyReport,
    html: str,
    settings: AlertSettings,
    graph: GraphSession | None,
    at: datetime,
    saved_to: str = "",
) -> list[str]:
    """Hand one tenant's weekly report to every destination; one line per destination (or recipient)
    saying whether it took it. `saved_to`: where report.html was written, for the Teams card. A
    destination on an unknown channel raises UnknownChannel before anything is sent."""
    where = report_location(_emailed(settings), saved_to)

    def send(destination: AlertDestination, channel: Any, via: Via) -> Any:
        return channel.send_weekly(Weekly(destination, report, html, where), via)

    return await _each_destination(settings, graph, at, "weekly report", send)


async def send_rollup(
    rollup: WeeklyRollup,
    html: str,
    settings: AlertSettings,
    graph: GraphSession | None,
    at: datetime,
    saved_to: str = "",
) -> list[str]:
    """Hand the roll-up across tenants to every destination of `settings` (the provider's): one line
    per destination or recipient. A channel without `send_rollup` is said not to take it."""
    where = rollup_location(_emailed(settings), saved_to)

    def send(destination: AlertDestination, channel: Any, via: Via) -> Any:
        take = getattr(channel, "send_rollup", None)
        return take(Rollup(destination, rollup, html, where), via) if take is not None else None

    return await _each_destination(settings, graph, at, "roll-up", send)
