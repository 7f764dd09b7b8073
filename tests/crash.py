"""Crash-anywhere: a pass killed at its k-th store operation, then a clean pass, must leave the store as
one clean pass leaves it. Shared by tests/test_crash_anywhere.py (a seeded sample) and
bench/crash_anywhere.py (many more points)."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path
from typing import Any

from graphsim import GraphSimulator
from monitor.graph.session import GraphSession
from monitor.pipeline import run_pass
from monitor.polling import SIGNIN_STREAM, TAP_AUDIT_STREAM, TAP_SIGNIN_STREAM
from monitor.store.base import StateStore
from tests.support import (
    NOW,
    TENANT_ID,
    signin_series,
    simulator_settings,
    tap_audit,
    tap_method,
    user_id_of,
    write,
    write_tenant,
)

WINDOW = (NOW - timedelta(days=15), NOW + timedelta(hours=1))


class ProcessDied(BaseException):
    """A kill: not an Exception, so no handler of the pass runs."""


class DiesAt:
    """A store whose process dies just before its k-th operation (k counts from 1).

    After the death every call dies too, except `release_lease`: a killed process leaves its lease to
    expire, which takes minutes of wall-clock time the test does not wait; letting the release through
    stands for that wait.
    """

    def __init__(self, inner: StateStore, k: int) -> None:
        self._inner, self._k, self.calls, self.died = inner, k, 0, False

    def __getattr__(self, name: str) -> Any:
        target = getattr(self._inner, name)
        if not callable(target) or name == "release_lease":
            return target

        def call(*args: Any, **kwargs: Any) -> Any:
            self.calls += 1
            if self.died or self.calls >= self._k:
                self.died = True
                raise ProcessDied
            return target(*args, **kwargs)

        return call


def write_crash_tenant(root: Path) -> Path:
    """A tenant with work on every stream: PIN reset sign-ins failing for want of consent, two passes
    issued, one used."""
    failing = signin_series(120, start=NOW - timedelta(days=3), step=timedelta(minutes=30), error_code=500011)
    used = signin_series(
        2,
        start=NOW - timedelta(hours=5, minutes=50),
        step=timedelta(minutes=3),
        first=900,
        user="meganb",
        methods=("Temporary Access Pass",),
    )
    snapshot = write_tenant(root, service="missing", signins=failing + used)
    audits = [
        tap_audit(1, "meganb", NOW - timedelta(hours=6)),
        tap_audit(2, "alexw", NOW - timedelta(hours=2)),
    ]
    write(snapshot, "v1.0/auditLogs/directoryAudits", {"value": audits})
    for user, issued in (("meganb", NOW - timedelta(hours=6)), ("alexw", NOW - timedelta(hours=2))):
        write(
            snapshot,
            f"v1.0/users/{user_id_of(user)}/authentication/temporaryAccessPassMethods",
            {"value": [tap_method(issued)]},
        )
    return snapshot


def one_pass(simulator: GraphSimulator, store: Any) -> None:
    async def go() -> None:
        settings = simulator_settings(simulator.url)
        async with GraphSession(settings, transport_retry_delay=0.01) as graph:
            await run_pass(graph, store, settings, NOW)

    asyncio.run(go())


def state(store: StateStore) -> dict[str, Any]:
    """Everything a pass leaves in the store except its run records (run ids differ by design)."""
    return {
        "checkpoints": [
            store.checkpoint(TENANT_ID, s) for s in (SIGNIN_STREAM, TAP_AUDIT_STREAM, TAP_SIGNIN_STREAM)
        ],
        "signins": store.pin_reset_signins(TENANT_ID, *WINDOW),
        "hours": store.signin_hours(TENANT_ID, *WINDOW),
        "consent": {k: (v.consented, v.enabled, v.changed_at) for k, v in store.consent(TENANT_ID).items()},
        "findings": [
            (f.key, f.status, f.first_seen, f.last_seen, f.detail, dict(f.evidence), f.times_seen)
            for f in store.findings(TENANT_ID)
        ],
        "tap_issuances": store.tap_issuances(TENANT_ID, WINDOW[0]),
        "tap_signins": store.tap_signins(TENANT_ID, *WINDOW),
        "inventory": {
            kind: {k: (dict(v.state), v.first_seen, v.changed_at, v.present) for k, v in items.items()}
            for kind in ("domain", "device", "policy", "tap-policy")
            if (items := store.inventory(TENANT_ID, kind))
        },
        "unusable": store.unusable(TENANT_ID, SIGNIN_STREAM, WINDOW[0]),
    }


def operations_of_a_clean_pass(simulator: GraphSimulator, new_store: Callable[[], StateStore]) -> int:
    counter = DiesAt(new_store(), 10**9)
    one_pass(simulator, counter)
    return counter.calls


def crash_then_recover(simulator: GraphSimulator, store: StateStore, k: int) -> bool:
    """Kill a pass at its k-th store operation, then run a clean one on the same store. True if the
    kill happened (k within the pass)."""
    dying = DiesAt(store, k)
    with contextlib.suppress(ProcessDied):
        one_pass(simulator, dying)
    one_pass(simulator, store)
    return dying.died
