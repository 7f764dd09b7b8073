"""Credentials for Graph: the managed identity in Azure, an offline one for the local simulator."""

from __future__ import annotations

import time
from typing import Any

from azure.core.credentials import AccessToken
from azure.core.credentials_async import AsyncTokenCredential

from monitor.settings import Settings

GRAPH_SCOPE = "https://graph.microsoft.com/.default"


class SimulatorCredential(AsyncTokenCredential):
    """Issues a fixed token that only the local Graph simulator accepts.

    Settings refuse this credential unless Graph's endpoint is on loopback, so it can never send a
    made-up token to a real service.
    """

    TOKEN = "simulator-token"

    async def get_token(self, *scopes: str, **kwargs: Any) -> AccessToken:
        return AccessToken(self.TOKEN, int(time.time()) + 3600)

    async def close(self) -> None:
        return None

    async def __aexit__(self, *args: object) -> None:
        return None


def graph_credential(settings: Settings) -> AsyncTokenCredential:
    if settings.graph_credential == "simulator":
        return SimulatorCredential()
    if settings.graph_credential == "default":
        from azure.identity.aio import DefaultAzureCredential

        return DefaultAzureCredential()
    from azure.identity.aio import ManagedIdentityCredential

    return ManagedIdentityCredential(client_id=settings.managed_identity_client_id or None)
