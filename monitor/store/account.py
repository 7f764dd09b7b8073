"""One Table Storage account for every store, and the one error every store raises.

A `TableAccount` is one `TableServiceClient` (one credential, one HTTP connection pool, one retry and
timeout policy) and a table prefix. Every Table Storage store (state, alerts, reports, ingest, reviews,
the Sentinel upload ledger) gets its tables from an account: each table is created once per process
(remembered by account URL and table name) and its client is the account's, so closing a store closes
nothing another store uses.

`TableAccount.from_settings` gives the process's account for the settings' storage: a Functions worker
runs many invocations, and each should not open a client (and connections) of its own. `MemoryAccount`
gives the memory stores instead, for a scan without storage and for tests; `open_account` picks one.

Every public method of a Table Storage store raises `StoreError` for whatever the service, the network or
the credential did, in one line that names the table and the operation and no secret.
"""

from __future__ import annotations

import contextlib
import functools
import re
import threading
from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING, Any, ParamSpec, Protocol, TypeVar

from azure.core.exceptions import AzureError, HttpResponseError, ResourceExistsError

if TYPE_CHECKING:
    from azure.core.credentials import TokenCredential
    from azure.data.tables import TableClient, TableServiceClient

    from monitor.settings import Settings
    from monitor.store.alerts import AlertStore, MemoryAlertStore, TableAlertStore
    from monitor.store.base import StateStore
    from monitor.store.ingest import IngestStore, MemoryIngestStore, TableIngestStore
    from monitor.store.memory import MemoryStore
    from monitor.store.reports import MemoryReportStore, ReportStore, TableReportStore
    from monitor.store.reviews import (
        LedgerStore,
        MemoryReviewStore,
        MemoryUploadLedger,
        ReviewStore,
        TableReviewStore,
        TableUploadLedger,
    )
    from monitor.store.tables import TableStore
    from monitor.store.tenants import MemoryTenantStore, TableTenantStore, TenantStore

P = ParamSpec("P")
R = TypeVar("R")

# The Azure SDK's own retry policy, kept short: a pass has a time budget, and a store that stays down
# for longer is better reported now than after minutes of backoff.
RETRY: dict[str, Any] = {"retry_total": 3, "retry_backoff_factor": 0.5, "retry_backoff_max": 4}
TIMEOUTS: dict[str, Any] = {"connection_timeout": 10, "read_timeout": 30}


class StoreError(AzureError):
    """A store failed or refused an operation; the message names the table and the operation.

    It is an AzureError too, so that callers written when two stores let the SDK's errors escape
    (`except AzureError`) still catch it; new code catches StoreError.
    """

    def __init__(self, message: str, *, table: str = "", operation: str = "") -> None:
        super().__init__(message)
        self.table = table
        self.operation = operation

    @classmethod
    def failed(cls, table: str, operation: str, exc: AzureError) -> StoreError:
        return cls(f"table {table}: {operation} failed ({describe(exc)})", table=table, operation=operation)


class StoreConfigError(StoreError):
    """The store cannot even be opened with this configuration (a malformed connection string)."""


def describe(exc: AzureError) -> str:
    """What the service (or the connection, or the credential) said, in one line and without secrets."""
    if isinstance(exc, HttpResponseError) and exc.status_code is not None:
        code = getattr(exc, "error_code", None) or exc.reason or ""
        return f"HTTP {exc.status_code} {code}".strip()
    first = (str(exc.message) if exc.message else type(exc).__name__).splitlines()[0]
    # A transport error can quote the request's URL, whose query holds a SAS token's signature.
    return f"{type(exc).__name__}: {_QUERY.sub('?...', first)[:200]}"


_QUERY = re.compile(r"\?[^\s'\")]*")


def guarded(operation: str, table: str) -> Callable[[Callable[P, R]], Callable[P, R]]:
    """A store method whose Azure SDK failures (the service's, the network's, the credential's) become
    one StoreError naming the table (with the store's prefix) and `operation`."""

    def wrap(method: Callable[P, R]) -> Callable[P, R]:
        @functools.wraps(method)
        def run(*args: P.args, **kwargs: P.kwargs) -> R:
            try:
                return method(*args, **kwargs)
            except StoreError:
                raise
            except AzureError as exc:
                raise StoreError.failed(_table_of(args, table), operation, exc) from exc
            except AttributeError as exc:
                # azure-data-tables 12.7's create_entity decodes a failed request's response without
                # checking it has one, so a credential that got no token (no response) surfaces as an
                # AttributeError raised while handling the SDK's own error (the other operations were
                # fixed for this: Azure/azure-sdk-for-python#21416, #31298). Report the SDK's error.
                cause = exc.__context__
                if isinstance(cause, AzureError) and getattr(cause, "response", True) is None:
                    raise StoreError.failed(_table_of(args, table), operation, cause) from cause
                raise

        return run

    return wrap


