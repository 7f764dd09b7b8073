"""Azure Monitor alerts in the common alert schema (Microsoft Learn: "Common alert schema"), as
requests for a monitoring pass.

A log search alert on the Entra sign-in logs (for example on the PIN reset apps' failures) calls the
route through an action group's webhook. Only `data.essentials` is read: `monitorCondition` (a
Resolved notification asks for nothing), the alert's ID and rule for the record, and, when the action
group's custom properties set it, `tenantId`; otherwise the pass is for the tenant this deployment
reads.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from monitor.store.pass_queue import CONFIGURED_TENANT, PassRequest


def pass_request(alert: Mapping[str, Any], received: datetime) -> PassRequest | None:
    """The pass a schema-valid alert asks for; None for a resolved alert."""
    data = alert["data"]
    essentials = data["essentials"]
    if essentials["monitorCondition"] != "Fired":
        return None
    custom = data.get("customProperties") or {}
    tenant = str(custom.get("tenantId", "")).lower() or CONFIGURED_TENANT
    return PassRequest(tenant, essentials["alertId"], essentials["alertRule"], received)
