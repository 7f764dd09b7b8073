"""The real msgraph-sdk client against the simulator: typed request builders, nextLink, kiota's retry."""

from __future__ import annotations

import asyncio
import time
import warnings
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

import httpx
from azure.core.credentials import AccessToken
from kiota_abstractions.base_request_configuration import RequestConfiguration
from kiota_authentication_azure.azure_identity_authentication_provider import (
    AzureIdentityAuthenticationProvider,
)
from msgraph_core import GraphClientFactory

with warnings.catch_warnings():
    # msgraph's generated request builders define deprecated configuration classes at import time.
    warnings.simplefilter("ignore", DeprecationWarning)
    from msgraph.generated.service_principals.service_principals_request_builder import (
        ServicePrincipalsRequestBuilder,
    )
    from msgraph.generated.users.users_request_builder import UsersRequestBuilder
    from msgraph.graph_request_adapter import GraphRequestAdapter
    from msgraph.graph_service_client import GraphServiceClient

from graphsim import Fault, GraphSimulator
from tests.graphsim.tenant import PIN_RESET_SERVICE

T = TypeVar("T")


class FixedTokenCredential:
    """An `AsyncTokenCredential` that always returns the same token."""

    async def get_token(self, *scopes: str, **kwargs: Any) -> AccessToken:
        return AccessToken("test-token", int(time.time()) + 3600)

    async def close(self) -> None:
        return None

    async def __aenter__(self) -> FixedTokenCredential:
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        return None


def with_client(sim: GraphSimulator, work: Callable[[GraphServiceClient], Awaitable[T]]) -> T:
    async def run() -> T:
        http = GraphClientFactory.create_with_default_middleware(
            client=httpx.AsyncClient(base_url=sim.url + "/v1.0", timeout=10)
        )
        auth = AzureIdentityAuthenticationProvider(
            FixedTokenCredential(),
            scopes=["https://graph.microsoft.com/.default"],
            allowed_hosts=["127.0.0.1"],
        )
        client = GraphServiceClient(request_adapter=GraphRequestAdapter(auth, client=http))
        try:
            return await work(client)
        finally:
            await http.aclose()

    return asyncio.run(run())


def service_principal_query() -> RequestConfiguration[Any]:
    parameters = ServicePrincipalsRequestBuilder.ServicePrincipalsRequestBuilderGetQueryParameters(
        filter=f"appId eq '{PIN_RESET_SERVICE}'",
        select=["id", "appId", "displayName", "accountEnabled", "appOwnerOrganizationId"],
    )
    return RequestConfiguration(query_parameters=parameters)


def test_typed_request_builder_lists_service_principals_with_a_filter(sim: GraphSimulator) -> None:
    async def work(client: GraphServiceClient) -> list[tuple[Any, ...]]:
        page = await client.service_principals.get(service_principal_query())
        assert page is not None
        assert page.value is not None
        return [(sp.id, sp.app_id, sp.display_name, sp.account_enabled) for sp in page.value]

    assert with_client(sim, work) == [
        ("sp-service", PIN_RESET_SERVICE, "Microsoft Pin Reset Service Production", True)
    ]
    (request,) = sim.requests
    assert request.query == {
        "$filter": f"appId eq '{PIN_RESET_SERVICE}'",
        "$select": "id,appId,displayName,accountEnabled,appOwnerOrganizationId",
    }


def test_typed_client_follows_next_link(sim: GraphSimulator) -> None:
    async def work(client: GraphServiceClient) -> list[str]:
        parameters = UsersRequestBuilder.UsersRequestBuilderGetQueryParameters(top=2, select=["id"])
        page = await client.users.get(RequestConfiguration(query_parameters=parameters))
        names: list[str] = []
        while page is not None:
            names += [user.id or "" for user in page.value or []]
            if not page.odata_next_link:
                break
            page = await client.users.with_url(page.odata_next_link).get()
        return names

    assert with_client(sim, work) == ["u1", "u2", "u3"]
    assert sim.count(path_contains="/v1.0/users") == 2


def test_kiota_retry_handler_retries_after_429(sim: GraphSimulator) -> None:
    sim.add_fault(Fault("429", path="/v1.0/servicePrincipals", times=1, retry_after=1))

    async def work(client: GraphServiceClient) -> list[str]:
        page = await client.service_principals.get(service_principal_query())
        assert page is not None
        assert page.value is not None
        return [sp.id or "" for sp in page.value]

    assert with_client(sim, work) == ["sp-service"]
    assert sim.count(path_contains="/v1.0/servicePrincipals") == 2
    assert [(r.status, r.fault) for r in sim.requests] == [(429, "429"), (200, None)]
