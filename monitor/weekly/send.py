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
from datetime import datetime
from typing import TYPE_CHECKING

import httpx

from monitor.alerts import channels
from monitor.alerts.channels.base import Rollup, Via, Weekly, what
from monitor.alerts.settings import AlertSettings
from monitor.weekly.delivery import report_location, rollup_location

if TYPE_CHECKING:
    from monitor.graph.session import GraphSession
    from monitor.weekly.report import WeeklyReport
    from monitor.weekly.rollup import WeeklyRollup

log = logging.getLogger(__name__)


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
    chosen = [(d, channels.get(d.channel)) for d in settings.destinations]
    said: list[str] = []
    emailed = any(d.channel == "email" and d.recipients for d in settings.destinations)
    where = report_location(emailed, saved_to)
    async with httpx.AsyncClient(timeout=settings.request_timeout_seconds) as http:
        via = Via(settings, http, graph, at)
        for destination, channel in chosen:
            for what, outcome in await channel.send_weekly(Weekly(destination, report, html, where), via):
                line = f"{what}: sent" if outcome.kind == "sent" else f"{what}: not sent ({outcome.reason})"
                if outcome.kind != "sent":
                    log.warning("weekly report %s", line)
                said.append(line)
    return said


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
    chosen = [(d, channels.get(d.channel)) for d in settings.destinations]
    said: list[str] = []
    emailed = any(d.channel == "email" and d.recipients for d in settings.destinations)
    where = rollup_location(emailed, saved_to)
    async with httpx.AsyncClient(timeout=settings.request_timeout_seconds) as http:
        via = Via(settings, http, graph, at)
        for destination, channel in chosen:
            send = getattr(channel, "send_rollup", None)
            if send is None:
                said.append(
                    f"{what(destination)}: not sent (the {destination.channel} channel takes no roll-up)"
                )
                continue
            for target, outcome in await send(Rollup(destination, rollup, html, where), via):
                line = (
                    f"{target}: sent" if outcome.kind == "sent" else f"{target}: not sent ({outcome.reason})"
                )
                if outcome.kind != "sent":
                    log.warning("weekly roll-up %s", line)
                said.append(line)
    return said
