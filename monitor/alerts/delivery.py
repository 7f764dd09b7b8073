"""Sending one notice (or one digest, or one email) and classifying the answer.

Teams Workflows and generic webhooks: 2xx sent; 429 (honouring Retry-After) and 5xx retried on a
later pass; any other 4xx is dead at once (a wrong or deleted URL will not heal by retrying). A
dropped or timed-out connection is retried. Graph sendMail and ACS Email are classified the same way.
Nothing here logs or returns a URL, key or address: reasons name the destination.
"""

from __future__ import annotations

import asyncio
import base64
import logging
import re
from dataclasses import dataclass
from datetime import UTC, datetime
from email.message import EmailMessage
from email.utils import parsedate_to_datetime
from typing import TYPE_CHECKING, Any, Literal
from urllib.parse import quote

import httpx
from azure.core.exceptions import AzureError, HttpResponseError

if TYPE_CHECKING:
    from monitor.graph.session import GraphSession

OutcomeKind = Literal["sent", "retry", "dead"]
HIDDEN = "<alert destination>"
_secret_urls: set[str] = set()


class _HideDestinations(logging.Filter):
    """httpx logs every request's full URL at INFO ("HTTP Request: POST https://..."). A Workflows
    URL carries its signature in the query and a sendMail URL names the mailbox, so the URLs this
    module posts to are replaced in those records, whatever level the host logs httpx at."""

    def filter(self, record: logging.LogRecord) -> bool:
        if isinstance(record.args, tuple) and _secret_urls:
            record.args = tuple(
                HIDDEN if any(str(arg).startswith(url) for url in _secret_urls) else arg
                for arg in record.args
            )
        return True


logging.getLogger("httpx").addFilter(_HideDestinations())


def hide(url: str) -> str:
    _secret_urls.add(url)
    return url


@dataclass(frozen=True)
class Outcome:
    kind: OutcomeKind
    reason: str = ""
    retry_after_seconds: float | None = None


# The longest wait a receiver can ask for: a Retry-After beyond it (999999999999 seconds, a date in
# the year 9999) is read as this, so no answer can overflow the backoff or park a notice for ever.
MAX_RETRY_AFTER_SECONDS = 24 * 3600.0
_DELTA_SECONDS = re.compile(r"[0-9]+")  # ASCII digits only: "²".isdigit() is True, int("²") fails


def retry_after(value: str | None, now: datetime) -> float | None:
    """Retry-After as seconds, at most MAX_RETRY_AFTER_SECONDS: either delta-seconds or an HTTP date
    (RFC 9110 §10.2.3). Anything else is no Retry-After."""
    if not value:
        return None
    value = value.strip()
    if _DELTA_SECONDS.fullmatch(value):
        # Compared as text first so a 400-digit value never becomes a number.
        return MAX_RETRY_AFTER_SECONDS if len(value) > 9 else min(float(value), MAX_RETRY_AFTER_SECONDS)
    try:
        moment = parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError, OverflowError):
        return None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return min(max(0.0, (moment - now).total_seconds()), MAX_RETRY_AFTER_SECONDS)


def classify(status: int, what: str, retry_after_seconds: float | None = None, detail: str = "") -> Outcome:
    said = f" ({detail})" if detail else ""
    if 200 <= status < 300:
        return Outcome("sent")
    if status == 429:
        return Outcome("retry", f"{what} answered 429 Too Many Requests{said}", retry_after_seconds)
    if status >= 500 or status == 408:
        return Outcome("retry", f"{what} answered {status}{said}", retry_after_seconds)
    return Outcome("dead", f"{what} answered {status}{said}: not retried, check the destination's settings")


async def post_json(
    http: httpx.AsyncClient, url: str, body: bytes, headers: dict[str, str], what: str, now: datetime
) -> Outcome:
    try:
        response = await http.post(
            hide(url), content=body, headers={"Content-Type": "application/json; charset=utf-8", **headers}
        )
    except httpx.TransportError as exc:
        # The exception's text can carry the URL; its type is enough to act on.
        return Outcome("retry", f"{what}: connection failed ({type(exc).__name__})")
    return classify(response.status_code, what, retry_after(response.headers.get("Retry-After"), now))


async def send_graph_mail(graph: GraphSession, sender: str, message: EmailMessage, what: str) -> Outcome:
    """POST /users/{sender}/sendMail with the message in MIME form (base64, Content-Type text/plain),
    through the pass's msgraph-sdk request adapter: Graph's JSON form has one body, MIME keeps the HTML
    and plain-text alternatives. https://learn.microsoft.com/graph/api/user-sendmail"""
    # Imported here: the settings read a channel's module, and they should not load the Graph SDK.
    from kiota_abstractions.api_error import APIError
    from kiota_abstractions.method import Method
    from kiota_abstractions.request_information import RequestInformation
    from msgraph.generated.models.o_data_errors.o_data_error import ODataError

    errors: dict[str, Any] = {"XXX": ODataError}
    request = RequestInformation(Method.POST)
    request.url = hide(graph.url("v1.0", f"users/{quote(sender, safe='@')}/sendMail"))
    request.headers.try_add("Content-Type", "text/plain")
    request.content = base64.b64encode(message.as_bytes())
    try:
        await graph.adapter.send_no_response_content_async(request, errors)
    except APIError as exc:  # ODataError, or APIError when the error body is not Graph's
        error = getattr(exc, "error", None)
        code = getattr(error, "code", None)
        detail = f"{code}: {getattr(error, 'message', '')}" if code else ""
        return classify(int(exc.response_status_code or 0), what, None, detail)
    except httpx.TransportError as exc:
        return Outcome("retry", f"{what}: connection failed ({type(exc).__name__})")
    return Outcome("sent")


def _acs_send(
    connection_string: str, sender: str, recipient: str, message: EmailMessage, timeout: float
) -> None:
    from azure.communication.email import EmailClient

    text = message.get_body(("plain",))
    markup = message.get_body(("html",))
    # No retries inside the SDK: the outbox retries on a later pass, with backoff and Retry-After.
    client = EmailClient.from_connection_string(connection_string, retry_total=0)
    poller = client.begin_send(
        {
            "senderAddress": sender,
            "recipients": {"to": [{"address": recipient}]},
            "content": {
                "subject": str(message["Subject"]),
                "plainText": text.get_content() if text is not None else "",
                "html": markup.get_content() if markup is not None else "",
            },
            "headers": {"Message-ID": str(message["Message-ID"])},
        }
    )
    poller.result(timeout=timeout)


async def send_acs_mail(
    connection_string: str, sender: str, recipient: str, message: EmailMessage, what: str, timeout: float
) -> Outcome:
    """Azure Communication Services Email (default quota 30 a minute, 100 an hour: a throttled send
    is retried on a later pass like any 429)."""
    try:
        await asyncio.to_thread(_acs_send, connection_string, sender, recipient, message, timeout)
    except HttpResponseError as exc:
        headers = getattr(exc.response, "headers", None) or {}
        wait = retry_after(headers.get("Retry-After"), datetime.now(UTC))
        return classify(int(exc.status_code or 0), what, wait, str(getattr(exc.error, "code", "") or ""))
    except AzureError as exc:
        return Outcome("retry", f"{what}: {type(exc).__name__}")
    return Outcome("sent")
