"""One monitoring pass: collect from Graph, evaluate the rules, record the outcome.

The timer trigger, `python -m monitor run` and `python -m monitor scan` all call `run_pass`; they differ
only in the Graph endpoint and store they hand it.

A pass of a tenant:
1. reads the tenant (GET /organization) and takes the tenant's lease in the store, so two passes of
   one tenant never interleave (the Functions timer is a singleton, the CLI and queue-triggered passes
   are not): a second pass waits up to `pass_wait_seconds`, then records itself `skipped`;
2. records itself `running` (and marks `failed` any earlier record a dead process left `running`);
3. collects every fact (`collect`): stream readers store what they read page by page and advance their
   checkpoint only once it is stored; whatever could not be read becomes the fact's problem;
4. evaluates the catalog and writes the findings ledger, each change stamped with the run id;
5. rewrites its run record with the outcome, or `failed` with the error.
"""

from __future__ import annotations

import asyncio
import logging
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, fields, replace
from datetime import datetime, timedelta
from typing import Any

from monitor import inventory, telemetry
from monitor.collectors.auth_audits import (
    AUTH_METHODS_AUDIT_STREAM,
    KeptMethods,
    audit_ids_by_user,
    keep_method_changes,
    keep_user_methods,
    read_auth_method_audits,
    stored_method_changes,
    stored_user_methods,
    users_to_read,
)
from monitor.collectors.directory import read_consent, read_domains, read_tenant, readout
from monitor.collectors.intune import read_device_policies, read_windows_devices
from monitor.collectors.methods import read_user_methods
from monitor.collectors.signins import (
    PIN_RESET_STREAM,
    floor_hour,
    polling_window,
    read_pin_reset_signins,
)
from monitor.collectors.tap import (
    TAP_STREAM,
    full_scan_tap_signins,
    read_privileged_users,
    read_tap_policy,
    with_current_passes,
)
from monitor.collectors.tap_plan import USUAL_COUNTRIES_KIND, TapKnowledge, read_tap_signins_planned
from monitor.entra import LONGEST_TAP_MINUTES
from monitor.graph.errors import GraphReadError
from monitor.graph.session import GraphSession
from monitor.ingest.stream import recount_signin_hours
from monitor.records import (
    DataProblem,
    DeviceReport,
    MethodChange,
    PinResetSignIn,
    Readout,
    SignInHour,
    TapIssuance,
    TapPolicy,
    TapSignIn,
    Tenant,
    TenantFacts,
    UnusableItem,
    UnusableItems,
    UserMethod,
    iso,
    utcnow,
)
from monitor.rules import evaluate_all
from monitor.rules.base import SEVERITIES, Finding, RuleResult
from monitor.settings import Settings
from monitor.store.base import (
    FindingChanges,
    InventoryChanges,
    Lease,
    RunOutcome,
    RunRecord,
    StateStore,
    StoreError,
)
from monitor.store.ingest import IngestStore, MemoryIngestStore
from monitor.views.recovery import RecoveryChain, recovery_chains, users_to_check

log = logging.getLogger(__name__)

SIGNIN_STREAM = PIN_RESET_STREAM
TAP_AUDIT_STREAM = "audits.tap"
TAP_SIGNIN_STREAM = TAP_STREAM
SIGNIN_SOURCE = "beta/auditLogs/signIns"


def new_run_id(started: datetime) -> str:
    """Unique per pass, sortable by start: two passes started in the same second stay apart."""
    return f"{started:%Y%m%dT%H%M%S}-{uuid.uuid4().hex[:8]}"


@dataclass(frozen=True)
class StreamRead:
    """What a pass read of one log stream: the window, and how many items came and were kept."""

    stream: str
    start: datetime
    end: datetime
    received: int
    kept: int
    unusable: int = 0
    # How the stream was read, for the run record (e.g. the TAP reading mode and how many users).
    how: Mapping[str, Any] = field(default_factory=dict)

    def to_json(self) -> dict[str, Any]:
        return {
            "stream": self.stream,
            "window": {"start": iso(self.start), "end": iso(self.end)},
            "received": self.received,
            "kept": self.kept,
            "unusable": self.unusable,
            **self.how,
        }


