"""Tenant, domains and the PIN reset apps' service principals (v1.0, built by msgraph-sdk's builders)."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable, Mapping
from typing import TypeVar

from kiota_abstractions.base_request_configuration import RequestConfiguration
from msgraph.generated.domains.domains_request_builder import DomainsRequestBuilder
from msgraph.generated.service_principals.service_principals_request_builder import (
    ServicePrincipalsRequestBuilder,
)

from monitor.collectors.fields import collect_items, text
from monitor.entra import PIN_RESET_APPS
from monitor.graph.errors import GraphReadError
from monitor.graph.session import GraphSession
from monitor.records import ConsentState, Readout, ServicePrincipal, Tenant, TenantDomain

log = logging.getLogger(__name__)
T = TypeVar("T")


class TenantUnreadable(Exception):
    """The tenant itself (GET /organization) could not be read: a pass cannot go on without it."""


async def readout(read: Callable[[], Awaitable[T]]) -> Readout[T]:
    """Run one collector; a Graph failure becomes the readout's problem instead of an exception."""
    try:
        return Readout.of(await read())
    except GraphReadError as exc:
        log.warning("graph data not read: source=%s kind=%s reason=%s", exc.source, exc.kind, exc.reason)
        return Readout.missing(exc.problem())


async def read_tenant(graph: GraphSession) -> Tenant:
    try:
        organizations = await collect_items(
            graph,
            graph.client.organization.to_get_request_information(),
            "v1.0/organization",
            "Organization.Read.All or Directory.Read.All",
        )
    except GraphReadError as exc:
        raise TenantUnreadable(exc.reason) from exc
    found = [org for org in organizations if text(org, "id")]
    if not found:
        raise TenantUnreadable("v1.0/organization returned no organization")
    return Tenant(id=text(found[0], "id"), display_name=text(found[0], "displayName"))


async def read_domains(graph: GraphSession) -> tuple[TenantDomain, ...]:
    query = DomainsRequestBuilder.DomainsRequestBuilderGetQueryParameters(
        select=["id", "authenticationType", "isVerified"]
    )
    items = await collect_items(
        graph,
        graph.client.domains.to_get_request_information(RequestConfiguration(query_parameters=query)),
        "v1.0/domains",
        "Domain.Read.All",
    )
    return tuple(
        TenantDomain(text(d, "id"), text(d, "authenticationType", "Managed"), d.get("isVerified") is True)
        for d in items
        if text(d, "id")
    )


async def read_consent(graph: GraphSession) -> Mapping[str, ConsentState]:
    """Each PIN reset app's service principal, looked up by appId (one query per app; docs/facts.md)."""
    states: dict[str, ConsentState] = {}
    for app_id in PIN_RESET_APPS:
        query = ServicePrincipalsRequestBuilder.ServicePrincipalsRequestBuilderGetQueryParameters(
            filter=f"appId eq '{app_id}'", select=["id", "appId", "displayName", "accountEnabled"]
        )
        items = await collect_items(
            graph,
            graph.client.service_principals.to_get_request_information(
                RequestConfiguration(query_parameters=query)
            ),
            "v1.0/servicePrincipals",
            "Application.Read.All",
        )
        principals = [sp for sp in items if text(sp, "appId") == app_id and text(sp, "id")]
        principal = None
        if principals:
            sp = principals[0]
            principal = ServicePrincipal(
                object_id=text(sp, "id"),
                app_id=app_id,
                display_name=text(sp, "displayName", PIN_RESET_APPS[app_id]),
                # A service principal is enabled unless Graph says accountEnabled false.
                account_enabled=sp.get("accountEnabled") is not False,
            )
        states[app_id] = ConsentState(app_id, principal)
    return states
