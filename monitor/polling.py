"""The readers of a pass that read from checkpoints: PIN reset sign-ins, the TAP streams (audits, the
passes' sign-ins) and users' authentication methods. Each stores what it read page by page and moves its
checkpoint only once that is stored, so a pass that dies resumes where the last stored page ended; each
turns what it could not read into the fact's problem (monitor.pipeline collects them).
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from typing import Any

from monitor import telemetry
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
    with_current_passes,
)
from monitor.collectors.tap_plan import USUAL_COUNTRIES_KIND, TapKnowledge, read_tap_signins_planned
from monitor.entra import LONGEST_TAP_MINUTES
from monitor.graph.errors import GraphReadError
from monitor.graph.session import GraphSession
from monitor.ingest.stream import recount_signin_hours
from monitor.records import (
    DataProblem,
    MethodChange,
    PinResetSignIn,
    Readout,
    SignInHour,
    TapIssuance,
    TapPolicy,
    TapSignIn,
    TenantFacts,
    UnusableItem,
    UnusableItems,
    UserMethod,
    iso,
)
from monitor.settings import Settings
from monitor.store.base import (
    StateStore,
)
from monitor.views.recovery import RecoveryChain, recovery_chains, users_to_check

log = logging.getLogger(__name__)

SIGNIN_STREAM = PIN_RESET_STREAM
TAP_AUDIT_STREAM = "audits.tap"
TAP_SIGNIN_STREAM = TAP_STREAM
SIGNIN_SOURCE = "beta/auditLogs/signIns"


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
