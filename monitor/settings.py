"""The one place that reads configuration: app settings in Azure, environment variables locally.

`from_env()` builds a frozen object and fails fast with every problem at once, so a person fixing a
deployment sees the whole list, not one missing setting per restart. It is called in one place: each
invocation's `Runtime` (monitor/service/runtime.py) reads the settings once and hands them down.
"""

from __future__ import annotations

import math
import os
import re
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from typing import Any, Literal
from urllib.parse import SplitResult, urlsplit

from monitor.alerts.settings import AlertSettings, alert_settings
from monitor.graph.budget import BudgetConfigError, BudgetSettings
from monitor.schedule import schedule_problem
from monitor.soc.settings import SocSettings, soc_settings
from monitor.tenants.settings import MspSettings, msp_settings
from monitor.thresholds import Thresholds

GraphCredentialKind = Literal["managed-identity", "default", "simulator"]
TapSigninMode = Literal["targeted", "full-scan"]
_TAP_MODES: tuple[TapSigninMode, ...] = ("targeted", "full-scan")
_CREDENTIALS: tuple[GraphCredentialKind, ...] = ("managed-identity", "default", "simulator")
LOOPBACK_HOSTS = frozenset({"127.0.0.1", "localhost", "::1"})
# The queue alerts put passes on. function_app.py's queue trigger names it too (a literal there, so the
# host can index the trigger without an app setting); tests check that the two agree.
PASS_QUEUE = "pinmon-passes"
_SHA256_HEX = re.compile(r"[0-9a-f]{64}")
# The keys of an Azure Storage connection string ("Configure Azure Storage connection strings").
_CONNECTION_KEYS = frozenset(
    k.lower()
    for k in (
        "DefaultEndpointsProtocol",
        "AccountName",
        "AccountKey",
        "SharedAccessSignature",
        "EndpointSuffix",
        "TableEndpoint",
        "QueueEndpoint",
        "BlobEndpoint",
        "FileEndpoint",
        "TableSecondaryEndpoint",
        "QueueSecondaryEndpoint",
        "BlobSecondaryEndpoint",
        "FileSecondaryEndpoint",
        "UseDevelopmentStorage",
        "DevelopmentStorageProxyUri",
    )
)


def connection_string_problem(value: str) -> str | None:
    """Why `value` is not a storage connection string, naming no part of it (it holds a key)."""
    pairs = [part.split("=", 1) for part in value.split(";") if part.strip()]
    if not pairs or any(len(pair) != 2 or not pair[1] for pair in pairs):
        return "MONITOR_STORAGE_CONNECTION_STRING must be key=value pairs separated by ';'"
    keys = {key.strip().lower() for key, _ in pairs}
    unknown = keys - _CONNECTION_KEYS
    if unknown:
        return f"MONITOR_STORAGE_CONNECTION_STRING has unknown keys: {', '.join(sorted(unknown))}"
    if "accountname" not in keys and "usedevelopmentstorage" not in keys:
        return "MONITOR_STORAGE_CONNECTION_STRING names no AccountName"
    return None


