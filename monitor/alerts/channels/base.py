"""What every channel module defines (`Channel`), the messages it is handed, and the helpers the
channels share. A channel's module is the channel: the registry checks it defines every member of
`Channel` (monitor.alerts.channels.REQUIRED)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any, Protocol

from monitor.alerts import delivery, links
from monitor.alerts.delivery import Outcome
from monitor.alerts.settings import AlertDestination, AlertSettings

if TYPE_CHECKING:
    import httpx

    from monitor.graph.session import GraphSession
    from monitor.weekly.report import WeeklyReport
    from monitor.weekly.rollup import WeeklyRollup


@dataclass(frozen=True)
class Notices:
    """A notice (one item) or a digest (several) for one target of a destination, under the delivery
    ID it got when it was first composed."""

    destination: AlertDestination
    target: str
    items: tuple[Mapping[str, Any], ...]
    delivery_id: str
    digest: bool
    # The alert of each item, as the outbox rows name it (the key of its confirmation link).
    alert_ids: tuple[str, ...]


@dataclass(frozen=True)
class Weekly:
    """One tenant's weekly report for one destination. `where`: where a reader finds report.html."""

    destination: AlertDestination
    report: WeeklyReport
    html: str
    where: str


@dataclass(frozen=True)
class Rollup:
    """The weekly roll-up across tenants for one of the provider's destinations (never a tenant's own).
    A channel sends it with `send_rollup(rollup, via)`, a member it may define: one without it is said
    not to take the roll-up, in one line, and the tenants' own reports still go out."""

    destination: AlertDestination
    rollup: WeeklyRollup
    html: str
    where: str


@dataclass(frozen=True)
class Via:
    """What a channel sends with: the settings, one HTTP client, the pass's Graph session (for Graph
    sendMail) and the time of sending."""

    settings: AlertSettings
    http: httpx.AsyncClient
    graph: GraphSession | None
    now: datetime

    def links(self, items: tuple[Mapping[str, Any], ...], channel: str) -> dict[str, str]:
        """The confirmation links of these notices, signed now, at send time: a token is a secret, so
        it is never in the outbox (a retry signs a fresh one)."""
        s = self.settings
        return links.alert_links(items, s.link_key, s.public_url, channel, self.now)


@dataclass(frozen=True)
class Post:
    """An HTTP POST of a JSON body."""

    body: bytes
    headers: Mapping[str, str]


async def post(destination: AlertDestination, sent: Post, via: Via) -> Outcome:
    return await delivery.post_json(
        via.http, destination.url, sent.body, dict(sent.headers), what(destination), via.now
    )


def what(destination: AlertDestination) -> str:
    """How outcomes and logs name a destination (never by its URL or addresses)."""
    return f"{destination.channel} destination {destination.name}"


class Channel(Protocol):
    # Every notice due to one target goes in one message (email), rather than one post per notice or
    # a digest above MONITOR_ALERT_DIGEST_THRESHOLD (Teams, webhook).
    BUNDLES: bool

    def configure(
        self, name: str, prefix: str, env: Mapping[str, str], problems: list[str]
    ) -> dict[str, Any]:
        """The destination's own fields (url, hmac_key, recipients) from its settings `<prefix>_*`;
        each problem is added to `problems`, naming the setting, never its value."""
        ...

    def targets(self, destination: AlertDestination) -> tuple[str, ...]:
        """The outbox targets of a destination: its name, or one per recipient."""
        ...

    def render_notices(self, notices: Notices, via: Via) -> Any:
        """What `send_notices` sends, as bytes or a message; KeyError, TypeError or IndexError when a
        stored notice is not in the expected shape."""
        ...

    def render_weekly(self, weekly: Weekly, via: Via) -> Any:
        """What `send_weekly` sends (one per recipient where a channel has recipients)."""
        ...

    async def send_notices(self, notices: Notices, via: Via) -> Outcome:
        """Send a notice or a digest; never raises for a receiver's answer."""
        ...

    async def send_weekly(self, weekly: Weekly, via: Via) -> list[tuple[str, Outcome]]:
        """Send the weekly report: one (what, outcome) per message sent."""
        ...


def read_url(name: str, channel: str, prefix: str, env: Mapping[str, str], problems: list[str]) -> str:
    """`<prefix>_URL`: required, http(s), https unless on loopback."""
    from monitor.settings import LOOPBACK_HOSTS, _url_parts

    url = env.get(f"{prefix}_URL", "").strip()
    parts = _url_parts(url)
    if not url:
        problems.append(f"{prefix}_URL is required for the {channel} destination {name}")
    elif parts.scheme not in ("http", "https") or not parts.hostname:
        problems.append(f"{prefix}_URL must be an http(s) URL")
    elif parts.scheme == "http" and parts.hostname not in LOOPBACK_HOSTS:
        problems.append(f"{prefix}_URL must use https unless it is on loopback")
    return url
