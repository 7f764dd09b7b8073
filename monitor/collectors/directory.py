"""Tenant, domains and the PIN reset apps' service principals: small collections, typed SDK reads."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable, Mapping
from typing import TypeVar

from kiota_abstractions.base_request_configuration import RequestConfiguration
from msgraph.generated.domains.domains_request_builder import DomainsRequestBuilder
from msgraph.generated.service_principals.service_principals_request_builder import (
    ServicePrincipalsRequestBuilder,
)

from monitor.domain import PIN_RESET_APPS
from monitor.graph.errors import GraphReadError
from monitor.graph.session import GraphSession
from monitor.records import ConsentState, Readout, ServicePrincipal, Tenant, TenantDomain

log = logging.getLogger(__name__)
T = TypeVar("T")


class TenantUnreadable(Exception):
    """The tenant itself (GET /organization) could not be read: a pass cannot go on without it."""


async def read_tenant(graph: GraphSession) -> Tenant:
    try:
        answer = await graph.call(
            lambda: graph.client.organization.get(),
            "v1.0/organization",
            "Organization.Read.All or Directory.Read.All",
        )
    except GraphReadError as exc:
        raise TenantUnreadable(exc.reason) from exc
    organizations = (answer.value if answer else None) or []
    if not organizations or not organizations[0].id:
        raise TenantUnreadable("v1.0/organization returned no organization")
    org = organizations[0]
    return Tenant(id=str(org.id), display_name=org.display_name or "")


async def readout(read: Callable[[], Awaitable[T]]) -> Readout[T]:
    """Run one collector; a Graph failure becomes the readout's problem instead of an exception."""
    try:
        return Readout.of(await read())
    except GraphReadError as exc:
        log.warning("graph data not read: source=%s kind=%s reason=%s", exc.source, exc.kind, exc.reason)
        return Readout.missing(exc.problem())


async def read_domains(graph: GraphSession) -> tuple[TenantDomain, ...]:
    query = DomainsRequestBuilder.DomainsRequestBuilderGetQueryParameters(
        select=["id", "authenticationType", "isVerified"]
    )
    builder = graph.client.domains
    answer = await graph.call(
        lambda: builder.get(RequestConfiguration(query_parameters=query)), "v1.0/domains", "Domain.Read.All"
    )
    domains: list[TenantDomain] = []
    while answer is not None:
        domains.extend(
            TenantDomain(d.id, d.authentication_type or "Managed", bool(d.is_verified))
            for d in answer.value or []
            if d.id
        )
        next_link = answer.odata_next_link
        if not next_link:
            break
        answer = await graph.call(
            lambda link=next_link: builder.with_url(link).get(),  # type: ignore[misc]
            "v1.0/domains",
            "Domain.Read.All",
        )
    return tuple(domains)


async def read_consent(graph: GraphSession) -> Mapping[str, ConsentState]:
    """Each PIN reset app's service principal, looked up by appId (DOMAIN.md: one query per app)."""
    states: dict[str, ConsentState] = {}
    for app_id in PIN_RESET_APPS:
        query = ServicePrincipalsRequestBuilder.ServicePrincipalsRequestBuilderGetQueryParameters(
            filter=f"appId eq '{app_id}'", select=["id", "appId", "displayName", "accountEnabled"]
        )
        answer = await graph.call(
            lambda q=query: graph.client.service_principals.get(RequestConfiguration(query_parameters=q)),  # type: ignore[misc]
            "v1.0/servicePrincipals",
            "Application.Read.All",
        )
        principals = [sp for sp in (answer.value if answer else None) or [] if sp.app_id == app_id and sp.id]
        principal = None
        if principals:
            sp = principals[0]
            principal = ServicePrincipal(
                object_id=str(sp.id),
                app_id=app_id,
                display_name=sp.display_name or PIN_RESET_APPS[app_id],
                # Graph omits accountEnabled only if it was not selected; absent means enabled.
                account_enabled=sp.account_enabled is not False,
            )
        states[app_id] = ConsentState(app_id, principal)
    return states
