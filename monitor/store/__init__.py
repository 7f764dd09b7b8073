"""Stores: the only code that talks to Table Storage (or keeps state in memory for a scan).

Every Table Storage store is opened over a `TableAccount` (monitor/store/account.py): one client and
one error type, `StoreError`, for all of them.
"""

from __future__ import annotations

from monitor.settings import Settings
from monitor.store.base import StateStore
from monitor.store.memory import MemoryStore


def open_store(settings: Settings) -> StateStore:
    """Table Storage when configured (the process's account), else memory (state lives for this
    process only)."""
    if not settings.has_storage:
        return MemoryStore()
    from monitor.store.account import TableAccount

    return TableAccount.from_settings(settings).state()
