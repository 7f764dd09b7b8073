"""What the monitor keeps between passes, and the interface both stores implement.

`TableStore` keeps it in Azure Table Storage; `MemoryStore` keeps it for the life of one process (a
`scan` without storage configured). Both satisfy the same contract tests (tests/store/).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import Any, Literal, Protocol

from monitor.records import (
    ConsentState,
    PinResetSignIn,
    SignInHour,
    TapIssuance,
    TapSignIn,
    UnusableItem,
)
from monitor.rules.base import Finding, RuleResult, Severity

# Defined with the account every store opens; importable from here too, where callers have long found them.
from monitor.store.account import StoreConfigError as StoreConfigError
from monitor.store.account import StoreError as StoreError

FindingStatus = Literal["open", "resolved"]
FindingKey = tuple[str, str]  # (rule, subject)


@dataclass(frozen=True)
class StoredFinding:
    rule: str
    subject: str
    severity: Severity
    title: str
    detail: str
    evidence: Mapping[str, Any]
    status: FindingStatus
    first_seen: datetime
    last_seen: datetime
    resolved_at: datetime | None = None
    times_seen: int = 1
    # The passes that last opened and resolved it: the record of the change travels with the state, so
    # a process that dies before its run record is written still leaves who opened what.
    opened_by_run: str = ""
    resolved_by_run: str = ""

    @property
    def key(self) -> FindingKey:
        return (self.rule, self.subject)


@dataclass(frozen=True)
class StoredConsent:
    app_id: str
    consented: bool
    enabled: bool
    object_id: str
    checked_at: datetime
    changed_at: datetime  # when `consented` or `enabled` last changed (or first seen)

    @classmethod
    def of(cls, state: ConsentState, at: datetime, before: StoredConsent | None) -> StoredConsent:
        principal = state.principal
        now = cls(
            app_id=state.app_id,
            consented=principal is not None,
            enabled=principal is not None and principal.account_enabled,
            object_id=principal.object_id if principal else "",
            checked_at=at,
            changed_at=at,
        )
        if before is not None and (before.consented, before.enabled) == (now.consented, now.enabled):
            return replace(now, changed_at=before.changed_at)
        return now


@dataclass(frozen=True)
class InventoryItem:
    """One thing of the tenant as the monitor last saw it (a device, a policy, a domain...)."""

    kind: str
    key: str
    state: Mapping[str, Any]
    first_seen: datetime
    changed_at: datetime  # when `state` (or `present`) last changed
    present: bool = True  # False once a pass no longer finds it


@dataclass(frozen=True)
class InventoryChanges:
    added: tuple[str, ...] = ()
    changed: tuple[str, ...] = ()
    removed: tuple[str, ...] = ()


def inventory_updates(
    kind: str, before: Mapping[str, InventoryItem], items: Mapping[str, Mapping[str, Any]], at: datetime
) -> tuple[list[InventoryItem], InventoryChanges]:
    """The entries to write so the inventory matches `items`, and what changed.

    Only new, changed and vanished entries are written: a pass over thousands of unchanged devices
    writes nothing.
    """
    writes: list[InventoryItem] = []
    added: list[str] = []
    changed: list[str] = []
    removed: list[str] = []
    for key, state in items.items():
        old = before.get(key)
        if old is None:
            writes.append(InventoryItem(kind, key, dict(state), at, at))
            added.append(key)
        elif not old.present or dict(old.state) != dict(state):
            writes.append(replace(old, state=dict(state), changed_at=at, present=True))
            (added if not old.present else changed).append(key)
    for key, old in before.items():
        if key not in items and old.present:
            writes.append(replace(old, present=False, changed_at=at))
            removed.append(key)
    return writes, InventoryChanges(tuple(sorted(added)), tuple(sorted(changed)), tuple(sorted(removed)))


@dataclass(frozen=True)
class FindingChanges:
    """What a pass changed in the findings ledger: the input alerts are raised from."""

    opened: tuple[StoredFinding, ...] = ()  # new, or back after being resolved
    still_open: tuple[StoredFinding, ...] = ()
    resolved: tuple[StoredFinding, ...] = ()


RunOutcome = Literal["running", "ok", "partial", "failed", "skipped"]


@dataclass(frozen=True)
class RunRecord:
    """One monitoring pass, as the store remembers it (health and reports read these).

    Written as `running` when the pass starts and rewritten when it ends: `ok`, `partial` (some data
    could not be read), `failed` (it could not finish: the error is in the summary) or `skipped`
    (another pass held the tenant). A record still `running` after its pass ended was left by a
    process that died; the next pass of the tenant marks it `failed`.
    """

    tenant_id: str
    run_id: str
    started: datetime
    finished: datetime
    now: datetime
    outcome: RunOutcome
    summary: Mapping[str, Any]


@dataclass(frozen=True)
class Lease:
    """The right to run a pass for one tenant until `until` (wall-clock time)."""

    tenant_id: str
    holder: str  # the run id of the pass that holds it
    until: datetime
    token: str = field(default="", compare=False)  # the store's version of the lease (an ETag)


def next_finding(
    existing: StoredFinding | None, finding: Finding | None, at: datetime, run_id: str = ""
) -> StoredFinding | None:
    """The ledger entry after a pass, or None if the pass leaves it as it was.

    `finding` is what the rule found now (None: the rule ran and no longer finds it).
    """
    if finding is None:
        if existing is None or existing.status == "resolved":
            return None
        return replace(existing, status="resolved", resolved_at=at, resolved_by_run=run_id)
    if existing is None or existing.status == "resolved":
        return StoredFinding(
            rule=finding.rule,
            subject=finding.subject,
            severity=finding.severity,
            title=finding.title,
            detail=finding.detail,
            evidence=finding.evidence,
            status="open",
            first_seen=at,
            last_seen=at,
            times_seen=1 if existing is None else existing.times_seen + 1,
            opened_by_run=run_id,
        )
    return replace(
        existing,
        severity=finding.severity,
        title=finding.title,
        detail=finding.detail,
        evidence=finding.evidence,
        last_seen=max(existing.last_seen, at),
    )


def planned_findings(
    existing: Mapping[FindingKey, StoredFinding], results: Sequence[RuleResult]
) -> dict[FindingKey, Finding | None]:
    """Which ledger entries a pass touches, and what the rules found for each.

    A rule that was skipped or errored leaves its open findings alone: what could not be checked is
    neither confirmed nor resolved.
    """
    found = {(f.rule, f.subject): f for r in results if r.status == "fail" for f in r.findings}
    evaluated = {r.rule for r in results if r.status in ("pass", "fail")}
    plan: dict[FindingKey, Finding | None] = dict(found)
    for key, stored in existing.items():
        if stored.status == "open" and key[0] in evaluated and key not in found:
            plan[key] = None
    return plan


def sort_changes(
    before: Mapping[FindingKey, StoredFinding], after: Sequence[StoredFinding]
) -> FindingChanges:
    opened, still_open, resolved = [], [], []
    for entry in after:
        previous = before.get(entry.key)
        if entry.status == "resolved":
            resolved.append(entry)
        elif previous is None or previous.status == "resolved":
            opened.append(entry)
        else:
            still_open.append(entry)
    return FindingChanges(tuple(opened), tuple(still_open), tuple(resolved))


class StateStore(Protocol):
    """Everything a pass reads from or writes to its state. Writes are idempotent."""

    def checkpoint(self, tenant_id: str, stream: str) -> datetime | None: ...

    def save_checkpoint(self, tenant_id: str, stream: str, at: datetime) -> None: ...

    def save_pin_reset_signins(self, tenant_id: str, signins: Sequence[PinResetSignIn]) -> None: ...

    def pin_reset_signins(self, tenant_id: str, start: datetime, end: datetime) -> list[PinResetSignIn]: ...

    def replace_signin_hours(
        self, tenant_id: str, start: datetime, end: datetime, hours: Sequence[SignInHour]
    ) -> None:
        """Make the hours in [start, end) exactly `hours`: earlier counts for them are replaced."""
        ...

    def signin_hours(self, tenant_id: str, start: datetime, end: datetime) -> tuple[SignInHour, ...]: ...

    def save_consent(self, tenant_id: str, states: Mapping[str, ConsentState], at: datetime) -> None: ...

    def save_inventory(
        self, tenant_id: str, kind: str, items: Mapping[str, Mapping[str, Any]], at: datetime
    ) -> InventoryChanges:
        """Make the inventory of `kind` match `items` (key -> state), recording what changed when."""
        ...

    def inventory(self, tenant_id: str, kind: str) -> dict[str, InventoryItem]: ...

    def save_tap_issuances(self, tenant_id: str, issuances: Sequence[TapIssuance]) -> None:
        """Upsert by audit id: a later pass's view of a pass (usability, lifetime) replaces an earlier one."""
        ...

    def tap_issuances(self, tenant_id: str, since: datetime) -> list[TapIssuance]:
        """Issuances at or after `since`, oldest first."""
        ...

    def save_tap_signins(self, tenant_id: str, signins: Sequence[TapSignIn]) -> None: ...

    def tap_signins(self, tenant_id: str, start: datetime, end: datetime) -> list[TapSignIn]:
        """TAP sign-ins created in [start, end], oldest first."""
        ...

    def count_tap_signins(self, tenant_id: str, start: datetime, end: datetime) -> int:
        """How many TAP sign-ins were created in [start, end] (what `tap_signins` would return)."""
        ...

    def consent(self, tenant_id: str) -> dict[str, StoredConsent]: ...

    def save_unusable(self, tenant_id: str, items: Sequence[UnusableItem]) -> None:
        """Keep items of a stream that could not be used, once each (by stream and item id)."""
        ...

    def unusable(self, tenant_id: str, stream: str, since: datetime) -> list[UnusableItem]:
        """The unusable items of `stream` created (or, without a readable time, seen) at or after `since`."""
        ...

    def findings(self, tenant_id: str) -> list[StoredFinding]: ...

    def save_findings(
        self, tenant_id: str, results: Sequence[RuleResult], at: datetime, run_id: str = ""
    ) -> FindingChanges: ...

    def save_run(self, run: RunRecord) -> None: ...

    def runs(self, tenant_id: str, limit: int = 10) -> list[RunRecord]: ...

    def latest_runs(self) -> list[RunRecord]:
        """The newest run of each tenant this store knows."""
        ...

    def acquire_lease(self, tenant_id: str, holder: str, until: datetime, now: datetime) -> Lease:
        """Take the tenant's lease for `holder` until `until`. Returns the lease taken, or, when another
        pass holds an unexpired one, that other lease (its holder differs from `holder`)."""
        ...

    def release_lease(self, lease: Lease) -> None:
        """Give the lease back, unless it has since been taken by someone else."""
        ...

    def close(self) -> None: ...
