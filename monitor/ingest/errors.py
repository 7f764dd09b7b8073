"""What ingestion refuses, and why."""

from __future__ import annotations


class RejectedBody(ValueError):
    """A body the monitor will not store: the message is the one-line reason sent back with a 400."""
