"""The msgraph-sdk client for one monitoring pass, and the fast page reader beside it.

Every request goes through msgraph-sdk's request adapter, so authentication, retry (429/503/504 with
Retry-After), redirects and telemetry headers apply to all of them. Two ways of reading:

- v1.0 requests are built by the typed `GraphServiceClient`'s request builders
  (`session.client.service_principals.to_get_request_information(...)`); beta ones, which
  msgraph-sdk has no builders for, are URLs on the same adapter (`session.url("beta", ...)`).
- Every answer is taken as bytes (`send_primitive_async(..., "bytes", ...)`) and parsed with orjson
  into plain dicts that the collectors map into the monitor's records. Deserializing a beta sign-in
  into kiota's typed model costs about 10 ms, and the first typed read of any directory object
  imports about a thousand model modules (2.3 s measured on `GET /organization`): too slow for
  sign-ins and for a Functions cold start. bench/signin_throughput.py measures both paths.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping
from dataclasses import dataclass
from typing import Any, TypeVar
from urllib.parse import quote, urlencode, urlsplit

import httpx
import orjson
from azure.core.credentials_async import AsyncTokenCredential
from kiota_abstractions.method import Method
from kiota_abstractions.request_information import RequestInformation
from kiota_authentication_azure.azure_identity_authentication_provider import (
    AzureIdentityAuthenticationProvider,
)
from kiota_http.kiota_client_factory import KiotaClientFactory
from kiota_http.middleware.middleware import BaseMiddleware
from kiota_http.middleware.options import RetryHandlerOption
from msgraph.generated.models.o_data_errors.o_data_error import ODataError
from msgraph.graph_request_adapter import GraphRequestAdapter
from msgraph.graph_request_adapter import options as graph_default_options
from msgraph.graph_service_client import GraphServiceClient
from msgraph_core import GraphClientFactory
from msgraph_core.middleware import GraphTelemetryHandler
from msgraph_core.middleware.options import GraphTelemetryHandlerOption

from monitor import telemetry
from monitor.graph.budget import process_budget
from monitor.graph.credentials import GRAPH_SCOPE, graph_credential
from monitor.graph.errors import GraphReadError, MalformedPage, from_odata_error
from monitor.graph.pacing import REPORTS, THROTTLE_CLASSES, BudgetExhausted, Pacer
from monitor.settings import Settings

log = logging.getLogger(__name__)

JSON = dict[str, Any]
T = TypeVar("T")
_ERRORS: dict[str, Any] = {"XXX": ODataError}
# Connection drops and resets are not HTTP answers, so kiota's RetryHandler never sees them; GETs are
# safe to repeat, so the reader retries them itself, this many times.
TRANSPORT_RETRIES = 3


@dataclass
class GraphStats:
    """What a pass cost in Graph: every HTTP attempt, retries included, as the server saw them."""

    requests: int = 0
    report_requests: int = 0  # of them, identity and access reports (one app's 122 per 10 s budget)
    throttled: int = 0  # answers 429
    unavailable: int = 0  # answers 503/504
    transport_retries: int = 0  # dropped connections retried by the reader
    malformed_retries: int = 0  # malformed pages fetched again


class _PacingMiddleware(BaseMiddleware):
    """After RetryHandler, so that every attempt, retries included, waits for its throttle class."""

    def __init__(self, pacer: Pacer) -> None:
        super().__init__()
        self._pacer = pacer

    async def send(self, request: httpx.Request, transport: httpx.AsyncBaseTransport) -> httpx.Response:
        slot = await self._pacer.acquire(request.url.path)
        try:
            return await super().send(request, transport)
        finally:
            self._pacer.release(slot)


class _CountingMiddleware(BaseMiddleware):
    """Last in the pipeline, after RetryHandler: sees each attempt that reaches the wire."""

    def __init__(self, stats: GraphStats) -> None:
        super().__init__()
        self._stats = stats

    async def send(self, request: httpx.Request, transport: httpx.AsyncBaseTransport) -> httpx.Response:
        stats = self._stats
        stats.requests += 1
        if REPORTS.pattern.match(request.url.path):
            stats.report_requests += 1
        telemetry.GRAPH_REQUESTS.add(1)
        response = await super().send(request, transport)
        if response.status_code == 429:
            stats.throttled += 1
            telemetry.GRAPH_THROTTLED.add(1)
        elif response.status_code in (503, 504):
            stats.unavailable += 1
        return response


SELECT_REFUSED = "query option 'select' is not allowed"


def refuses_select(error: GraphReadError) -> bool:
    return error.status == 400 and SELECT_REFUSED in error.reason.lower()


def without_select(url: str) -> str:
    """The URL without its $select option (percent-encoded or not, with or without the $)."""
    base, _, query = url.partition("?")
    kept = [
        part
        for part in query.split("&")
        if part and part.split("=", 1)[0].lower() not in ("$select", "%24select", "select")
    ]
    return f"{base}?{'&'.join(kept)}" if kept else base


def graph_url(endpoint: str, version: str, path: str, query: Mapping[str, str | int] | None = None) -> str:
    url = f"{endpoint}/{version}/{path.lstrip('/')}"
    if query:
        url += "?" + urlencode({k: str(v) for k, v in query.items()}, quote_via=quote, safe="$'(),:")
    return url


class GraphSession:
    """One pass's connection to Graph. Use as `async with GraphSession(settings) as graph:`."""

    def __init__(
        self,
        settings: Settings,
        credential: AsyncTokenCredential | None = None,
        transport_retry_delay: float = 0.5,
        pacer: Pacer | None = None,
    ) -> None:
        self.endpoint = settings.graph_endpoint.rstrip("/")
        self.stats = GraphStats()
        self.pacer = pacer or Pacer(
            THROTTLE_CLASSES if settings.graph_pacing else (),
            budget_seconds=settings.pass_budget_seconds or None,
            budget=process_budget(settings.budget) if settings.graph_pacing else None,
        )
        # Sources whose $select Graph refused in this pass: read without it from then on.
        self.select_refused: set[str] = set()
        self._credential = credential or graph_credential(settings)
        self._transport_retry_delay = transport_retry_delay

        options = dict(graph_default_options)
        options[RetryHandlerOption.get_key()] = RetryHandlerOption(
            delay=settings.graph_retry_delay_seconds, max_retries=settings.graph_max_retries
        )
        telemetry_option = options[GraphTelemetryHandlerOption.get_key()]
        assert isinstance(telemetry_option, GraphTelemetryHandlerOption)
        middleware = KiotaClientFactory.get_default_middleware(options)
        middleware.append(GraphTelemetryHandler(options=telemetry_option))
        middleware.append(_PacingMiddleware(self.pacer))
        middleware.append(_CountingMiddleware(self.stats))
        http = httpx.AsyncClient(
            base_url=f"{self.endpoint}/v1.0",
            timeout=httpx.Timeout(100.0, connect=30.0),
            follow_redirects=False,
        )
        http = GraphClientFactory.create_with_custom_middleware(middleware, client=http)
        host = urlsplit(self.endpoint).hostname or ""
        # Tokens go to Graph's own host and nowhere else, whatever a nextLink says.
        auth = AzureIdentityAuthenticationProvider(
            self._credential, scopes=[GRAPH_SCOPE], allowed_hosts=[host]
        )
        self.adapter = GraphRequestAdapter(auth, client=http)
        # httpx keeps base URLs with a trailing slash, which kiota's "{+baseurl}/path" templates would
        # double ("/v1.0//servicePrincipals"); give the adapter the exact root instead.
        self.adapter.base_url = f"{self.endpoint}/v1.0"
        self.client = GraphServiceClient(request_adapter=self.adapter)
        self._http = http

    async def __aenter__(self) -> GraphSession:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.close()

    async def close(self) -> None:
        await self._http.aclose()
        close = getattr(self._credential, "close", None)
        if close is not None:
            await close()

    async def call(self, request: Callable[[], Awaitable[T]], source: str, permission: str) -> T:
        """Run one Graph request (typed or raw), classifying its failure for `source`.

        `permission` is what reading `source` needs; a 403 names it so an admin knows what to grant.
        """
        self.pacer.check_budget(source)
        for attempt in range(TRANSPORT_RETRIES + 1):
            try:
                return await request()
            except BudgetExhausted as exc:
                raise BudgetExhausted(source, self.pacer.budget_seconds or 0) from exc
            except ODataError as exc:
                raise from_odata_error(exc, source, permission) from exc
            except httpx.TransportError as exc:
                if attempt == TRANSPORT_RETRIES:
                    raise GraphReadError(
                        "error",
                        f"{source}: connection failed {attempt + 1} times ({type(exc).__name__})",
                        source,
                    ) from exc
                self.stats.transport_retries += 1
                log.warning("graph connection failed, retrying: path=%s error=%s", source, type(exc).__name__)
                await asyncio.sleep(self._transport_retry_delay * 2**attempt)
        raise AssertionError("unreachable")

    async def _get_bytes(self, target: RequestInformation | str, source: str, permission: str) -> bytes:
        async def send() -> bytes:
            if isinstance(target, RequestInformation):
                request = target
            else:
                request = RequestInformation(Method.GET)
                request.url = target
            request.headers.try_add("Accept", "application/json")
            body = await self.adapter.send_primitive_async(request, "bytes", _ERRORS)
            return body if isinstance(body, bytes) else b""

        return await self.call(send, source, permission)

    async def _get_json(
        self, target: RequestInformation | str, source: str, permission: str, page: int
    ) -> JSON:
        """One page, parsed. A malformed page is fetched once more before it counts as an error."""
        detail = ""
        for attempt in range(2):
            body = await self._get_bytes(target, source, permission)
            try:
                document = orjson.loads(body)
            except orjson.JSONDecodeError as exc:
                detail = f"invalid JSON: {exc}"
            else:
                if isinstance(document, dict):
                    return document
                detail = f"expected a JSON object, got {type(document).__name__}"
            if attempt == 0:
                self.stats.malformed_retries += 1
                log.warning("graph page malformed, fetching again: path=%s page=%d", source, page)
        raise MalformedPage(source, page, detail)

    def url(self, version: str, path: str, query: Mapping[str, str | int] | None = None) -> str:
        return graph_url(self.endpoint, version, path, query)

    async def pages(
        self, target: RequestInformation | str, *, source: str, permission: str
    ) -> AsyncIterator[list[JSON]]:
        """Yield a collection page by page, following @odata.nextLink; items are plain dicts.

        `target` is a request built by an msgraph-sdk request builder (`to_get_request_information`)
        or a URL from `url()` (beta endpoints, which msgraph-sdk has no builders for). `source` names
        the data in errors; `permission` is what reading it needs. Raises GraphReadError or
        MalformedPage with what was asked and why it failed.
        """
        # The next page is requested as soon as this one's nextLink is known, so Graph prepares it
        # while the caller processes this one; at most two pages are held at a time.
        page = 1
        if isinstance(target, str) and source in self.select_refused:
            target = without_select(target)
        try:
            first = await self._get_json(target, source, permission, page)
        except GraphReadError as exc:
            if not (isinstance(target, str) and refuses_select(exc) and without_select(target) != target):
                raise
            # Microsoft documents only $filter, $top and $skiptoken on the sign-in log and has answered
            # $select with 400 "Query option 'Select' is not allowed": read whole items instead, and
            # do not ask again in this pass.
            log.info("graph refused $select, reading whole items: path=%s", source)
            self.select_refused.add(source)
            target = without_select(target)
            first = await self._get_json(target, source, permission, page)
        answered: asyncio.Future[JSON] = asyncio.get_running_loop().create_future()
        answered.set_result(first)
        pending: asyncio.Future[JSON] | None = answered
        try:
            while pending is not None:
                document = await pending
                pending = None
                items = document.get("value")
                if not isinstance(items, list):
                    raise MalformedPage(source, page, "no 'value' array")
                next_link = document.get("@odata.nextLink")
                if next_link is not None and not isinstance(next_link, str):
                    raise MalformedPage(source, page, "@odata.nextLink is not a string")
                if next_link:
                    page += 1
                    pending = asyncio.ensure_future(self._get_json(next_link, source, permission, page))
                yield items
        finally:
            if pending is not None:
                pending.cancel()
                with contextlib.suppress(asyncio.CancelledError, GraphReadError):
                    await pending

    async def entity(self, target: RequestInformation | str, *, source: str, permission: str) -> JSON:
        return await self._get_json(target, source, permission, 1)