@dataclass(frozen=True)
class Collected:
    """Everything `collect` read: the facts rules reason over, and how the streams were read."""

    facts: TenantFacts
    reads: tuple[StreamRead, ...] = ()
    inventory_changes: Mapping[str, InventoryChanges] = field(default_factory=dict)
    # Problems beside the facts' own (a part of a fact that could not be read, say).
    extra_problems: tuple[DataProblem, ...] = ()
    # When each user's current methods were read (this pass, or an earlier one whose answer still holds).
    methods_read_at: Mapping[str, datetime] = field(default_factory=dict)

    @property
    def problems(self) -> tuple[DataProblem, ...]:
        """What could not be read, derived from every fact: none can drop out of the run record."""
        found = list(fact_problems(self.facts)) + list(self.extra_problems)
        # One problem per source and reason: a failure that several facts share is one thing to fix.
        return tuple({(p.kind, p.source, p.reason): p for p in found}.values())


def fact_problems(facts: TenantFacts) -> list[DataProblem]:
    problems = []
    for f in fields(facts):
        value = getattr(facts, f.name)
        if not isinstance(value, Readout):
            continue
        if value.problem is not None:
            problems.append(value.problem)
        if value.unusable is not None:
            problems.append(DataProblem("error", value.unusable.describe(), value.unusable.source))
    return problems


@dataclass(frozen=True)
class PassResult:
    """One pass as everything after it consumes it.

    - `results` / `findings`: what each rule concluded (scan prints them);
    - `changes`: what the pass changed in the findings ledger (opened, still open, resolved). Alerts do
      not depend on it alone: they reconcile with the ledger (`store.findings`), which holds the same
      facts durably, so a pass that died after writing the ledger still gets its alerts next time;
    - `problems`: what could not be read, and why (the run record keeps them; health reports them);
    - `reads`, `stats`: what the pass cost and covered (reports and benchmarks read them);
    - `run_id` / `outcome`: the run record's key and outcome; `skipped` when another pass held the
      tenant, with `results` empty.
    """

    tenant: Tenant
    now: datetime
    results: tuple[RuleResult, ...]
    problems: tuple[DataProblem, ...]
    stats: dict[str, int]
    changes: FindingChanges = field(default_factory=FindingChanges)
    tap_signins: tuple[TapSignIn, ...] = ()
    run_id: str = ""
    outcome: RunOutcome = "ok"
    reads: tuple[StreamRead, ...] = ()
    # Each pass's recovery chain (issued, signed in, new method, old methods removed).
    recoveries: tuple[RecoveryChain, ...] = ()

    @property
    def findings(self) -> tuple[Finding, ...]:
        found = [f for r in self.results for f in r.findings]
        return tuple(sorted(found, key=lambda f: (SEVERITIES.index(f.severity), f.rule, f.subject)))


def _unusable(store: StateStore, tenant_id: str, stream: str, since: datetime) -> UnusableItems | None:
    return UnusableItems.of(SIGNIN_SOURCE, store.unusable(tenant_id, stream, since))