def _table_of(args: tuple[Any, ...], table: str) -> str:
    """The table's name with the prefix of the store (the method's `self`) it belongs to."""
    account = getattr(args[0], "_account", None) if args else None
    return account.table_name(table) if isinstance(account, TableAccount) else table


_created: set[tuple[str, str]] = set()  # (account URL, table) created by this process
_shared: dict[tuple[str, str, str], TableAccount] = {}  # (connection string, endpoint, prefix)
_services: dict[tuple[str, str], TableServiceClient] = {}  # (connection string, endpoint)
_lock = threading.Lock()  # the Functions host runs sync functions on a thread pool


def _service(
    connection_string: str, endpoint: str, credential: TokenCredential | None, policy: dict[str, Any]
) -> TableServiceClient:
    from azure.data.tables import TableServiceClient

    if connection_string:
        try:
            return TableServiceClient.from_connection_string(connection_string, **policy)
        except ValueError as exc:
            # The SDK's message quotes no key; ours names no part of the string at all.
            raise StoreConfigError(
                "MONITOR_STORAGE_CONNECTION_STRING is not a valid storage connection string"
            ) from exc
    if not endpoint:
        raise StoreConfigError(
            "no Table Storage: MONITOR_STORAGE_CONNECTION_STRING or MONITOR_STORAGE_ENDPOINT is required"
        )
    if credential is None:
        from azure.identity import DefaultAzureCredential

        credential = DefaultAzureCredential()
    try:
        return TableServiceClient(endpoint=endpoint, credential=credential, **policy)
    except ValueError as exc:
        raise StoreConfigError(f"MONITOR_STORAGE_ENDPOINT is not a Table Storage endpoint ({exc})") from exc


