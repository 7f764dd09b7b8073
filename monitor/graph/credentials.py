"""Credentials for Graph: the managed identity in Azure, an offline one for the local simulator."""

from __future__ import annotations

import time
from typing import Any
from urllib.parse import quote

from azure.core.credentials import AccessToken
from azure.core.credentials_async import AsyncTokenCredential
from azure.core.exceptions import ClientAuthenticationError

from monitor.settings import Settings

GRAPH_SCOPE = "https://graph.microsoft.com/.default"
# A token is fetched again when it has less than this left, as azure-identity does.
_REFRESH_MARGIN_SECONDS = 300


class SimulatorCredential(AsyncTokenCredential):
    """Issues a token that only the local Graph simulator accepts.

    Without a tenant: a fixed token, offline, which a simulator serving one snapshot accepts. With
    `tenant_id` (and `authority`, the simulator's root URL): asks the simulator's model of Entra's
    token endpoint (`POST {authority}/{tenant_id}/oauth2/v2.0/token`, client credentials) for a token
    issued in that tenant, as a multitenant app's credential asks Entra, so a simulator serving many
    tenants answers from that tenant's snapshot. Entra's refusal (the app not consented in the tenant,
    or disabled there) raises `ClientAuthenticationError` with Entra's AADSTS message, as
    azure-identity's credentials do.

    Settings refuse this credential unless Graph's endpoint is on loopback, so it can never send a
    made-up token to a real service.
    """

    TOKEN = "simulator-token"
    # The client ID it presents: made up, no real app registration has it.
    CLIENT_ID = "5e3ce6c0-2b1f-4285-8d4b-75ee78787346"

    def __init__(
        self, tenant_id: str | None = None, *, authority: str | None = None, client_id: str | None = None
    ) -> None:
        if tenant_id is not None and not authority:
            raise ValueError("a simulator credential for a tenant needs the simulator's URL (authority)")
        self.tenant_id = tenant_id
        self.client_id = client_id or self.CLIENT_ID
        self._authority = (authority or "").rstrip("/")
        self._cached: AccessToken | None = None
        self._http: Any = None  # httpx.AsyncClient, made on first use

    async def get_token(self, *scopes: str, **kwargs: Any) -> AccessToken:
        if self.tenant_id is None:
            return AccessToken(self.TOKEN, int(time.time()) + 3600)
        cached = self._cached
        if cached is not None and cached.expires_on - _REFRESH_MARGIN_SECONDS > time.time():
            return cached
        token = await self._request(scopes or (GRAPH_SCOPE,))
        self._cached = token
        return token

    async def _request(self, scopes: tuple[str, ...]) -> AccessToken:
        import httpx

        if self._http is None:
            self._http = httpx.AsyncClient(timeout=httpx.Timeout(30.0))
        url = f"{self._authority}/{quote(self.tenant_id or '', safe='')}/oauth2/v2.0/token"
        form = {"grant_type": "client_credentials", "client_id": self.client_id, "scope": " ".join(scopes)}
        try:
            response = await self._http.post(url, data=form)
            body = response.json()
        except (httpx.HTTPError, ValueError) as exc:
            raise ClientAuthenticationError(
                message=f"SimulatorCredential: token request for tenant {self.tenant_id} failed "
                f"({type(exc).__name__})"
            ) from exc
        if response.status_code != 200 or not isinstance(body, dict) or "access_token" not in body:
            detail = body.get("error_description") if isinstance(body, dict) else None
            raise ClientAuthenticationError(
                message=f"SimulatorCredential: token request for tenant {self.tenant_id} refused "
                f"({response.status_code}): {detail or 'no error description'}"
            )
        expires_in = str(body.get("expires_in", ""))
        lifetime = int(expires_in) if expires_in.isdigit() else 3599
        return AccessToken(str(body["access_token"]), int(time.time()) + lifetime)

    async def close(self) -> None:
        http, self._http = self._http, None
        if http is not None:
            await http.aclose()

    async def __aexit__(self, *args: object) -> None:
        await self.close()


def graph_credential(settings: Settings, tenant_id: str | None = None) -> AsyncTokenCredential:
    """The credential the settings name. `tenant_id` asks for tokens issued in that tenant: only the
    simulator credential takes one today (against the simulator at `settings.graph_endpoint`)."""
    if settings.graph_credential == "simulator":
        if tenant_id is None:
            return SimulatorCredential()
        return SimulatorCredential(tenant_id, authority=settings.graph_endpoint)
    if tenant_id is not None:
        raise ValueError(
            f"a credential for tenant {tenant_id} needs the simulator credential; "
            f"{settings.graph_credential!r} reads the deployment's own tenant only"
        )
    if settings.graph_credential == "default":
        from azure.identity.aio import DefaultAzureCredential

        return DefaultAzureCredential()
    from azure.identity.aio import ManagedIdentityCredential

    return ManagedIdentityCredential(client_id=settings.managed_identity_client_id or None)
