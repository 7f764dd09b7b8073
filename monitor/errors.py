"""The two kinds of request error every entry point shares. The routes answer them 400 and 404
(monitor.service.answer), the CLI exits 2 with the message."""

from __future__ import annotations


class BadRequest(ValueError):
    """What was asked is malformed or does not apply: the message says why, in one line."""


class NotFound(LookupError):
    """What was asked for does not exist."""
