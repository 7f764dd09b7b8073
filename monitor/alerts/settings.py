"""MONITOR_ALERT_* settings (docs/alerts.md): where alerts go, how they are routed, and how delivery
retries. Read by `monitor.settings.Settings` with every other setting, so a problem here is
listed with the rest; secrets are read into these objects only, and a problem names the setting, never
its value.

Each numeric setting declares its app setting and bounds on its field (`bounded`), as the rule
thresholds do (monitor/thresholds.py); the parser reads them from there. What a destination needs beyond
its name (a URL, a key, recipients) its channel reads (`configure` in monitor/alerts/channels/).
"""

from __future__ import annotations

import fnmatch
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, fields
from typing import Any, Literal
from urllib.parse import urlsplit

from monitor.alerts import channels

# A channel is the name of a module of monitor.alerts.channels (teams, email, webhook, ...).
AlertChannel = str
EmailTransport = Literal["graph", "acs"]
_EMAIL_TRANSPORTS: tuple[EmailTransport, ...] = ("graph", "acs")
_SEVERITY_NAMES = ("critical", "high", "medium", "low", "info")
_DESTINATION_NAME = re.compile(r"^[a-z][a-z0-9-]{0,39}$")

# How the settings parser reads one numeric setting: (name, default, int or float, minimum, maximum).
Number = Callable[..., float]


def bounded(setting: str, minimum: float, maximum: float) -> dict[str, Any]:
    """A numeric field's app setting and the bounds its value must lie within."""
    return {"setting": setting, "minimum": minimum, "maximum": maximum}


@dataclass(frozen=True)
class AlertDestination:
    """One place alerts go. Its secret (a webhook URL, an HMAC key) lives only here, never in a store
    or a log: stores and logs name the destination."""

    name: str
    channel: AlertChannel
    url: str = field(default="", repr=False)  # teams, webhook
    hmac_key: bytes = field(default=b"", repr=False)  # webhook
    recipients: tuple[str, ...] = field(default=(), repr=False)  # email

    def __post_init__(self) -> None:
        channels.check(self.channel)


@dataclass(frozen=True)
class AlertRoute:
    """Findings of these severities whose rule matches one of these globs go to these destinations.
    An empty `severities` or `rules` matches every severity or rule."""

    destinations: tuple[str, ...]
    severities: tuple[str, ...] = ()
    rules: tuple[str, ...] = ()

    def matches(self, rule: str, severity: str) -> bool:
        return (not self.severities or severity in self.severities) and (
            not self.rules or any(fnmatch.fnmatchcase(rule, pattern) for pattern in self.rules)
        )


@dataclass(frozen=True)
class AlertSettings:
    destinations: tuple[AlertDestination, ...] = ()
    routes: tuple[AlertRoute, ...] = ()
    # Where a finding goes that no route matches.
    default_route: tuple[str, ...] = ()
    # While a problem keeps failing, remind this often (unless acknowledged or snoozed).
    reminder_hours: float = field(default=24.0, metadata=bounded("MONITOR_ALERT_REMINDER_HOURS", 0.25, 8760))
    # A passing finding resolves its alert only after it stayed resolved this long, so a flap within it
    # neither resolves nor re-opens.
    settle_minutes: float = field(default=30.0, metadata=bounded("MONITOR_ALERT_SETTLE_MINUTES", 0, 10_080))
    # More notifications than this due to one destination in one pass become one digest.
    digest_threshold: int = field(default=5, metadata=bounded("MONITOR_ALERT_DIGEST_THRESHOLD", 1, 10_000))
    # A notification is dead after this many failed attempts (or at once on a non-retryable answer).
    max_attempts: int = field(default=6, metadata=bounded("MONITOR_ALERT_MAX_ATTEMPTS", 1, 100))
    # Delay before the first retry; doubled per attempt, at most `retry_max_minutes`.
    retry_base_minutes: float = field(
        default=5.0, metadata=bounded("MONITOR_ALERT_RETRY_BASE_MINUTES", 0, 43_200)
    )
    retry_max_minutes: float = field(
        default=360.0, metadata=bounded("MONITOR_ALERT_RETRY_MAX_MINUTES", 0, 43_200)
    )
    request_timeout_seconds: float = field(
        default=10.0, metadata=bounded("MONITOR_ALERT_REQUEST_TIMEOUT_SECONDS", 1, 300)
    )
    email_transport: EmailTransport = "graph"
    # The mailbox (UPN or object ID) Graph sends from, or the ACS sender address.
    email_sender: str = field(default="", repr=False)
    acs_connection_string: str = field(default="", repr=False)
    # Signed links from alert messages to the confirmation page (docs/alerts.md): the HMAC key and the
    # app's public URL; without both, messages carry no link.
    link_key: bytes = field(default=b"", repr=False)
    public_url: str = ""

    def destination(self, name: str) -> AlertDestination | None:
        return next((d for d in self.destinations if d.name == name), None)

    def route(self, rule: str, severity: str) -> tuple[str, ...]:
        """The destinations of a finding: every matching route's, else the default route's."""
        chosen: list[str] = []
        for route in self.routes:
            if route.matches(rule, severity):
                chosen += [name for name in route.destinations if name not in chosen]
        return tuple(chosen) if chosen else self.default_route

    @classmethod
    def numeric(cls) -> dict[str, dict[str, Any]]:
        """The numeric fields by name: their app setting and bounds."""
        return {f.name: dict(f.metadata) for f in fields(cls) if "setting" in f.metadata}


