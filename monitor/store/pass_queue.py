"""The Storage Queue of passes that alerts ask for (azure-storage-queue; Azurite locally).

A message is one alert's request: which tenant, which alert, when the monitor received it. The
Functions queue trigger reads it (monitor.service.run_requested_pass). Messages are base64 text, as
the Functions host's queue trigger expects by default.
"""

from __future__ import annotations

import contextlib
import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import orjson
from azure.core.exceptions import ResourceExistsError
from azure.storage.queue import QueueClient, TextBase64DecodePolicy, TextBase64EncodePolicy

from monitor.collectors.fields import parse_time
from monitor.ingest.errors import RejectedBody

# The tenant an alert names when its rule gives none: the one this deployment reads.
CONFIGURED_TENANT = "configured"
_GUID = re.compile(r"[0-9A-Fa-f]{8}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{12}", re.ASCII)
_EARLIEST = datetime(2000, 1, 1, tzinfo=UTC)
_LATEST = datetime(9000, 1, 1, tzinfo=UTC)


@dataclass(frozen=True)
class PassRequest:
    tenant_id: str  # a tenant ID, or CONFIGURED_TENANT
    alert_id: str
    alert_rule: str
    # When the route accepted the alert: a pass that began later covers it. A request put back because
    # another pass held the tenant carries the time its own attempt began, so only a later pass covers it.
    received: datetime

    def to_json(self) -> dict[str, Any]:
        return {
            "tenantId": self.tenant_id,
            "alertId": self.alert_id,
            "alertRule": self.alert_rule,
            # Microseconds kept: the debounce compares it with the time a pass began.
            "receivedDateTime": self.received.isoformat(),
        }

    @classmethod
    def from_json(cls, body: bytes | str) -> PassRequest:
        """The request in a queue message; raises RejectedBody for one this monitor did not write."""
        try:
            document = orjson.loads(body)
        except orjson.JSONDecodeError as exc:
            raise RejectedBody(f"queue message is not JSON: {exc}") from None
        if type(document) is not dict:
            raise RejectedBody("queue message is not a JSON object")
        try:
            received = parse_time(document.get("receivedDateTime"))
        except OverflowError:  # year 1 or 9999 with an offset
            received = None
        tenant = document.get("tenantId")
        if received is None or type(tenant) is not str or not tenant:
            raise RejectedBody("queue message lacks tenantId or receivedDateTime")
        if not _EARLIEST <= received < _LATEST:
            raise RejectedBody(f"queue message receivedDateTime {received.year} is out of range")
        if tenant != CONFIGURED_TENANT and not _GUID.fullmatch(tenant):
            raise RejectedBody(f"queue message tenantId {tenant[:40]!r} is not a tenant ID")
        return cls(
            tenant.lower(),
            str(document.get("alertId", ""))[:1024],
            str(document.get("alertRule", ""))[:1024],
            received,
        )


class PassQueue:
    def __init__(self, client: QueueClient, *, shared: bool = False) -> None:
        self._client = client
        self._created = False
        self._shared = shared  # kept for the process: closing leaves it open

    def _ensure_queue(self) -> None:
        if not self._created:
            with contextlib.suppress(ResourceExistsError):  # made by an earlier process: fine
                self._client.create_queue()
            self._created = True

    def send(self, request: PassRequest, delay: timedelta = timedelta(0)) -> None:
        self.send_json(request.to_json(), delay)

    def send_json(self, document: Mapping[str, Any], delay: timedelta = timedelta(0)) -> None:
        self._ensure_queue()
        self._client.send_message(
            orjson.dumps(document).decode(), visibility_timeout=max(0, int(delay.total_seconds())) or None
        )

    def receive_all(self) -> list[str]:
        """Every visible message's text, taken off the queue (the CLI and tests; Azure uses the trigger)."""
        self._ensure_queue()
        found = []
        for message in self._client.receive_messages(messages_per_page=32, visibility_timeout=30):
            found.append(str(message.content))
            self._client.delete_message(message)
        return found

    def close(self) -> None:
        if not self._shared:
            self._client.close()


_queues: dict[tuple[str, str, str], PassQueue] = {}


def shared_pass_queue(connection_string: str, endpoint: str, name: str) -> PassQueue:
    """One queue client (and connection pool) per queue for the process, as for the routes' stores."""
    key = (connection_string, endpoint, name)
    if key not in _queues:
        _queues[key] = PassQueue(_client(connection_string, endpoint, name), shared=True)
    return _queues[key]


def open_pass_queue(connection_string: str, endpoint: str, name: str) -> PassQueue:
    return PassQueue(_client(connection_string, endpoint, name))


def _client(connection_string: str, endpoint: str, name: str) -> QueueClient:
    policies: dict[str, Any] = {
        "message_encode_policy": TextBase64EncodePolicy(),
        "message_decode_policy": TextBase64DecodePolicy(),
    }
    if connection_string:
        return QueueClient.from_connection_string(connection_string, name, **policies)
    from azure.identity import DefaultAzureCredential

    return QueueClient(endpoint, name, credential=DefaultAzureCredential(), **policies)
