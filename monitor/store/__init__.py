"""Stores: the only code that talks to Table Storage (or keeps state in memory for a scan).

Every Table Storage store is opened over a `TableAccount` (monitor/store/account.py): one client and
one error type, `StoreError`, for all of them.
"""