async def poll_pin_reset_signins(
    graph: GraphSession, store: StateStore, tenant_id: str, now: datetime, settings: Settings
) -> tuple[Readout[tuple[SignInHour, ...]], StreamRead | None]:
    """Read new PIN reset sign-ins into the store; return the hourly history rules reason over.

    Sign-ins are stored page by page as they arrive; the hourly counts, the unusable items and the
    checkpoint are written only after every query of the window succeeded. A pass that dies halfway
    leaves the checkpoint where it was, so the next pass reads the same window again, and since every
    write is keyed by what it records, the store ends up as one clean pass would have left it.
    """
    lookback = timedelta(days=settings.signin_lookback_days)
    checkpoint = store.checkpoint(tenant_id, SIGNIN_STREAM)
    start, end = polling_window(checkpoint, now, timedelta(minutes=settings.signin_overlap_minutes), lookback)

    def keep(signins: list[PinResetSignIn]) -> None:
        store.save_pin_reset_signins(tenant_id, signins)

    with telemetry.tracer.start_as_current_span("collect.signins") as span:
        span.set_attribute("window.start", start.isoformat())
        span.set_attribute("window.end", end.isoformat())
        try:
            read = await read_pin_reset_signins(graph, start, end, keep)
        except GraphReadError as exc:
            log.warning("pin reset sign-ins not read: %s", exc.reason)
            span.set_attribute("problem", exc.reason)
            return Readout.missing(exc.problem()), None
        span.set_attribute("signins.received", read.received)
        span.set_attribute("signins.kept", read.kept)
    # Counted from the stored sign-ins, not from this read alone: the log stream may have stored some
    # that Graph does not return yet, and each stored sign-in counts once whichever path brought it.
    recount_signin_hours(store, tenant_id, start, floor_hour(end) + timedelta(hours=1))
    store.save_unusable(tenant_id, read.unusable)
    store.save_checkpoint(tenant_id, SIGNIN_STREAM, end)
    history = store.signin_hours(tenant_id, floor_hour(now - lookback), floor_hour(now) + timedelta(hours=1))
    unusable = _unusable(store, tenant_id, SIGNIN_STREAM, now - lookback)
    stream = StreamRead(SIGNIN_STREAM, read.start, read.end, read.received, read.kept, len(read.unusable))
    return Readout(value=history, unusable=unusable), stream


@dataclass
class TapReadout:
    issuances: Readout[tuple[TapIssuance, ...]]
    signins: Readout[tuple[TapSignIn, ...]]
    problems: list[DataProblem] = field(default_factory=list)
    reads: list[StreamRead] = field(default_factory=list)
    # Method registrations and removals of the lookback (read with the issuances, kept between passes).
    changes: Readout[tuple[MethodChange, ...]] = field(
        default_factory=lambda: Readout.missing(_unread("method changes"))
    )


