"""One invocation's parts: the settings read once, each store opened on first use, the Graph client,
and one `close()`.

Every entry point (the triggers, the routes, the CLI) builds one `Runtime` and hands it to the function
it calls; nothing below it reads the environment or opens a store of its own. Tests build one over
memory stores (`Runtime.in_memory`). A deployment that watches many tenants builds one per tenant with
`for_tenant`, sharing the stores' account and giving each its own Graph credential.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from types import TracebackType
from typing import TYPE_CHECKING, Any, Self, TypeVar

from monitor.settings import Settings
from monitor.store.account import MemoryAccount, StoreAccount, open_account

if TYPE_CHECKING:
    from azure.core.credentials_async import AsyncTokenCredential

    from monitor.graph.session import GraphSession
    from monitor.store.alerts import AlertStore
    from monitor.store.base import StateStore
    from monitor.store.ingest import IngestStore
    from monitor.store.pass_queue import PassQueue
    from monitor.store.reports import ReportStore
    from monitor.store.reviews import LedgerStore, ReviewStore
    from monitor.store.tenants import TenantRecord, TenantStore

T = TypeVar("T")


class Runtime:
    """The settings, stores, queue and Graph client of one invocation. Use as a context manager, or call
    `close()`: it closes what was opened, and nothing that was not."""

    def __init__(
        self,
        settings: Settings,
        stores: StoreAccount | None = None,
        *,
        credential: AsyncTokenCredential | None = None,
    ) -> None:
        self.settings = settings
        self._source = stores if stores is not None else open_account(settings)
        self._credential = credential
        self._opened: dict[str, Any] = {}
        self._tenant = ""  # a customer tenant (for_tenant): Graph tokens are issued in it
        self._borrowed = False  # the stores are another Runtime's, which closes them
        self.tenant_record: TenantRecord | None = None  # for_tenant's record

    @classmethod
    def from_env(
        cls,
        environ: Mapping[str, str] | None = None,
        *,
        require_storage: bool = True,
        require_schedule: bool = False,
    ) -> Runtime:
        """The one place an invocation reads its settings. Raises SettingsError listing every problem."""
        settings = Settings.from_env(
            environ, require_storage=require_storage, require_schedule=require_schedule
        )
        return cls(settings)

    @classmethod
    def in_memory(cls, settings: Settings | None = None) -> Runtime:
        """Over memory stores, whatever the settings say about storage (tests, offline commands)."""
        return cls(settings or Settings(), MemoryAccount())

    def with_settings(self, settings: Settings) -> Runtime:
        """The same stores (open ones included) under other settings: a snapshot's simulator endpoint.
        Closing it closes nothing: the stores are this Runtime's."""
        twin = Runtime(settings, self._source, credential=self._credential)
        twin._opened, twin._tenant, twin._borrowed = self._opened, self._tenant, True
        twin.tenant_record = self.tenant_record
        return twin

    def for_tenant(self, record: TenantRecord, credential: AsyncTokenCredential | None = None) -> Runtime:
        """One customer tenant's Runtime: the same stores, the tenant's own thresholds and alert routing
        (monitor.tenants.routing), and Graph tokens issued in that tenant (monitor.tenants.credential, or
        `credential`, which its Graph session closes)."""
        from monitor.tenants.routing import tenant_settings

        twin = self.with_settings(tenant_settings(self.settings, record))
        twin._tenant, twin.tenant_record = record.tenant_id, record
        twin._credential = credential
        return twin

    def _store(self, name: str, open_it: Callable[[], T]) -> T:
        if name not in self._opened:
            self._opened[name] = open_it()
        store: T = self._opened[name]
        return store

    @property
    def state(self) -> StateStore:
        return self._store("state", self._source.state)

    @property
    def alerts(self) -> AlertStore:
        return self._store("alerts", self._source.alerts)

    @property
    def reports(self) -> ReportStore:
        return self._store("reports", self._source.reports)

    @property
    def ingest(self) -> IngestStore:
        return self._store("ingest", self._source.ingest)

    @property
    def reviews(self) -> ReviewStore:
        return self._store("reviews", self._source.reviews)

    @property
    def upload_ledger(self) -> LedgerStore:
        return self._store("upload_ledger", self._source.upload_ledger)

    @property
    def tenants(self) -> TenantStore:
        """The tenants a many-tenant deployment watches (empty for a single-tenant one)."""
        return self._store("tenants", self._source.tenants)

    @property
    def pass_queue(self) -> PassQueue:
        """The Storage Queue of requested passes. Check `settings.has_queue` first."""

        def open_queue() -> PassQueue:
            from monitor.store.pass_queue import shared_pass_queue

            s = self.settings
            return shared_pass_queue(s.queue_connection_string, s.queue_endpoint, s.pass_queue_name)

        return self._store("pass_queue", open_queue)

    @property
    def tenant_queue(self) -> PassQueue:
        """The Storage Queue of tenant passes (many tenants: monitor.service.fanout)."""

        def open_queue() -> PassQueue:
            from monitor.service.fanout import TENANT_QUEUE
            from monitor.store.pass_queue import shared_pass_queue

            s = self.settings
            return shared_pass_queue(s.queue_connection_string, s.queue_endpoint, TENANT_QUEUE)

        return self._store("tenant_queue", open_queue)

    def graph(self) -> GraphSession:
        """A Graph session for this runtime's tenant; enter it with `async with`."""
        from monitor.graph.session import GraphSession

        credential = self._credential
        if self._tenant:  # a session closes its credential: a tenant's is handed over once
            self._credential = None
            if credential is None:
                from monitor.tenants.credential import tenant_credential

                credential = tenant_credential(self.settings, self._tenant)
        return GraphSession(self.settings, credential)

    def close(self) -> None:
        if self._borrowed:
            return
        opened, self._opened = list(self._opened.values()), {}
        for item in opened:
            item.close()

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self, kind: type[BaseException] | None, error: BaseException | None, trace: TracebackType | None
    ) -> None:
        self.close()
