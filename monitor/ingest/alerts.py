"""Azure Monitor alerts in the common alert schema (Microsoft Learn: "Common alert schema"), as
requests for a monitoring pass.

A log search alert on the Entra sign-in logs (for example on the PIN reset apps' failures) calls the
route through an action group's webhook. Read are `data.essentials`: `monitorCondition` (a Resolved
notification asks for nothing), the alert's ID and rule for the record; and the `tenantId` custom
property when the alert rule sets one (action groups set none). Otherwise the pass is for the tenant
this deployment reads.
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
    tenant = _named_tenant(data) or CONFIGURED_TENANT
    return PassRequest(tenant, essentials["alertId"], essentials["alertRule"], received)


def _named_tenant(data: Mapping[str, Any]) -> str:
    """The tenantId custom property of the alert rule, where Azure Monitor puts it: `customProperties`
    (metric alerts), or `alertContext.properties` (log search alerts, whose `customProperties` is null;
    Microsoft Learn: "Sample alert payloads"). The schema checked that either is a GUID."""
    for found in (data.get("customProperties"), (data.get("alertContext") or {}).get("properties")):
        if isinstance(found, Mapping) and isinstance(found.get("tenantId"), str):
            return str(found["tenantId"]).lower()
    return ""