def _host_queue(env: Mapping[str, str], storage_connection: str) -> tuple[str, str]:
    """(connection string, queue endpoint) of the Function app's storage, as its queue trigger reaches it
    ("Connecting to host storage with an identity" in Microsoft's Azure Functions reference)."""
    endpoint = env.get("AzureWebJobsStorage__queueServiceUri", "").strip().rstrip("/")
    account = env.get("AzureWebJobsStorage__accountName", "").strip()
    if endpoint:
        return "", endpoint
    if account:
        return "", f"https://{account}.queue.core.windows.net"
    host = env.get("AzureWebJobsStorage", "").strip()
    if host and "UseDevelopmentStorage" not in host:
        return host, ""
    return (storage_connection, "") if "QueueEndpoint=" in storage_connection else ("", "")


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
    # One pass per tenant at a time: a pass holds the tenant's lease for at most this long (longer than
    # the Functions timeout of 10 minutes), and a second pass waits this long before recording itself
    # skipped.
    pass_lease_minutes: int = 11
    pass_wait_seconds: int = 0
    # NCRONTAB schedule of the timer trigger (six fields); health derives "stale" from it.
    poll_schedule: str = ""
    # Telemetry exporters (monitor/telemetry.py): Application Insights when its connection string is set,
    # any OTLP/HTTP collector when an endpoint is set, stderr when asked; several at once is fine.
    # How long a pass may spend reading Graph (the Functions timeout in host.json is 10 minutes, and
    # rules and storage need the rest); what does not fit is read by the next pass. 0: no limit.
    pass_budget_seconds: float = 480.0
    # Pace report requests (sign-ins, audits, authentication methods) to Graph's 5 per 10 s, so that a
    # pass meets no 429. Off against the simulator, which throttles only when asked to.
    graph_pacing: bool = True
    telemetry_console: bool = False
    applicationinsights_connection_string: str = field(default="", repr=False)
    # APPLICATIONINSIGHTS_AUTHENTICATION_STRING `ClientId=<id>;Authorization=AAD`: send with a managed
    # identity (the component's local auth is off in infra/). Empty client ID: the system-assigned one.
    applicationinsights_entra_auth: bool = False
    applicationinsights_client_id: str = ""
    otlp_endpoint: str = ""
    thresholds: Thresholds = field(default_factory=Thresholds)
    alerts: AlertSettings = field(default_factory=AlertSettings)
    # The weekly snapshot: its NCRONTAB schedule (the timer binding reads the app setting itself; it is
    # checked here so a typo shows in /api/health), and a folder the timer writes the report into
    # (empty: the snapshot is only kept in Table Storage and handed to the alert channels).
    weekly_schedule: str = ""
    weekly_output: str = ""
    # Event-driven ingestion (docs/ingest.md). Alerts queue a pass on the Storage Queue PASS_QUEUE of
    # the Function app's own storage account: the queue trigger's connection is AzureWebJobsStorage,
    # and the monitor reads the same settings (AzureWebJobsStorage__queueServiceUri or __accountName
    # with the managed identity, or an AzureWebJobsStorage connection string). Locally, the storage
    # connection string serves when it has a QueueEndpoint (Azurite serves tables and queues).
    pass_queue_name: str = PASS_QUEUE
    queue_connection_string: str = field(default="", repr=False)
    queue_endpoint: str = ""
    # At most one alert-driven pass per tenant in this many seconds, however many alerts arrive.
    pass_debounce_seconds: int = 60
    # Bodies larger than this are refused with 413 before they are parsed.
    ingest_max_body_bytes: int = 262_144
    # SHA-256 digests (hex) of the keys the ingestion routes accept, beyond what the Functions host
    # checks; empty: any key the host let through. The keys themselves are never configured here.
    ingest_key_sha256: tuple[str, ...] = field(default=(), repr=False)
    soc: SocSettings = field(default_factory=SocSettings)  # the SOC's review and Sentinel (docs/soc.md)
    msp: MspSettings = field(default_factory=MspSettings)  # many tenants from one deployment (docs/msp.md)
    # One report budget shared by every instance (monitor/graph/budget.py; docs/msp.md).
    budget: BudgetSettings = field(default_factory=BudgetSettings)

    @property
    def has_storage(self) -> bool:
        return bool(self.storage_connection_string or self.storage_endpoint)

    @property
    def has_queue(self) -> bool:
        return bool(self.queue_connection_string or self.queue_endpoint)

    def with_graph(self, endpoint: str, credential: GraphCredentialKind) -> Settings:
        pacing = self.graph_pacing and credential != "simulator"
        return replace(self, graph_endpoint=endpoint, graph_credential=credential, graph_pacing=pacing)

    @classmethod
    def from_env(
        cls,
        environ: Mapping[str, str] | None = None,
        *,
        require_storage: bool = False,
        require_schedule: bool = False,
    ) -> Settings:
        env = os.environ if environ is None else environ
        problems: list[str] = []

        def text(name: str, default: str) -> str:
            return env.get(name, "").strip() or default

        def number(
            name: str,
            default: float,
            kind: type[int] | type[float],
            minimum: float,
            maximum: float | None = None,
        ) -> float:
            raw = env.get(name, "").strip()
            if not raw:
                return default
            try:
                value = kind(raw)
            except ValueError:
                problems.append(
                    f"{name} must be a{'n integer' if kind is int else ' number'}, got {raw[:40]!r}"
                )
                return default
            if not math.isfinite(value):
                problems.append(f"{name} must be a finite number, got {raw[:40]!r}")
                return default
            if maximum is not None and not minimum <= value <= maximum:
                problems.append(
                    f"{name} must be between {_plain(minimum)} and {_plain(maximum)}, got {raw[:40]!r}"
                )
                return default
            if value < minimum:
                problems.append(f"{name} must be at least {minimum}, got {raw[:40]!r}")
                return default
            return value

        endpoint = text("MONITOR_GRAPH_ENDPOINT", cls.graph_endpoint).rstrip("/")
        parts = _url_parts(endpoint)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            problems.append(f"MONITOR_GRAPH_ENDPOINT must be an http(s) URL, got {redacted_url(endpoint)!r}")
        elif "@" in parts.netloc:
            problems.append(
                "MONITOR_GRAPH_ENDPOINT must not carry a user name or password (the URL's user info)"
            )
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
        if connection and (problem := connection_string_problem(connection)):
            problems.append(problem)
        storage_endpoint = text("MONITOR_STORAGE_ENDPOINT", "")
        if require_storage and not (connection or storage_endpoint):
            problems.append(
                "MONITOR_STORAGE_CONNECTION_STRING or MONITOR_STORAGE_ENDPOINT is required to keep state"
            )
        schedule = text("MONITOR_POLL_SCHEDULE", "")
        if schedule and (problem := schedule_problem("MONITOR_POLL_SCHEDULE", schedule)):
            problems.append(problem)
        elif not schedule and require_schedule:
            problems.append(
                "MONITOR_POLL_SCHEDULE is not set: the timer trigger has no schedule "
                "(six NCRONTAB fields, e.g. '0 */15 * * * *')"
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

        insights_connection = env.get("APPLICATIONINSIGHTS_CONNECTION_STRING", "").strip()
        if insights_connection and "=" not in insights_connection:
            problems.append("APPLICATIONINSIGHTS_CONNECTION_STRING must be a key=value;... connection string")
        insights_auth = _insights_authentication(env.get("APPLICATIONINSIGHTS_AUTHENTICATION_STRING", ""))
        if insights_auth is None:
            problems.append(
                "APPLICATIONINSIGHTS_AUTHENTICATION_STRING must be 'Authorization=AAD' "
                "or 'ClientId=<client id>;Authorization=AAD'"
            )
        otlp_endpoint = text("OTEL_EXPORTER_OTLP_ENDPOINT", "").rstrip("/")
        otlp_parts = _url_parts(otlp_endpoint)
        if otlp_endpoint and (otlp_parts.scheme not in ("http", "https") or not otlp_parts.hostname):
            problems.append(
                f"OTEL_EXPORTER_OTLP_ENDPOINT must be an http(s) URL, got {redacted_url(otlp_endpoint)!r}"
            )

        weekly_schedule = text("MONITOR_WEEKLY_SCHEDULE", "")
        if weekly_schedule and (problem := schedule_problem("MONITOR_WEEKLY_SCHEDULE", weekly_schedule)):
            problems.append(problem)
        queue_connection, queue_endpoint = _host_queue(env, connection)
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
                overrides[name] = number(key, getattr(defaults, name), kind, 0, _threshold_maximum(name))

        try:
            budget = BudgetSettings.parse(env, connection, storage_endpoint)
        except BudgetConfigError as exc:
            problems.append(str(exc))
            budget = BudgetSettings()

        settings = cls(
            graph_endpoint=endpoint,
            graph_credential=credential,
            managed_identity_client_id=text("AZURE_CLIENT_ID", ""),
            storage_connection_string=connection,
            storage_endpoint=storage_endpoint,
            table_prefix=prefix,
            signin_overlap_minutes=int(
                number("MONITOR_SIGNIN_OVERLAP_MINUTES", cls.signin_overlap_minutes, int, 0, 43_200)
            ),
            tap_signin_mode=tap_mode,
            tap_history_days=int(number("MONITOR_TAP_HISTORY_DAYS", cls.tap_history_days, int, 1, 3650)),
            signin_lookback_days=int(
                number("MONITOR_SIGNIN_LOOKBACK_DAYS", cls.signin_lookback_days, int, 1)
            ),
            graph_retry_delay_seconds=number(
                "MONITOR_GRAPH_RETRY_DELAY_SECONDS", cls.graph_retry_delay_seconds, float, 0
            ),
            graph_max_retries=int(number("MONITOR_GRAPH_MAX_RETRIES", cls.graph_max_retries, int, 0)),
            pass_lease_minutes=int(
                number("MONITOR_PASS_LEASE_MINUTES", cls.pass_lease_minutes, int, 1, 1440)
            ),
            pass_wait_seconds=int(number("MONITOR_PASS_WAIT_SECONDS", cls.pass_wait_seconds, int, 0, 3600)),
            poll_schedule=schedule,
            graph_pacing=text("MONITOR_GRAPH_PACING", "on").lower() not in ("0", "off", "false", "no"),
            pass_budget_seconds=number(
                "MONITOR_PASS_BUDGET_SECONDS", cls.pass_budget_seconds, float, 0, 86_400
            ),
            telemetry_console=text("MONITOR_TELEMETRY_CONSOLE", "").lower() in ("1", "true", "yes"),
            applicationinsights_connection_string=insights_connection,
            applicationinsights_entra_auth=insights_auth is not None and insights_auth[0],
            applicationinsights_client_id=insights_auth[1] if insights_auth else "",
            otlp_endpoint=otlp_endpoint,
            thresholds=replace(defaults, **overrides),
            alerts=alert_settings(env, problems, number),
            weekly_schedule=weekly_schedule,
            weekly_output=text("MONITOR_WEEKLY_OUTPUT", ""),
            queue_connection_string=queue_connection,
            queue_endpoint=queue_endpoint,
            pass_debounce_seconds=int(
                number("MONITOR_PASS_DEBOUNCE_SECONDS", cls.pass_debounce_seconds, int, 0, 86_400)
            ),
            ingest_max_body_bytes=int(
                number("MONITOR_INGEST_MAX_BODY_BYTES", cls.ingest_max_body_bytes, int, 1024)
            ),
            ingest_key_sha256=key_digests,
            soc=soc_settings(env, problems, number),
            msp=msp_settings(env, problems),
            budget=budget,
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
        if 0 < settings.pass_budget_seconds < 30:
            problems.append("MONITOR_PASS_BUDGET_SECONDS must be 0 (no limit) or at least 30")
        if problems:
            raise SettingsError(problems)
        return settings


def _plain(bound: float) -> str:
    return str(int(bound)) if float(bound).is_integer() else str(bound)


# What a threshold may be at most, by its unit: enough for any sensible setting, far from what would
# overflow a time computed from it.
_THRESHOLD_MAXIMA = {"_days": 3650, "_hours": 87_600, "_minutes": 5_256_000}


def _threshold_maximum(name: str) -> float:
    return next((v for suffix, v in _THRESHOLD_MAXIMA.items() if name.endswith(suffix)), 1_000_000)


def _url_parts(url: str) -> SplitResult:
    """The URL's parts; an unparsable one (a bad IPv6 host, a port that is not a number) has none."""
    try:
        parts = urlsplit(url)
        parts.port  # noqa: B018 - raises ValueError for a port that is not a number
    except ValueError:
        return urlsplit("")
    return parts


def redacted_url(url: str) -> str:
    """The URL as it may be shown in an error, a log or health: any user info (user:password@) replaced."""
    scheme, sep, rest = url.partition("://")
    if not sep:
        return url[:200] if "@" not in url else "<a URL with user info>"
    authority, slash, path = rest.partition("/")
    if "@" in authority:
        authority = "***@" + authority.rpartition("@")[2]
    return f"{scheme}://{authority}{slash}{path}"[:200]


def _insights_authentication(raw: str) -> tuple[bool, str] | None:
    """(Entra auth on, client ID) from APPLICATIONINSIGHTS_AUTHENTICATION_STRING; None when malformed.

    The format is the Functions host's: `ClientId=<id>;Authorization=AAD` (a user-assigned identity) or
    `Authorization=AAD` (the system-assigned one). Empty means key-based ingestion.
    """
    if not raw.strip():
        return False, ""
    pairs: dict[str, str] = {}
    for part in raw.strip().strip(";").split(";"):
        key, sep, value = part.partition("=")
        if not sep or not value.strip():
            return None
        pairs[key.strip().lower()] = value.strip()
    if pairs.get("authorization") != "AAD" or set(pairs) - {"authorization", "clientid"}:
        return None
    return True, pairs.get("clientid", "")
