"""MONITOR_SOC_* and MONITOR_SENTINEL_* settings (docs/soc.md, docs/deploy.md), read by
`monitor.settings.Settings` like every other setting."""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from urllib.parse import urlsplit

# The stream names a data collection rule declares for custom tables: Custom-<name>.
_STREAM = re.compile(r"^Custom-[A-Za-z0-9_]{1,60}$")
_IMMUTABLE_ID = re.compile(r"^dcr-[0-9a-f]{32}$")


@dataclass(frozen=True)
class SocSettings:
    # A sign-in a rule flagged and nobody reviewed this long after it was flagged raises an alert.
    review_hours: float = 24.0
    # App Service built-in authentication is on in front of the app (infra/app/easyauth.bicep sets it):
    # only then does the review page trust the X-MS-CLIENT-PRINCIPAL header.
    easy_auth: bool = False
    # Microsoft Sentinel / Log Analytics through the Logs Ingestion API: off unless the endpoint is set.
    sentinel_endpoint: str = ""  # the data collection endpoint's logs ingestion URL
    sentinel_dcr_id: str = ""  # the data collection rule's immutable ID (dcr-...)
    sentinel_signin_stream: str = "Custom-TapSignInReview_CL"
    sentinel_finding_stream: str = "Custom-MonitorFinding_CL"

    @property
    def sentinel_on(self) -> bool:
        return bool(self.sentinel_endpoint)


Number = Callable[[str, float, type[int] | type[float], float], float]


def soc_settings(env: Mapping[str, str], problems: list[str], number: Number) -> SocSettings:
    defaults = SocSettings()
    endpoint = env.get("MONITOR_SENTINEL_ENDPOINT", "").strip().rstrip("/")
    dcr = env.get("MONITOR_SENTINEL_DCR_ID", "").strip()
    streams = {
        name: env.get(f"MONITOR_SENTINEL_{name.upper()}_STREAM", "").strip() or getattr(defaults, field)
        for name, field in (("signin", "sentinel_signin_stream"), ("finding", "sentinel_finding_stream"))
    }
    if endpoint:
        parts = urlsplit(endpoint)
        loopback = parts.hostname in ("127.0.0.1", "localhost", "::1")
        if parts.scheme != "https" and not (parts.scheme == "http" and loopback):
            problems.append("MONITOR_SENTINEL_ENDPOINT must be an https URL (a data collection endpoint)")
        if not _IMMUTABLE_ID.match(dcr):
            problems.append(
                "MONITOR_SENTINEL_DCR_ID must be the data collection rule's immutable ID (dcr- and 32 hex "
                f"digits), got {dcr!r}"
            )
    for name, stream in streams.items():
        if not _STREAM.match(stream):
            problems.append(f"MONITOR_SENTINEL_{name.upper()}_STREAM must be Custom-<table>, got {stream!r}")
    hours = number("MONITOR_SOC_REVIEW_HOURS", defaults.review_hours, float, 0.25)
    easy_auth = env.get("MONITOR_SOC_EASY_AUTH", "").strip().lower()
    if easy_auth not in ("", "on", "off", "true", "false", "1", "0"):
        problems.append(f"MONITOR_SOC_EASY_AUTH must be on or off, got {easy_auth!r}")
    return SocSettings(
        review_hours=hours,
        easy_auth=easy_auth in ("on", "true", "1"),
        sentinel_endpoint=endpoint,
        sentinel_dcr_id=dcr,
        sentinel_signin_stream=streams["signin"],
        sentinel_finding_stream=streams["finding"],
    )