async def poll_tap(
    graph: GraphSession,
    store: StateStore,
    tenant_id: str,
    now: datetime,
    settings: Settings,
    policy: Readout[TapPolicy],
) -> TapReadout:
    """Read TAP issuances from the audit log and the sign-ins made with them into the store; return
    those of the lookback. Each checkpoint advances only once what it covers is stored."""
    lookback = timedelta(days=settings.signin_lookback_days)
    overlap = timedelta(minutes=settings.signin_overlap_minutes)
    longest = (policy.value.maximum_lifetime_minutes if policy.value else None) or LONGEST_TAP_MINUTES
    result = TapReadout(Readout.missing(_unread("tap issuances")), Readout.missing(_unread("tap sign-ins")))

    with telemetry.tracer.start_as_current_span("collect.tap-issuances") as span:
        # TAP issuances and method changes: one incremental read of the "Authentication Methods" audits.
        kept = stored_method_changes(store, tenant_id)
        checkpoint = store.checkpoint(tenant_id, AUTH_METHODS_AUDIT_STREAM) if kept is not None else None
        start, end = polling_window(checkpoint, now, overlap, lookback)
        try:
            audits = await read_auth_method_audits(graph, start, end)
        except GraphReadError as exc:
            log.warning("tap issuances not read: %s", exc.reason)
            result.issuances = Readout.missing(exc.problem())
            result.signins = Readout.missing(exc.problem())
            result.changes = Readout.missing(exc.problem())
            return result
        issued = audits.issuances
        store.save_tap_issuances(tenant_id, issued)
        changes = {c.audit_id: c for c in (kept or ())} | {c.audit_id: c for c in audits.changes}
        keep_method_changes(store, tenant_id, changes.values(), now - lookback, now)
        store.save_checkpoint(tenant_id, AUTH_METHODS_AUDIT_STREAM, end)
        store.save_checkpoint(tenant_id, TAP_AUDIT_STREAM, end)
        window = sorted(
            (c for c in changes.values() if now - lookback <= c.at <= now), key=lambda c: (c.at, c.audit_id)
        )
        result.changes = Readout.of(tuple(window))
        result.reads.append(StreamRead(TAP_AUDIT_STREAM, start, end, len(issued), len(issued)))
        known = store.tap_issuances(tenant_id, now - lookback)
        try:
            # Only passes that may still be valid and were not read before (each read is throttled).
            known = await with_current_passes(graph, known, issued_since=now - timedelta(minutes=longest))
            store.save_tap_issuances(tenant_id, known)
        except GraphReadError as exc:
            # Without the users' passes, lifetimes fall back to the policy's longest; still useful.
            log.warning("current passes not read: %s", exc.reason)
            result.problems.append(exc.problem())
        result.issuances = Readout.of(tuple(known))
        span.set_attribute("tap.issuances", len(known))

    with telemetry.tracer.start_as_current_span("collect.tap-signins") as span:
        start, end = polling_window(store.checkpoint(tenant_id, TAP_SIGNIN_STREAM), now, overlap, lookback)
        span.set_attribute("tap.mode", settings.tap_signin_mode)
        if settings.tap_signin_mode == "targeted":
            planned = await _planned_tap_signins(
                graph, store, tenant_id, known, start, end, settings, longest
            )
            if isinstance(planned, DataProblem):
                result.signins = Readout.missing(planned)
                return result
            stream = planned
        else:
            try:
                found, read = await full_scan_tap_signins(
                    graph,
                    known,
                    start,
                    end,
                    history_days=settings.tap_history_days,
                    fallback_lifetime=longest,
                )
            except GraphReadError as exc:
                log.warning("tap sign-ins not read: %s", exc.reason)
                result.signins = Readout.missing(exc.problem())
                return result
            store.save_tap_signins(tenant_id, found)
            store.save_unusable(tenant_id, read.unusable)
            store.save_checkpoint(tenant_id, TAP_SIGNIN_STREAM, end)
            unique = len({i.item_id for i in read.unusable})
            how = {"mode": "full-scan", "usersRead": read.users}
            stream = StreamRead(TAP_SIGNIN_STREAM, start, end, read.received, read.tap_signins, unique, how)
        span.set_attribute("signins.received", stream.received)
        span.set_attribute("tap.signins", stream.kept)
        # Stored sign-ins carry the pass as it was when they were read; show it as it is now.
        current = {i.audit_id: i for i in known}
        signins = tuple(
            replace(s, issuance=current.get(s.issuance.audit_id, s.issuance) if s.issuance else None)
            for s in store.tap_signins(tenant_id, now - lookback, now)
        )
        unusable = _unusable(store, tenant_id, TAP_SIGNIN_STREAM, now - lookback)
        result.signins = Readout(value=signins, unusable=unusable)
        result.reads.append(stream)
    return result


