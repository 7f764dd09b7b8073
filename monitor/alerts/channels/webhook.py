"""The generic webhook channel: a versioned JSON body (docs/webhook-schema-v1.json) signed with
HMAC-SHA256, for a notice, a digest, or the weekly report (`kind: "weeklyReport"`).

The receiver recomputes `sha256=` + hex(HMAC-SHA256(key, raw body)) and compares it with the
`X-Monitor-Signature` header in constant time; `sentAt` in the signed body lets it refuse replays.
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import TYPE_CHECKING, Any

import orjson

from monitor.alerts.channels.base import Notices, Post, Rollup, Via, Weekly, post, read_url, what
from monitor.alerts.delivery import Outcome
from monitor.alerts.settings import AlertDestination
from monitor.rules.evidence import iso

if TYPE_CHECKING:
    from monitor.weekly.report import WeeklyReport
    from monitor.weekly.rollup import WeeklyRollup

SCHEMA_VERSION = "1"
SIGNATURE_HEADER = "X-Monitor-Signature"
DELIVERY_HEADER = "X-Monitor-Delivery"


def body(delivery_id: str, items: Sequence[Mapping[str, Any]], sent_at: datetime, digest: bool) -> bytes:
    document = {
        "schemaVersion": SCHEMA_VERSION,
        "source": "pin-reset-monitor",
        "deliveryId": delivery_id,
        "kind": "digest" if digest else "notification",
        "sentAt": iso(sent_at),
        "notifications": list(items),
    }
    return orjson.dumps(document)


def signature(key: bytes, raw: bytes) -> str:
    return "sha256=" + hmac.new(key, raw, hashlib.sha256).hexdigest()


def verify(key: bytes, raw: bytes, header: str) -> bool:
    return hmac.compare_digest(signature(key, raw), header)


# `kind: "weeklyReport"` is new in version 1.1 of the webhook schema (docs/webhook-schema-v1.1.json);
# alert notices keep saying "1", which every 1.x receiver takes.
WEEKLY_SCHEMA_VERSION = "1.1"


def weekly_delivery_id(report: WeeklyReport) -> str:
    """Stable for one tenant's report of one week: a resend carries the same ID, so a receiver that
    drops duplicates by X-Monitor-Delivery drops it."""
    key = f"{report.snapshot.tenant.id}|{iso(report.snapshot.period_end)}"
    return f"weekly.{hashlib.sha256(key.encode()).hexdigest()[:16]}"


def weekly_body(report: WeeklyReport, at: datetime) -> bytes:
    return orjson.dumps(
        {
            "schemaVersion": WEEKLY_SCHEMA_VERSION,
            "source": "pin-reset-monitor",
            "deliveryId": weekly_delivery_id(report),
            "kind": "weeklyReport",
            "sentAt": iso(at),
            "report": report.to_json(),
        }
    )


# `kind: "weeklyRollup"` is new in version 1.2 (docs/webhook-schema-v1.2.json).
ROLLUP_SCHEMA_VERSION = "1.2"


def rollup_delivery_id(rollup: WeeklyRollup) -> str:
    """Stable for one week's roll-up of one set of tenants: a resend carries the same ID."""
    tenants = ",".join(sorted(row.tenant_id for row in rollup.rows))
    key = f"rollup|{iso(rollup.period_end)}|{tenants}"
    return f"rollup.{hashlib.sha256(key.encode()).hexdigest()[:16]}"


def rollup_body(rollup: WeeklyRollup, at: datetime) -> bytes:
    return orjson.dumps(
        {
            "schemaVersion": ROLLUP_SCHEMA_VERSION,
            "source": "pin-reset-monitor",
            "deliveryId": rollup_delivery_id(rollup),
            "kind": "weeklyRollup",
            "sentAt": iso(at),
            "rollup": rollup.to_json(),
        }
    )


# The channel (monitor.alerts.channels.base.Channel).
BUNDLES = False
# A key shorter than this is refused when the settings are read.
HMAC_KEY_CHARS = 16


def configure(name: str, prefix: str, env: Mapping[str, str], problems: list[str]) -> dict[str, Any]:
    url = read_url(name, "webhook", prefix, env, problems)
    key = env.get(f"{prefix}_HMAC_KEY", "").strip()
    if len(key) < HMAC_KEY_CHARS:
        problems.append(f"{prefix}_HMAC_KEY must be set to at least {HMAC_KEY_CHARS} characters for {name}")
    return {"url": url, "hmac_key": key.encode()}


def targets(destination: AlertDestination) -> tuple[str, ...]:
    return (destination.name,)


def _signed(destination: AlertDestination, raw: bytes, delivery_id: str) -> Post:
    return Post(raw, {SIGNATURE_HEADER: signature(destination.hmac_key, raw), DELIVERY_HEADER: delivery_id})


def render_notices(notices: Notices, via: Via) -> Post:
    raw = body(notices.delivery_id, notices.items, via.now, notices.digest)
    return _signed(notices.destination, raw, notices.delivery_id)


def render_weekly(weekly: Weekly, via: Via) -> Post:
    raw = weekly_body(weekly.report, via.now)
    return _signed(weekly.destination, raw, weekly_delivery_id(weekly.report))


async def send_notices(notices: Notices, via: Via) -> Outcome:
    return await post(notices.destination, render_notices(notices, via), via)


async def send_weekly(weekly: Weekly, via: Via) -> list[tuple[str, Outcome]]:
    return [(what(weekly.destination), await post(weekly.destination, render_weekly(weekly, via), via))]


def render_rollup(rollup: Rollup, via: Via) -> Post:
    return _signed(rollup.destination, rollup_body(rollup.rollup, via.now), rollup_delivery_id(rollup.rollup))


async def send_rollup(rollup: Rollup, via: Via) -> list[tuple[str, Outcome]]:
    return [(what(rollup.destination), await post(rollup.destination, render_rollup(rollup, via), via))]
