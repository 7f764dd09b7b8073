"""The one place that reads configuration: app settings in Azure, environment variables locally.

`Settings.from_env()` builds a frozen object and fails fast with every problem at once, so a person
fixing a deployment sees the whole list, not one missing setting per restart.
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from typing import Any, Literal
from urllib.parse import urlsplit

from monitor.thresholds import Thresholds

GraphCredentialKind = Literal["managed-identity", "default", "simulator"]
TapSigninMode = Literal["targeted", "full-scan"]
_TAP_MODES: tuple[TapSigninMode, ...] = ("targeted", "full-scan")
_CREDENTIALS: tuple[GraphCredentialKind, ...] = ("managed-identity", "default", "simulator")
LOOPBACK_HOSTS = frozenset({"127.0.0.1", "localhost", "::1"})
_QUEUE_NAME = re.compile(r"[a-z0-9][a-z0-9-]{1,61}[a-z0-9]")
_SHA256_HEX = re.compile(r"[0-9a-f]{64}")


class SettingsError(ValueError):
    """Configuration is missing or invalid; the message lists every problem."""

    def __init__(self, problems: list[str]) -> None:
        super().__init__("configuration problems: " + "; ".join(problems))
        self.problems = problems


@dataclass(frozen=True)
class Settings:
    # Root of Microsoft Graph, without version: https://graph.microsoft.com, or the simulator's URL.
    graph_endpoint: str = "https://graph.microsoft.com"
    # How to get Graph tokens: the Function's managed identity in Azure, DefaultAzureCredential for a
    # developer against a real tenant, or the offline credential the simulator accepts.
    graph_credential: GraphCredentialKind = "managed-identity"
    # Client ID of a user-assigned managed identity; empty for the system-assigned one.
    managed_identity_client_id: str = ""
    # Table Storage: a connection string (Azurite, or a key-based account) or an endpoint reached
    # with the managed identity. Neither: state lives in memory for the pass (scan).
    storage_connection_string: str = field(default="", repr=False)
    storage_endpoint: str = ""
    table_prefix: str = "pinmon"
    # Sign-in polling: re-read this much before the checkpoint (Graph's log latency has no SLA),
    # and on a first pass read this far back.
    signin_overlap_minutes: int = 180
    signin_lookback_days: int = 14
    # TAP sign-ins: read only the sign-ins of users the audit log says got a pass (targeted), or every
    # interactive sign-in of the window (full-scan). docs/tap.md compares their cost.
    tap_signin_mode: TapSigninMode = "targeted"
    # How far back a TAP user's sign-ins are read to learn the countries they usually sign in from.
    tap_history_days: int = 14
    # Base delay of msgraph-sdk's RetryHandler when a 429/503/504 carries no Retry-After.
    graph_retry_delay_seconds: float = 3.0
    graph_max_retries: int = 3
    telemetry_console: bool = False
    thresholds: Thresholds = field(default_factory=Thresholds)
    # Event-driven ingestion (docs/ingest.md). Alerts queue a pass on this Storage Queue; the queue
    # trigger's binding reads the same app settings (connection "MONITOR_QUEUE": a connection string,
    # or MONITOR_QUEUE__queueServiceUri for the managed identity). Without either, the storage
    # connection string is used (Azurite serves tables and queues).
    pass_queue_name: str = "pinmon-passes"
    queue_connection_string: str = field(default="", repr=False)
    queue_endpoint: str = ""
    # At most one alert-driven pass per tenant in this many seconds, however many alerts arrive.
    pass_debounce_seconds: int = 60
    # Bodies larger than this are refused with 413 before they are parsed.
    ingest_max_body_bytes: int = 262_144
    # SHA-256 digests (hex) of the keys the ingestion routes accept, beyond what the Functions host
    # checks; empty: any key the host let through. The keys themselves are never configured here.
    ingest_key_sha256: tuple[str, ...] = field(default=(), repr=False)

    @property
    def has_storage(self) -> bool:
        return bool(self.storage_connection_string or self.storage_endpoint)

    @property
    def has_queue(self) -> bool:
        return bool(self.queue_connection_string or self.queue_endpoint)

    def with_graph(self, endpoint: str, credential: GraphCredentialKind) -> Settings:
        return replace(self, graph_endpoint=endpoint, graph_credential=credential)

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None, *, require_storage: bool = False) -> Settings:
        env = os.environ if environ is None else environ
        problems: list[str] = []

        def text(name: str, default: str) -> str:
            return env.get(name, "").strip() or default

        def number(name: str, default: float, kind: type[int] | type[float], minimum: float) -> float:
            raw = env.get(name, "").strip()
            if not raw:
                return default
            try:
                value = kind(raw)
            except ValueError:
                problems.append(f"{name} must be a{'n integer' if kind is int else ' number'}, got {raw!r}")
                return default
            if value < minimum:
                problems.append(f"{name} must be at least {minimum}, got {raw!r}")
                return default
            return value

        endpoint = text("MONITOR_GRAPH_ENDPOINT", cls.graph_endpoint).rstrip("/")
        parts = urlsplit(endpoint)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            problems.append(f"MONITOR_GRAPH_ENDPOINT must be an http(s) URL, got {endpoint!r}")
        credential = text("MONITOR_GRAPH_CREDENTIAL", cls.graph_credential)
        if credential not in _CREDENTIALS:
            problems.append(
                f"MONITOR_GRAPH_CREDENTIAL must be one of {', '.join(_CREDENTIALS)}, got {credential!r}"
            )
            credential = cls.graph_credential
        if credential == "simulator" and (parts.hostname or "") not in LOOPBACK_HOSTS:
            problems.append(
                "MONITOR_GRAPH_CREDENTIAL=simulator only works with a loopback MONITOR_GRAPH_ENDPOINT"
            )
        if parts.scheme == "http" and (parts.hostname or "") not in LOOPBACK_HOSTS:
            problems.append("MONITOR_GRAPH_ENDPOINT must use https unless it is on loopback")

        connection = env.get("MONITOR_STORAGE_CONNECTION_STRING", "").strip()
        storage_endpoint = text("MONITOR_STORAGE_ENDPOINT", "")
        if require_storage and not (connection or storage_endpoint):
            problems.append(
                "MONITOR_STORAGE_CONNECTION_STRING or MONITOR_STORAGE_ENDPOINT is required to keep state"
            )
        tap_mode = text("MONITOR_TAP_SIGNIN_MODE", cls.tap_signin_mode)
        if tap_mode not in _TAP_MODES:
            modes = ", ".join(_TAP_MODES)
            problems.append(f"MONITOR_TAP_SIGNIN_MODE must be one of {modes}, got {tap_mode!r}")
            tap_mode = cls.tap_signin_mode
        prefix = text("MONITOR_TABLE_PREFIX", cls.table_prefix)
        if not prefix.isalnum() or not prefix[0].isalpha() or len(prefix) > 40:
            problems.append(
                f"MONITOR_TABLE_PREFIX must be letters and digits, starting with a letter, got {prefix!r}"
            )

        queue_name = text("MONITOR_PASS_QUEUE", cls.pass_queue_name)
        if not _QUEUE_NAME.fullmatch(queue_name) or "--" in queue_name:
            problems.append(
                "MONITOR_PASS_QUEUE must be 3-63 lowercase letters, digits and single hyphens, "
                f"starting and ending with a letter or digit, got {queue_name!r}"
            )
            queue_name = cls.pass_queue_name
        queue_connection = env.get("MONITOR_QUEUE", "").strip()
        queue_endpoint = text("MONITOR_QUEUE__queueServiceUri", "")
        if not (queue_connection or queue_endpoint) and "QueueEndpoint=" in connection:
            queue_connection = connection
        key_digests = tuple(
            d.strip().lower() for d in env.get("MONITOR_INGEST_KEY_SHA256", "").split(",") if d.strip()
        )
        bad_digests = [d for d in key_digests if not _SHA256_HEX.fullmatch(d)]
        if bad_digests:
            problems.append(
                f"MONITOR_INGEST_KEY_SHA256 must be SHA-256 digests in hex, comma-separated "
                f"({len(bad_digests)} are not)"
            )

        overrides: dict[str, Any] = {}
        defaults = Thresholds()
        for name, kind in Thresholds.types().items():
            key = f"MONITOR_{name.upper()}"
            if key in env:
                overrides[name] = number(key, getattr(defaults, name), kind, 0)

        settings = cls(
            graph_endpoint=endpoint,
            graph_credential=credential,
            managed_identity_client_id=text("AZURE_CLIENT_ID", ""),
            storage_connection_string=connection,
            storage_endpoint=storage_endpoint,
            table_prefix=prefix,
            signin_overlap_minutes=int(
                number("MONITOR_SIGNIN_OVERLAP_MINUTES", cls.signin_overlap_minutes, int, 0)
            ),
            tap_signin_mode=tap_mode,
            tap_history_days=int(number("MONITOR_TAP_HISTORY_DAYS", cls.tap_history_days, int, 1)),
            signin_lookback_days=int(
                number("MONITOR_SIGNIN_LOOKBACK_DAYS", cls.signin_lookback_days, int, 1)
            ),
            graph_retry_delay_seconds=number(
                "MONITOR_GRAPH_RETRY_DELAY_SECONDS", cls.graph_retry_delay_seconds, float, 0
            ),
            graph_max_retries=int(number("MONITOR_GRAPH_MAX_RETRIES", cls.graph_max_retries, int, 0)),
            telemetry_console=text("MONITOR_TELEMETRY_CONSOLE", "").lower() in ("1", "true", "yes"),
            thresholds=replace(defaults, **overrides),
            pass_queue_name=queue_name,
            queue_connection_string=queue_connection,
            queue_endpoint=queue_endpoint,
            pass_debounce_seconds=int(
                number("MONITOR_PASS_DEBOUNCE_SECONDS", cls.pass_debounce_seconds, int, 0)
            ),
            ingest_max_body_bytes=int(
                number("MONITOR_INGEST_MAX_BODY_BYTES", cls.ingest_max_body_bytes, int, 1024)
            ),
            ingest_key_sha256=key_digests,
        )
        if settings.signin_lookback_days > 30:
            problems.append(
                "MONITOR_SIGNIN_LOOKBACK_DAYS cannot exceed 30: Entra keeps sign-ins 30 days at most"
            )
        if settings.graph_max_retries > 10:
            problems.append("MONITOR_GRAPH_MAX_RETRIES cannot exceed 10 (msgraph-sdk's limit)")
        if settings.ingest_max_body_bytes > 100 * 1024 * 1024:
            problems.append(
                "MONITOR_INGEST_MAX_BODY_BYTES cannot exceed 104857600 (the Functions host's limit)"
            )
        if settings.graph_retry_delay_seconds > 180:
            problems.append("MONITOR_GRAPH_RETRY_DELAY_SECONDS cannot exceed 180 (msgraph-sdk's limit)")
        if problems:
            raise SettingsError(problems)
        return settings