async def _planned_tap_signins(
    graph: GraphSession,
    store: StateStore,
    tenant_id: str,
    known: list[TapIssuance],
    start: datetime,
    end: datetime,
    settings: Settings,
    longest: int,
) -> StreamRead | DataProblem:
    """TAP sign-ins read the cheaper way (collectors.tap_plan); each finished part is stored with the
    holders' usual countries and its unusable items, then checkpointed. Returns what was read, or the
    problem that kept the window from being read to its end (the time budget: the next pass goes on
    from the checkpoint)."""
    knowledge = TapKnowledge.from_inventory(
        {k: v.state for k, v in store.inventory(tenant_id, USUAL_COUNTRIES_KIND).items() if v.present}
    )
    unusable: list[UnusableItem] = []

    def keep(found: list[TapSignIn], until: datetime, skipped: list[UnusableItem]) -> None:
        store.save_tap_signins(tenant_id, found)
        store.save_unusable(tenant_id, skipped)
        unusable.extend(skipped)
        store.save_inventory(tenant_id, USUAL_COUNTRIES_KIND, knowledge.to_inventory(), until)
        store.save_checkpoint(tenant_id, TAP_SIGNIN_STREAM, until)

    try:
        read = await read_tap_signins_planned(
            graph,
            known,
            start,
            end,
            knowledge,
            history_days=settings.tap_history_days,
            fallback_lifetime=longest,
            keep=keep,
        )
    except GraphReadError as exc:
        log.warning("tap sign-ins not read: %s", exc.reason)
        return exc.problem()
    log.info(
        "tap sign-ins: strategy=%s estimated per-user=%d scan=%d received=%d",
        read.plan.strategy,
        read.plan.per_user_requests,
        read.plan.scan_requests,
        read.received,
    )
    if read.problem is not None:
        covered = read.covered_until
        done = f"read up to {covered.isoformat()}" if covered else "nothing finished"
        total = (end - read.plan.scan_start).total_seconds()
        share = (covered - read.plan.scan_start).total_seconds() / total if covered and total else 0.0
        reason = (
            f"TAP sign-ins of {start.isoformat()} to {end.isoformat()} not yet fully read ({done}, "
            f"{share:.0%} of the {read.plan.strategy}); the next pass goes on. {read.problem.reason}"
        )
        log.warning("tap sign-ins partly read: %s", reason)
        return DataProblem("skipped", reason, read.problem.source)
    how = {"mode": "targeted", "strategy": read.plan.strategy, "usersRead": read.users}
    unique = len({i.item_id for i in unusable})
    return StreamRead(TAP_SIGNIN_STREAM, start, end, read.received, read.found, unique, how)


@dataclass
class MethodsReadout:
    changes: Readout[tuple[MethodChange, ...]]
    user_methods: Readout[Mapping[str, tuple[UserMethod, ...]]]
    read_at: Mapping[str, datetime] = field(default_factory=dict)  # when each user's methods were read


async def poll_methods(
    graph: GraphSession, store: StateStore, tenant_id: str, now: datetime, tap: TapReadout
) -> MethodsReadout:
    """The method registrations and removals of the lookback (read with the TAP issuances), then the
    current methods of the users who registered one after signing in with a pass: read again only for
    users with an audit the kept answer does not reflect (collectors.auth_audits)."""
    changes = tap.changes
    if changes.value is None:
        assert changes.problem is not None
        return MethodsReadout(changes, Readout.missing(changes.problem))
    if tap.issuances.value is None or tap.signins.value is None:
        problem = tap.signins.problem or tap.issuances.problem or _unread("tap sign-ins")
        return MethodsReadout(changes, Readout.missing(problem))
    chains = recovery_chains(tap.issuances.value, tap.signins.value, changes.value)
    with telemetry.tracer.start_as_current_span("collect.user-methods") as span:
        users = users_to_check(chains)
        kept = stored_user_methods(store, tenant_id)
        basis = audit_ids_by_user(tap.issuances.value, changes.value)
        stale = users_to_read(users, kept, basis, now)
        span.set_attribute("users", len(users))
        span.set_attribute("users.read", len(stale))
        try:
            methods = await read_user_methods(graph, stale)
        except GraphReadError as exc:
            log.warning("users' methods not read: %s", exc.reason)
            return MethodsReadout(changes, Readout.missing(exc.problem()))
    answers = {u: kept[u] for u in users if u not in stale}
    answers |= {u: KeptMethods(m, now, frozenset(basis.get(u, set()))) for u, m in methods.items()}
    keep_user_methods(store, tenant_id, answers, now)
    return MethodsReadout(
        changes,
        Readout.of({u: a.methods for u, a in answers.items()}),
        {u: a.read_at for u, a in answers.items()},
    )