def destination_prefix(name: str) -> str:
    """The prefix of a destination's own settings: MONITOR_ALERT_<NAME>_URL and the like."""
    return f"MONITOR_ALERT_{name.upper().replace('-', '_')}"


def alert_settings(env: Mapping[str, str], problems: list[str], number: Number) -> AlertSettings:
    """MONITOR_ALERT_* settings; every problem is added to `problems`."""
    defaults = AlertSettings()
    destinations: list[AlertDestination] = []
    for entry in filter(None, (e.strip() for e in env.get("MONITOR_ALERT_DESTINATIONS", "").split(","))):
        name, _, channel = (part.strip() for part in entry.partition("="))
        if not _DESTINATION_NAME.match(name):
            problems.append(
                f"MONITOR_ALERT_DESTINATIONS: destination name {name!r} must be lower-case letters, digits "
                "and '-', starting with a letter"
            )
            continue
        if channel not in channels.known():
            problems.append(
                f"MONITOR_ALERT_DESTINATIONS: {name} needs a channel ({', '.join(channels.known())}), "
                f"got {channel!r}"
            )
            continue
        if any(d.name == name for d in destinations):
            problems.append(f"MONITOR_ALERT_DESTINATIONS: {name} is listed twice")
            continue
        own = channels.get(channel).configure(name, destination_prefix(name), env, problems)
        destinations.append(AlertDestination(name, channel, **own))
    known = {d.name for d in destinations}

    def names(setting: str, raw: Any) -> tuple[str, ...]:
        if isinstance(raw, str):
            raw = [n.strip() for n in raw.split(",") if n.strip()]
        if not isinstance(raw, list) or not all(isinstance(n, str) for n in raw):
            problems.append(f"{setting}: destinations must be a list of names")
            return ()
        unknown = [n for n in raw if n not in known]
        if unknown:
            problems.append(f"{setting}: unknown destination(s) {', '.join(unknown)}")
        return tuple(n for n in raw if n in known)

    routes: list[AlertRoute] = []
    raw_routes = env.get("MONITOR_ALERT_ROUTES", "").strip()
    if raw_routes:
        import orjson

        try:
            parsed = orjson.loads(raw_routes)
        except orjson.JSONDecodeError as exc:
            problems.append(f"MONITOR_ALERT_ROUTES must be a JSON list of routes: {exc}")
            parsed = []
        if not isinstance(parsed, list):
            problems.append("MONITOR_ALERT_ROUTES must be a JSON list of routes")
            parsed = []
        for n, route in enumerate(parsed, 1):
            where = f"MONITOR_ALERT_ROUTES route {n}"
            if not isinstance(route, dict) or set(route) - {"severities", "rules", "to"}:
                problems.append(f"{where} must be an object with 'to' and optional 'severities' and 'rules'")
                continue
            severities = route.get("severities", [])
            rules = route.get("rules", [])
            if not isinstance(severities, list) or any(s not in _SEVERITY_NAMES for s in severities):
                problems.append(f"{where}: severities must be a list of {', '.join(_SEVERITY_NAMES)}")
                continue
            if not isinstance(rules, list) or not all(isinstance(r, str) and r for r in rules):
                problems.append(f"{where}: rules must be a list of rule ids or globs (consent.*)")
                continue
            to = names(where, route.get("to", []))
            if to:
                routes.append(AlertRoute(to, tuple(severities), tuple(rules)))
            elif "to" not in route:
                problems.append(f"{where} needs 'to'")
    default_route = names("MONITOR_ALERT_DEFAULT_ROUTE", env.get("MONITOR_ALERT_DEFAULT_ROUTE", ""))
    if destinations and not default_route and not raw_routes:
        # Destinations and no routing at all: everything goes everywhere, the least surprising default.
        default_route = tuple(sorted(known))

    transport = env.get("MONITOR_ALERT_EMAIL_TRANSPORT", "").strip() or defaults.email_transport
    if transport not in _EMAIL_TRANSPORTS:
        problems.append(
            f"MONITOR_ALERT_EMAIL_TRANSPORT must be one of {', '.join(_EMAIL_TRANSPORTS)}, got {transport!r}"
        )
        transport = defaults.email_transport
    sender = env.get("MONITOR_ALERT_EMAIL_SENDER", "").strip()
    acs = env.get("MONITOR_ALERT_ACS_CONNECTION_STRING", "").strip()
    if any(d.channel == "email" for d in destinations):
        if not sender:
            problems.append("MONITOR_ALERT_EMAIL_SENDER is required for email destinations")
        if transport == "acs" and not acs:
            problems.append(
                "MONITOR_ALERT_ACS_CONNECTION_STRING is required with MONITOR_ALERT_EMAIL_TRANSPORT=acs"
            )
    numbers = {
        name: number(
            declared["setting"],
            getattr(defaults, name),
            type(getattr(defaults, name)),
            declared["minimum"],
            declared["maximum"],
        )
        for name, declared in AlertSettings.numeric().items()
    }
    return AlertSettings(
        destinations=tuple(destinations),
        routes=tuple(routes),
        default_route=default_route,
        reminder_hours=numbers["reminder_hours"],
        settle_minutes=numbers["settle_minutes"],
        digest_threshold=int(numbers["digest_threshold"]),
        max_attempts=int(numbers["max_attempts"]),
        retry_base_minutes=numbers["retry_base_minutes"],
        retry_max_minutes=numbers["retry_max_minutes"],
        request_timeout_seconds=numbers["request_timeout_seconds"],
        email_transport=transport,
        email_sender=sender,
        acs_connection_string=acs,
        **_link_settings(env, problems),
    )


