"""Signed, expiring links from an alert message to its confirmation page (monitor.alerts.confirm).

A link carries a token that grants one thing: acknowledging or snoozing one alert, in the cycle the
message was about, until it expires. The token is HMAC-SHA256 over (purpose, alert ID, cycle, channel,
actions, expiry) with the key MONITOR_ALERT_LINK_KEY, so only the monitor can make one and nothing in it
can be changed. Tokens are made when a message is rendered for sending and never stored: the outbox
keeps what a notice says, not its link (a token is a secret).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import quote, urlsplit

# Long enough for a message read after a weekend away; short enough that an old email stops working.
LINK_LIFETIME = timedelta(days=7)
ACTIONS = ("ack", "snooze")
# Domain separation: the same key signing another kind of link can never make one of these.
PURPOSE = "pinmon-alert-link-v1"
ROUTE = "api/confirm"
CHANNEL_NAMES = {"teams": "Teams", "email": "email", "webhook": "webhook"}
_ALERT_ID = re.compile(r"^[0-9a-f]{12}$")
_TOKEN = re.compile(r"^(\d{1,6})\.(\d{1,12})\.([a-z]{1,10})\.([a-z+]{1,40})\.([A-Za-z0-9_-]{43})$")


class LinkError(ValueError):
    """A token that grants nothing here; the message says why, in one line a person can read."""


@dataclass(frozen=True)
class Grant:
    """What a valid token allows."""

    alert_id: str
    cycle: int
    channel: str
    actions: tuple[str, ...]
    expires: datetime

    @property
    def acknowledger(self) -> str:
        """Who the alert records as having acted: no one signs in on the page, so the channel."""
        return f"link in {CHANNEL_NAMES.get(self.channel, self.channel)}"


def valid_alert_id(alert_id: str) -> bool:
    return bool(_ALERT_ID.match(alert_id))


def _signature(key: bytes, alert_id: str, cycle: int, channel: str, actions: str, expires: int) -> str:
    message = "\n".join((PURPOSE, alert_id, str(cycle), channel, actions, str(expires))).encode()
    digest = hmac.new(key, message, hashlib.sha256).digest()
    return base64.urlsafe_b64encode(digest).decode().rstrip("=")


def sign(
    key: bytes, alert_id: str, cycle: int, channel: str, now: datetime, actions: Iterable[str] = ACTIONS
) -> str:
    """A token for one alert's cycle, sent to one channel, allowing `actions`, valid LINK_LIFETIME."""
    if not key:
        raise LinkError("no link key is configured")
    allowed = "+".join(a for a in ACTIONS if a in set(actions))
    expires = int((now + LINK_LIFETIME).timestamp())
    return (
        f"{cycle}.{expires}.{channel}.{allowed}.{_signature(key, alert_id, cycle, channel, allowed, expires)}"
    )


def verify(key: bytes, token: str, alert_id: str, now: datetime) -> Grant:
    """The grant of `token` for `alert_id` at `now`; LinkError when it is malformed, not ours, for
    another alert, or expired. The signature is checked before anything the token says is believed."""
    if not key:
        raise LinkError("confirmation links are not configured on this monitor")
    match = _TOKEN.match(token.strip())
    if match is None:
        raise LinkError("this link is incomplete or damaged: open it again from the alert message")
    cycle, expires, channel, allowed, signature = match.groups()
    expected = _signature(key, alert_id, int(cycle), channel, allowed, int(expires))
    if not hmac.compare_digest(expected, signature):
        # Also what a token for another alert gets: the alert ID is part of what was signed.
        raise LinkError("this link is not valid for this alert: open it again from the alert message")
    ends = datetime.fromtimestamp(int(expires), UTC)
    if now >= ends:
        raise LinkError(
            f"this link expired on {ends:%d %b %Y, %H:%M} UTC; the next reminder about this alert "
            "brings a fresh one"
        )
    return Grant(alert_id, int(cycle), channel, tuple(allowed.split("+")), ends)


def public_base(url: str) -> str:
    """The app's public URL without a trailing slash or path (the link and the Origin check use it)."""
    parts = urlsplit(url.strip())
    return f"{parts.scheme}://{parts.netloc}" if parts.scheme and parts.netloc else ""


def confirm_url(public_url: str, alert_id: str, token: str) -> str:
    return f"{public_base(public_url)}/{ROUTE}/{quote(alert_id)}?token={quote(token, safe='')}"


def alert_links(
    items: Iterable[Mapping[str, Any]], key: bytes, public_url: str, channel: str, now: datetime
) -> dict[str, str]:
    """The confirmation link of each notice that asks for action (opened, reminder; not resolved), by
    alert ID; none at all unless both the key and the public URL are configured."""
    if not key or not public_base(public_url):
        return {}
    links = {}
    for item in items:
        alert = item.get("alert")
        if item.get("event") == "resolved" or not isinstance(alert, Mapping):
            continue
        alert_id = str(alert.get("id", ""))
        cycle = alert.get("cycle")
        if valid_alert_id(alert_id) and isinstance(cycle, int) and not isinstance(cycle, bool):
            links[alert_id] = confirm_url(public_url, alert_id, sign(key, alert_id, cycle, channel, now))
    return links