def pass_recoveries(
    facts: TenantFacts, methods_read_at: Mapping[str, datetime] | None = None
) -> tuple[RecoveryChain, ...]:
    """The recovery chains of what this pass read; none when the passes or their sign-ins were not read.
    `methods_read_at`: when each user's current methods were read (a kept answer is of an earlier pass)."""
    if facts.tap_issuances.value is None or facts.tap_signins.value is None:
        return ()
    changes = facts.method_changes.value if facts.method_changes.available else ()
    methods = facts.user_methods.value if facts.user_methods.available else None
    return recovery_chains(
        facts.tap_issuances.value, facts.tap_signins.value, changes or (), methods, methods_read_at
    )


def _unread(what: str) -> DataProblem:
    return DataProblem("error", f"{what} were not read in this pass", what)


REPORTS = "POST /api/device-reports"


def read_device_reports(reports: IngestStore, tenant_id: str) -> Readout[tuple[DeviceReport, ...]]:
    """The latest report each device posted (POST /api/device-reports), from the ingest store."""
    with telemetry.tracer.start_as_current_span("store.device-reports"):
        try:
            return Readout.of(tuple(reports.latest_device_reports(tenant_id)))
        except StoreError as exc:  # one line naming the table and what failed, never a secret
            log.warning("device reports not read: %s", exc)
            return Readout.missing(DataProblem("error", f"device reports could not be read: {exc}", REPORTS))


async def collect(
    graph: GraphSession,
    store: StateStore,
    settings: Settings,
    now: datetime,
    tenant: Tenant,
    reports: IngestStore | None = None,
) -> Collected:
    with telemetry.tracer.start_as_current_span("collect.domains"):
        domains = await readout(lambda: read_domains(graph))
    with telemetry.tracer.start_as_current_span("collect.consent"):
        consent = await readout(lambda: read_consent(graph))
    if consent.available:
        store.save_consent(tenant.id, consent.get(), now)
    hours, signin_read = await poll_pin_reset_signins(graph, store, tenant.id, now, settings)
    with telemetry.tracer.start_as_current_span("collect.devices"):
        devices = await readout(lambda: read_windows_devices(graph))
    with telemetry.tracer.start_as_current_span("collect.device-policies"):
        policies = await readout(lambda: read_device_policies(graph))
    with telemetry.tracer.start_as_current_span("collect.tap-policy"):
        tap_policy = await readout(lambda: read_tap_policy(graph))
    with telemetry.tracer.start_as_current_span("collect.roles"):
        roles = await readout(lambda: read_privileged_users(graph))
    privileged = Readout(roles.value.holders if roles.value else None, roles.problem)
    tap = await poll_tap(graph, store, tenant.id, now, settings, tap_policy)
    methods = await poll_methods(graph, store, tenant.id, now, tap)
    # Without a report store no device has posted a report to this pass: an empty one says so.
    device_reports = read_device_reports(reports or MemoryIngestStore(), tenant.id)
    facts = TenantFacts(
        tenant=tenant,
        now=now,
        domains=domains,
        consent=consent,
        pin_reset_hours=hours,
        windows_devices=devices,
        device_policies=policies,
        tap_policy=tap_policy,
        tap_issuances=tap.issuances,
        privileged_users=privileged,
        privileged_users_unread=roles.value.unread if roles.value else (),
        tap_signins=tap.signins,
        method_changes=methods.changes,
        user_methods=methods.user_methods,
        device_reports=device_reports,
    )
    reads = ((signin_read,) if signin_read else ()) + tuple(tap.reads)
    extra = tuple(tap.problems) + tuple(roles.value.unread if roles.value else ())
    return Collected(facts, reads, record_inventory(store, facts), extra, methods.read_at)


