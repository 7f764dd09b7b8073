"""Stores: the only code that talks to Table Storage (or keeps state in memory for a scan)."""

from __future__ import annotations

from monitor.settings import Settings
from monitor.store.base import StateStore
from monitor.store.memory import MemoryStore


def open_store(settings: Settings) -> StateStore:
    """Table Storage when configured, else memory (state lives for this process only)."""
    if not settings.has_storage:
        return MemoryStore()
    from monitor.store.tables import open_table_store

    return open_table_store(
        settings.storage_connection_string, settings.storage_endpoint, settings.table_prefix
    )
