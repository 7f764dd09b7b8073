"""What the log stream refused, kept where a person sees it: health's problems and `monitor ingest-rejects`.

Each Event Hub batch that held records the monitor could not keep leaves one entry (counts and the first
reasons) in the ingest store, keyed by the batch's content, so the host's retry of the same batch
rewrites its entry instead of adding one.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from monitor.store.ingest import IngestRejects, IngestStore

if TYPE_CHECKING:  # health imports this module; the record mappers are not needed to read rejects
    from monitor.ingest.resource_logs import LogBatch

SOURCE = "log-stream"
HEALTH_WINDOW = timedelta(days=1)


def batch_digest(bodies: Sequence[bytes | str]) -> str:
    digest = hashlib.sha256()
    for body in bodies:
        data = body.encode("utf-8", "surrogatepass") if isinstance(body, str) else body
        digest.update(len(data).to_bytes(8, "big") + data)
    return digest.hexdigest()[:32]


def keep_rejects(store: IngestStore, bodies: Sequence[bytes | str], batch: LogBatch, at: datetime) -> None:
    """Record what `batch` refused. Raises what the store raises: the batch is then retried."""
    rejects = IngestRejects(
        SOURCE, batch_digest(bodies), at, batch.received, batch.malformed, tuple(batch.malformed_reasons)
    )
    store.save_rejects(rejects)


def listed(store: IngestStore, since: datetime) -> list[dict[str, Any]]:
    return [r.to_json() for r in store.rejects(since)]


def recent_rejects(store: IngestStore, now: datetime) -> str:
    """One health line for the records refused in the last day, or ""."""
    found = store.rejects(now - HEALTH_WINDOW)
    if not found:
        return ""
    latest = found[0].reasons[0] if found[0].reasons else "no reason kept"
    return (
        f"{sum(r.rejected for r in found)} log-stream record(s) refused in the last 24 hours "
        f"(latest: {latest}); python -m monitor ingest-rejects lists them"
    )