def record_inventory(store: StateStore, facts: TenantFacts) -> dict[str, InventoryChanges]:
    """Keep what the pass read of the tenant's configuration, and what changed since the last."""
    kinds: list[tuple[str, Readout[Any], Callable[[Any], dict[str, inventory.State]]]] = [
        ("domain", facts.domains, inventory.domains),
        ("device", facts.windows_devices, inventory.devices),
        ("policy", facts.device_policies, inventory.policies),
        ("tap-policy", facts.tap_policy, inventory.tap_policy),
    ]
    changes: dict[str, InventoryChanges] = {}
    with telemetry.tracer.start_as_current_span("store.inventory"):
        for kind, read, states in kinds:
            if read.value is None:
                continue  # not read: what is stored stays as it was
            changes[kind] = store.save_inventory(facts.tenant.id, kind, states(read.value), facts.now)
    return changes


def _statuses(results: tuple[RuleResult, ...]) -> dict[str, int]:
    return {
        status: sum(1 for r in results if r.status == status)
        for status in ("pass", "fail", "skipped", "error")
    }


def _problems_json(problems: tuple[DataProblem, ...]) -> list[dict[str, str]]:
    return [{"kind": p.kind, "source": p.source, "reason": p.reason} for p in problems]


async def _take_lease(
    store: StateStore, tenant_id: str, run_id: str, settings: Settings
) -> tuple[Lease | None, str]:
    """(the lease, "") once this pass holds the tenant; (None, why) if another pass kept it."""
    deadline = utcnow() + timedelta(seconds=settings.pass_wait_seconds)
    while True:
        started = utcnow()
        lease = store.acquire_lease(
            tenant_id, run_id, started + timedelta(minutes=settings.pass_lease_minutes), started
        )
        if lease.holder == run_id:
            return lease, ""
        if utcnow() >= deadline:
            return None, f"another pass (run {lease.holder}) holds the tenant until {iso(lease.until)}"
        await asyncio.sleep(min(2.0, settings.pass_wait_seconds))


def _unfinished_runs(store: StateStore, tenant_id: str, run_id: str) -> list[RunRecord]:
    """Runs other than this one still `running`, back to the newest run that ended. Skipped passes
    record runs of their own, any number of them, so the search reads further back until it reaches a
    run that ended (every run before that one was closed by the pass that ran it or by a later one)."""
    limit = 8
    while True:
        runs = store.runs(tenant_id, limit)
        ended = next(
            (i for i, r in enumerate(runs) if r.outcome not in ("running", "skipped") and r.run_id != run_id),
            None,
        )
        if ended is not None or len(runs) < limit:
            break
        limit *= 4
    return [r for r in runs[:ended] if r.outcome == "running" and r.run_id != run_id]


def _close_abandoned(store: StateStore, tenant_id: str, run_id: str) -> None:
    """Runs still `running` while this pass holds the lease were left by a process that died: mark them
    failed, with the findings they opened (each finding names the run that opened it)."""
    abandoned = _unfinished_runs(store, tenant_id, run_id)
    if not abandoned:
        return
    ledger = store.findings(tenant_id)
    for run in abandoned:
        opened = [list(f.key) for f in ledger if f.opened_by_run == run.run_id]
        resolved = [list(f.key) for f in ledger if f.resolved_by_run == run.run_id]
        summary = dict(run.summary) | {
            "error": "the process ended before the pass finished",
            "opened": opened,
            "resolved": resolved,
        }
        store.save_run(replace(run, outcome="failed", summary=summary))
        log.warning("run %s of tenant %s was left unfinished; marked failed", run.run_id, tenant_id)


