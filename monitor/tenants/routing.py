"""One customer tenant's settings in a many-tenant deployment: its own thresholds, and its alerts to its
own destinations, with every critical finding (and the tenant's quarantine) also to the provider's
operations destinations, the deployment's default route."""

from __future__ import annotations

from dataclasses import replace
from typing import TYPE_CHECKING

from monitor.alerts.settings import AlertRoute

if TYPE_CHECKING:
    from monitor.settings import Settings
    from monitor.store.tenants import TenantRecord

QUARANTINE_RULE = "monitor.tenant.unreachable"


def tenant_settings(settings: Settings, record: TenantRecord) -> Settings:
    """`settings` as `record` changes them. A tenant with no destinations of its own follows the
    deployment's routes, as a single-tenant deployment does."""
    types = type(settings.thresholds).types()
    thresholds = replace(
        settings.thresholds, **{k: types[k](v) for k, v in record.thresholds.items() if k in types}
    )
    alerts = settings.alerts
    if record.destinations:
        provider = alerts.default_route
        routes = (
            AlertRoute(tuple(record.destinations)),
            AlertRoute(provider, severities=("critical",)),
            AlertRoute(provider, rules=(QUARANTINE_RULE,)),
        )
        alerts = replace(alerts, routes=routes)
    return replace(settings, thresholds=thresholds, alerts=alerts)
