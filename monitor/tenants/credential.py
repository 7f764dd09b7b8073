"""The credential and the Graph session for one customer tenant.

In Azure: the provider's multi-tenant app registration trusts the Function app's user-assigned managed
identity as a federated identity credential (Microsoft's "Configure an application to trust a managed
identity"). The managed identity's token for `api://AzureADTokenExchange` is the client assertion, and
azure-identity's `ClientAssertionCredential(customer_tenant, app_client_id, func)` exchanges it at the
customer tenant's token endpoint for a Graph token issued in that tenant: no secret anywhere.

Locally: the simulator credential asks the Graph simulator's model of that token endpoint, which refuses
a tenant that never consented, disabled the app or revoked it, as Entra does (graphsim/README.md).

msgraph-sdk takes the tenant from the credential, not per request, so each customer tenant has its own
credential and its own `GraphSession`.
"""

from __future__ import annotations

import threading
from typing import TYPE_CHECKING, Any

from azure.core.credentials_async import AsyncTokenCredential

from monitor.graph.credentials import SimulatorCredential
from monitor.settings import Settings, SettingsError
from monitor.tenants.settings import MspSettings, guid, tenant_id_problem

if TYPE_CHECKING:
    from monitor.graph.pacing import Pacer
    from monitor.graph.session import GraphSession

# The audience Entra ID accepts in a federated identity credential's token for the public cloud
# ("Configure an application to trust a managed identity"; federatedIdentityCredential's `audiences`).
TOKEN_EXCHANGE_AUDIENCE = "api://AzureADTokenExchange"
TOKEN_EXCHANGE_SCOPE = f"{TOKEN_EXCHANGE_AUDIENCE}/.default"


class ManagedIdentityAssertion:
    """The client assertion: the managed identity's token for `api://AzureADTokenExchange`.

    One per managed identity, shared by every tenant's credential: the token does not depend on the
    customer tenant, and azure-identity's `ManagedIdentityCredential` keeps it until it nears expiry.
    `ClientAssertionCredential` calls this synchronously when it needs a new Graph token (about once an
    hour per tenant); the managed identity endpoint is local to the host, so the call is short.
    """

    def __init__(self, client_id: str) -> None:
        self.client_id = client_id
        self._credential: Any = None  # azure.identity.ManagedIdentityCredential, made on first use
        self._lock = threading.Lock()

    def __call__(self) -> str:
        with self._lock:
            if self._credential is None:
                from azure.identity import ManagedIdentityCredential

                self._credential = ManagedIdentityCredential(client_id=self.client_id)
            credential = self._credential
        return str(credential.get_token(TOKEN_EXCHANGE_SCOPE).token)


_assertions: dict[str, ManagedIdentityAssertion] = {}
_assertions_lock = threading.Lock()


def managed_identity_assertion(client_id: str) -> ManagedIdentityAssertion:
    """The shared assertion for the managed identity with `client_id`."""
    with _assertions_lock:
        return _assertions.setdefault(client_id, ManagedIdentityAssertion(client_id))


def customer_tenant_id(tenant_id: str) -> str:
    """The tenant ID in lower case; ValueError (one line) when it is not a directory GUID."""
    tenant = guid(tenant_id)
    if tenant is None:
        raise ValueError(tenant_id_problem(tenant_id) or "not a tenant ID")
    return tenant


def tenant_credential(
    settings: Settings, tenant_id: str, msp: MspSettings | None = None
) -> AsyncTokenCredential:
    """A credential whose tokens are issued in customer tenant `tenant_id`.

    The simulator credential (MONITOR_GRAPH_CREDENTIAL=simulator) asks the simulator at
    MONITOR_GRAPH_ENDPOINT, presenting MONITOR_MSP_APP_ID when set. Otherwise the app registration
    MONITOR_MSP_APP_ID with the managed identity MONITOR_MSP_IDENTITY_CLIENT_ID (or AZURE_CLIENT_ID) as
    its federated credential; SettingsError says which is missing. Entra's refusal (not consented,
    disabled, revoked) comes when a token is asked for, as azure-core's ClientAuthenticationError.
    """
    tenant = customer_tenant_id(tenant_id)
    msp = msp if msp is not None else settings.msp
    if settings.graph_credential == "simulator":
        return SimulatorCredential(tenant, authority=settings.graph_endpoint, client_id=msp.app_id or None)
    if not msp.enabled:
        raise SettingsError(
            ["MONITOR_MSP_APP_ID must name the multi-tenant app registration to read customer tenants"]
        )
    if not msp.identity_client_id:
        raise SettingsError(
            [
                "MONITOR_MSP_IDENTITY_CLIENT_ID (or AZURE_CLIENT_ID) must name the managed identity the app "
                "registration trusts"
            ]
        )
    from azure.identity.aio import ClientAssertionCredential

    return ClientAssertionCredential(tenant, msp.app_id, managed_identity_assertion(msp.identity_client_id))


def tenant_session(
    settings: Settings, tenant_id: str, *, msp: MspSettings | None = None, pacer: Pacer | None = None
) -> GraphSession:
    """One customer tenant's Graph session (msgraph-sdk client, retry, pacing, counters), with its own
    credential; closing the session closes the credential. `pacer` lets the caller share or shape the
    pacing (the per-tenant report throttle is per tenant, so by default each session has its own)."""
    from monitor.graph.session import GraphSession

    credential = tenant_credential(settings, tenant_id, msp)
    return GraphSession(settings, credential=credential, pacer=pacer)