async def run_pass(
    graph: GraphSession,
    store: StateStore,
    settings: Settings,
    now: datetime,
    reports: IngestStore | None = None,
) -> PassResult:
    """Run one pass. Raises TenantUnreadable if the tenant itself cannot be read, StoreError if the store
    fails; anything narrower is recorded as a problem and the pass goes on. A pass that raises after it
    took the tenant records itself `failed` with the error (when the store still answers). `reports`
    holds what devices posted of themselves (monitor.ingest)."""
    started = utcnow()
    run_id = new_run_id(started)
    with telemetry.tracer.start_as_current_span("monitor.pass") as span:
        with telemetry.tracer.start_as_current_span("collect.tenant"):
            tenant = await read_tenant(graph)
        span.set_attribute("tenant.id", tenant.id)
        span.set_attribute("monitor.run_id", run_id)

        def record(outcome: RunOutcome, summary: Mapping[str, Any]) -> RunRecord:
            run = RunRecord(tenant.id, run_id, started, utcnow(), now, outcome, summary)
            store.save_run(run)
            return run

        lease, why = await _take_lease(store, tenant.id, run_id, settings)
        if lease is None:
            log.warning("pass skipped: tenant=%s %s", tenant.id, why)
            record("skipped", {"reason": why})
            stats = {"graph_requests": graph.stats.requests}
            return PassResult(tenant, now, (), (), stats, run_id=run_id, outcome="skipped")
        try:
            record("running", {})
            _close_abandoned(store, tenant.id, run_id)
            collected = await collect(graph, store, settings, now, tenant, reports)
            with telemetry.tracer.start_as_current_span("evaluate") as evaluate_span:
                results = evaluate_all(collected.facts, settings.thresholds)
                evaluate_span.set_attribute("rules", len(results))
            findings = sum(len(r.findings) for r in results)
            telemetry.count_findings(f for r in results for f in r.findings)
            problems = collected.problems
            stats = {
                "graph_requests": graph.stats.requests,
                "report_requests": graph.stats.report_requests,
                "signins_read": sum(r.received for r in collected.reads if r.stream != TAP_AUDIT_STREAM),
                "graph_throttled": graph.stats.throttled,
                "records_skipped": sum(r.unusable for r in collected.reads),
            }
            with telemetry.tracer.start_as_current_span("store.findings"):
                changes = store.save_findings(tenant.id, results, now, run_id)
                outcome: RunOutcome = "partial" if problems else "ok"
                record(
                    outcome,
                    {
                        "tenantName": tenant.display_name,
                        "rules": _statuses(results),
                        "findings": findings,
                        "opened": [list(f.key) for f in changes.opened],
                        "resolved": [list(f.key) for f in changes.resolved],
                        "problems": _problems_json(problems),
                        "stats": stats,
                        "reads": [r.to_json() for r in collected.reads],
                        "inventoryChanges": {
                            kind: {
                                "added": len(c.added),
                                "changed": len(c.changed),
                                "removed": len(c.removed),
                            }
                            for kind, c in collected.inventory_changes.items()
                        },
                    },
                )
            span.set_attribute("findings", findings)
        except Exception as exc:
            _record_failure(record, exc)
            raise
        finally:
            _release(store, lease)
    log.info(
        "pass done: tenant=%s run=%s findings=%d opened=%d resolved=%d problems=%d graph_requests=%d",
        tenant.id,
        run_id,
        findings,
        len(changes.opened),
        len(changes.resolved),
        len(problems),
        graph.stats.requests,
    )
    signins = collected.facts.tap_signins.value if collected.facts.tap_signins.available else None
    return PassResult(
        tenant,
        now,
        results,
        problems,
        stats,
        changes,
        signins or (),
        run_id,
        outcome,
        collected.reads,
        pass_recoveries(collected.facts, collected.methods_read_at),
    )


def _record_failure(record: Callable[[RunOutcome, Mapping[str, Any]], RunRecord], exc: Exception) -> None:
    """Best effort: the store may be what failed."""
    try:
        record("failed", {"error": f"{type(exc).__name__}: {exc}"})
    except StoreError as store_exc:
        log.warning("the failed pass could not be recorded either: %s", store_exc)


def _release(store: StateStore, lease: Lease) -> None:
    try:
        store.release_lease(lease)
    except StoreError as exc:
        log.warning("the tenant's lease was not released (it expires by itself): %s", exc)
