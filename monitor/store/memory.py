"""State kept in memory for one process: what `scan` uses when no storage is configured."""

from __future__ import annotations

import threading
from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any

from monitor.records import (
    ConsentState,
    PinResetSignIn,
    SignInHour,
    TapIssuance,
    TapSignIn,
    UnusableItem,
)
from monitor.rules.base import RuleResult
from monitor.store.base import (
    FindingChanges,
    FindingKey,
    InventoryChanges,
    InventoryItem,
    Lease,
    RunRecord,
    StoredConsent,
    StoredFinding,
    inventory_updates,
    next_finding,
    planned_findings,
    sort_changes,
)


class MemoryStore:
    def __init__(self) -> None:
        self._checkpoints: dict[tuple[str, str], datetime] = {}
        self._signins: dict[str, dict[str, PinResetSignIn]] = {}
        self._hours: dict[str, dict[tuple[datetime, str, int], SignInHour]] = {}
        self._consent: dict[str, dict[str, StoredConsent]] = {}
        self._findings: dict[str, dict[FindingKey, StoredFinding]] = {}
        self._runs: dict[str, list[RunRecord]] = {}
        self._tap_issuances: dict[str, dict[str, TapIssuance]] = {}
        self._inventory: dict[tuple[str, str], dict[str, InventoryItem]] = {}
        self._tap_signins: dict[str, dict[str, TapSignIn]] = {}
        self._leases: dict[str, Lease] = {}
        self._unusable: dict[str, dict[tuple[str, str], UnusableItem]] = {}
        self._lease_lock = threading.Lock()

    def checkpoint(self, tenant_id: str, stream: str) -> datetime | None:
        return self._checkpoints.get((tenant_id, stream))

    def save_checkpoint(self, tenant_id: str, stream: str, at: datetime) -> None:
        self._checkpoints[(tenant_id, stream)] = at

    def save_pin_reset_signins(self, tenant_id: str, signins: Sequence[PinResetSignIn]) -> None:
        kept = self._signins.setdefault(tenant_id, {})
        for signin in signins:
            kept[signin.id] = signin

    def pin_reset_signins(self, tenant_id: str, start: datetime, end: datetime) -> list[PinResetSignIn]:
        kept = self._signins.get(tenant_id, {}).values()
        return sorted((s for s in kept if start <= s.created <= end), key=lambda s: (s.created, s.id))

    def replace_signin_hours(
        self, tenant_id: str, start: datetime, end: datetime, hours: Sequence[SignInHour]
    ) -> None:
        kept = self._hours.setdefault(tenant_id, {})
        for key in [k for k in kept if start <= k[0] < end]:
            del kept[key]
        for h in hours:
            kept[(h.hour, h.app_id, h.error_code)] = h

    def signin_hours(self, tenant_id: str, start: datetime, end: datetime) -> tuple[SignInHour, ...]:
        kept = self._hours.get(tenant_id, {})
        return tuple(kept[k] for k in sorted(kept) if start <= k[0] < end)

    def save_consent(self, tenant_id: str, states: Mapping[str, ConsentState], at: datetime) -> None:
        kept = self._consent.setdefault(tenant_id, {})
        for app_id, state in states.items():
            kept[app_id] = StoredConsent.of(state, at, kept.get(app_id))

    def consent(self, tenant_id: str) -> dict[str, StoredConsent]:
        return dict(self._consent.get(tenant_id, {}))

    def save_unusable(self, tenant_id: str, items: Sequence[UnusableItem]) -> None:
        kept = self._unusable.setdefault(tenant_id, {})
        for item in items:
            kept[(item.stream, item.item_id)] = item

    def unusable(self, tenant_id: str, stream: str, since: datetime) -> list[UnusableItem]:
        kept = self._unusable.get(tenant_id, {}).values()
        found = [i for i in kept if i.stream == stream and (i.created or i.seen) >= since]
        return sorted(found, key=lambda i: (i.seen, i.item_id))

    def save_inventory(
        self, tenant_id: str, kind: str, items: Mapping[str, Mapping[str, Any]], at: datetime
    ) -> InventoryChanges:
        kept = self._inventory.setdefault((tenant_id, kind), {})
        writes, changes = inventory_updates(kind, kept, items, at)
        for item in writes:
            kept[item.key] = item
        return changes

    def inventory(self, tenant_id: str, kind: str) -> dict[str, InventoryItem]:
        return dict(self._inventory.get((tenant_id, kind), {}))

    def save_tap_issuances(self, tenant_id: str, issuances: Sequence[TapIssuance]) -> None:
        kept = self._tap_issuances.setdefault(tenant_id, {})
        for issuance in issuances:
            kept[issuance.audit_id] = issuance

    def tap_issuances(self, tenant_id: str, since: datetime) -> list[TapIssuance]:
        kept = self._tap_issuances.get(tenant_id, {}).values()
        return sorted((i for i in kept if i.issued_at >= since), key=lambda i: (i.issued_at, i.audit_id))

    def save_tap_signins(self, tenant_id: str, signins: Sequence[TapSignIn]) -> None:
        kept = self._tap_signins.setdefault(tenant_id, {})
        for signin in signins:
            kept[signin.id] = signin

    def tap_signins(self, tenant_id: str, start: datetime, end: datetime) -> list[TapSignIn]:
        kept = self._tap_signins.get(tenant_id, {}).values()
        return sorted((s for s in kept if start <= s.created <= end), key=lambda s: (s.created, s.id))

    def count_tap_signins(self, tenant_id: str, start: datetime, end: datetime) -> int:
        return sum(1 for s in self._tap_signins.get(tenant_id, {}).values() if start <= s.created <= end)

    def findings(self, tenant_id: str) -> list[StoredFinding]:
        return sorted(self._findings.get(tenant_id, {}).values(), key=lambda f: f.key)

    def save_findings(
        self, tenant_id: str, results: Sequence[RuleResult], at: datetime, run_id: str = ""
    ) -> FindingChanges:
        ledger = self._findings.setdefault(tenant_id, {})
        before = dict(ledger)
        written = []
        for key, finding in planned_findings(before, results).items():
            entry = next_finding(before.get(key), finding, at, run_id)
            if entry is not None:
                ledger[key] = entry
                written.append(entry)
        return sort_changes(before, written)

    def save_run(self, run: RunRecord) -> None:
        runs = self._runs.setdefault(run.tenant_id, [])
        runs[:] = [r for r in runs if r.run_id != run.run_id] + [run]

    def runs(self, tenant_id: str, limit: int = 10) -> list[RunRecord]:
        return sorted(self._runs.get(tenant_id, []), key=lambda r: r.started, reverse=True)[:limit]

    def close(self) -> None:
        return None

    def acquire_lease(self, tenant_id: str, holder: str, until: datetime, now: datetime) -> Lease:
        with self._lease_lock:
            held = self._leases.get(tenant_id)
            if held is not None and held.holder != holder and held.until > now:
                return held
            lease = Lease(tenant_id, holder, until)
            self._leases[tenant_id] = lease
            return lease

    def release_lease(self, lease: Lease) -> None:
        with self._lease_lock:
            if self._leases.get(lease.tenant_id) == lease:
                del self._leases[lease.tenant_id]

    def latest_runs(self) -> list[RunRecord]:
        return [self.runs(tenant_id, 1)[0] for tenant_id in sorted(self._runs) if self._runs[tenant_id]]