class TableAccount:
    """One Table Storage client and table prefix, shared by the stores opened over it."""

    def __init__(self, service: TableServiceClient, prefix: str = "pinmon", *, owned: bool = True) -> None:
        """`owned`: close() closes the client (an account made for a test or a one-off command);
        the process's shared accounts are never closed."""
        self._service = service
        self.prefix = prefix
        self._owned = owned
        self._clients: dict[str, TableClient] = {}

    @classmethod
    def connect(
        cls,
        connection_string: str = "",
        endpoint: str = "",
        prefix: str = "pinmon",
        *,
        credential: TokenCredential | None = None,
        **policy: Any,
    ) -> TableAccount:
        """An account with a client of its own. `policy` overrides the SDK options of the short retry
        and timeout policy (a test's `retry_total=0`, a `raw_request_hook`). Raises StoreConfigError
        for a connection string the SDK cannot parse."""
        options = RETRY | TIMEOUTS | policy
        return cls(_service(connection_string, endpoint, credential, options), prefix)

    @classmethod
    def shared(cls, connection_string: str = "", endpoint: str = "", prefix: str = "pinmon") -> TableAccount:
        """The process's account for this storage and prefix: one client (with DefaultAzureCredential
        for an endpoint) per storage, whatever the prefix. Its close() leaves the client open."""
        key = (connection_string, endpoint, prefix)
        with _lock:
            account = _shared.get(key)
            if account is None:
                storage = (connection_string, endpoint)
                service = _services.get(storage)
                if service is None:
                    service = _service(connection_string, endpoint, None, RETRY | TIMEOUTS)
                    _services[storage] = service
                account = _shared[key] = cls(service, prefix, owned=False)
        return account

    @classmethod
    def from_settings(cls, settings: Settings) -> TableAccount:
        """The process's account for the settings' storage and table prefix (see `shared`). Raises
        StoreConfigError when no storage is configured or its connection string is malformed."""
        return cls.shared(
            settings.storage_connection_string, settings.storage_endpoint, settings.table_prefix
        )

    @property
    def url(self) -> str:
        return str(self._service.url)

    def table_name(self, table: str) -> str:
        return f"{self.prefix}{table}"

    def table(self, table: str) -> TableClient:
        """The client of the prefixed `table`, created in the account the first time this process
        asks. Raises StoreError naming the table when it cannot be created."""
        name = self.table_name(table)
        client = self._clients.get(name)
        if client is not None:
            return client
        marker = (self.url, name)
        if marker not in _created:
            try:
                with contextlib.suppress(ResourceExistsError):  # made by an earlier process: fine
                    self._service.create_table(name)
            except AzureError as exc:
                raise StoreError.failed(name, "create", exc) from exc
            _created.add(marker)
        return self._clients.setdefault(name, self._service.get_table_client(name))

    def tables(self, tables: Iterable[str]) -> dict[str, TableClient]:
        """The clients of `tables` (unprefixed names), each created if this process has not yet."""
        return {table: self.table(table) for table in tables}

    # -- the stores over this account -----------------------------------------------------------

    def state(self) -> TableStore:
        from monitor.store.tables import TableStore

        return TableStore(self)

    def alerts(self) -> TableAlertStore:
        from monitor.store.alerts import TableAlertStore

        return TableAlertStore(self)

    def reports(self) -> TableReportStore:
        from monitor.store.reports import TableReportStore

        return TableReportStore(self)

    def ingest(self) -> TableIngestStore:
        from monitor.store.ingest import TableIngestStore

        return TableIngestStore(self)

    def reviews(self) -> TableReviewStore:
        from monitor.store.reviews import TableReviewStore

        return TableReviewStore(self)

    def upload_ledger(self) -> TableUploadLedger:
        from monitor.store.reviews import TableUploadLedger

        return TableUploadLedger(self)

    def tenants(self) -> TableTenantStore:
        from monitor.store.tenants import TableTenantStore

        return TableTenantStore(self)

    def close(self) -> None:
        """Close the client if this account made it for itself; a shared account stays open."""
        if self._owned:
            self._service.close()


class MemoryAccount:
    """The memory stores, one of each for the life of the account: what a scan without storage keeps,
    and what tests build a Runtime over."""

    def __init__(self) -> None:
        self._stores: dict[str, Any] = {}

    def _one(self, kind: str, make: Callable[[], R]) -> R:
        if kind not in self._stores:
            self._stores[kind] = make()
        store: R = self._stores[kind]
        return store

    def state(self) -> MemoryStore:
        from monitor.store.memory import MemoryStore

        return self._one("state", MemoryStore)

    def alerts(self) -> MemoryAlertStore:
        from monitor.store.alerts import MemoryAlertStore

        return self._one("alerts", MemoryAlertStore)

    def reports(self) -> MemoryReportStore:
        from monitor.store.reports import MemoryReportStore

        return self._one("reports", MemoryReportStore)

    def ingest(self) -> MemoryIngestStore:
        from monitor.store.ingest import MemoryIngestStore

        return self._one("ingest", MemoryIngestStore)

    def reviews(self) -> MemoryReviewStore:
        from monitor.store.reviews import MemoryReviewStore

        return self._one("reviews", MemoryReviewStore)

    def upload_ledger(self) -> MemoryUploadLedger:
        from monitor.store.reviews import MemoryUploadLedger

        return self._one("upload_ledger", MemoryUploadLedger)

    def tenants(self) -> MemoryTenantStore:
        from monitor.store.tenants import MemoryTenantStore

        return self._one("tenants", MemoryTenantStore)

    def close(self) -> None:
        return None


class StoreAccount(Protocol):
    """Where a Runtime gets its stores: a TableAccount or a MemoryAccount."""

    def state(self) -> StateStore: ...

    def alerts(self) -> AlertStore: ...

    def reports(self) -> ReportStore: ...

    def ingest(self) -> IngestStore: ...

    def reviews(self) -> ReviewStore: ...

    def upload_ledger(self) -> LedgerStore: ...

    def tenants(self) -> TenantStore: ...

    def close(self) -> None: ...


def open_account(settings: Settings) -> StoreAccount:
    """Table Storage when configured (the process's shared account), else a new MemoryAccount."""
    if settings.has_storage:
        return TableAccount.from_settings(settings)
    return MemoryAccount()