# An app setting whose Key Vault reference did not resolve holds the reference text itself ("Use Key
# Vault references as app settings", Microsoft Learn): that is no key, so links stay off until it is set.
_UNRESOLVED_REFERENCE = "@Microsoft.KeyVault("
LINK_KEY_CHARS = 32


def _link_settings(env: Mapping[str, str], problems: list[str]) -> dict[str, Any]:
    """MONITOR_ALERT_LINK_KEY and MONITOR_PUBLIC_URL; a problem names the setting, never the key."""
    from monitor.settings import LOOPBACK_HOSTS

    key = env.get("MONITOR_ALERT_LINK_KEY", "").strip()
    if key.startswith(_UNRESOLVED_REFERENCE):
        key = ""
    if key and len(key) < LINK_KEY_CHARS:
        problems.append(f"MONITOR_ALERT_LINK_KEY must be at least {LINK_KEY_CHARS} characters")
        key = ""
    url = env.get("MONITOR_PUBLIC_URL", "").strip().rstrip("/")
    parts = urlsplit(url)
    if url and (parts.scheme not in ("http", "https") or not parts.hostname):
        problems.append(f"MONITOR_PUBLIC_URL must be the app's http(s) URL, got {url!r}")
        url = ""
    elif url and parts.scheme == "http" and parts.hostname not in LOOPBACK_HOSTS:
        problems.append("MONITOR_PUBLIC_URL must use https unless it is on loopback")
        url = ""
    return {"link_key": key.encode(), "public_url": url}
