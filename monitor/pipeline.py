"""One monitoring pass: collect from Graph, evaluate the rules, record the outcome.

The timer trigger, `python -m monitor run` and `python -m monitor scan` all call `run_pass`; they differ
only in the Graph endpoint and store they hand it.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta
from typing import Any

from azure.core.exceptions import AzureError

from monitor import inventory, telemetry
from monitor.collectors.directory import read_consent, read_domains, read_tenant, readout
from monitor.collectors.intune import read_device_policies, read_windows_devices
from monitor.collectors.signins import (
    SignInRead,
    floor_hour,
    polling_window,
    read_pin_reset_signins,
)
from monitor.collectors.tap import (
    full_scan_tap_signins,
    read_privileged_users,
    read_tap_issuances,
    read_tap_policy,
    targeted_tap_signins,
    with_current_passes,
)
from monitor.graph.errors import GraphReadError
from monitor.graph.session import GraphSession
from monitor.ingest.stream import recount_signin_hours
from monitor.records import (
    DataProblem,
    DeviceReport,
    PinResetSignIn,
    Readout,
    SignInHour,
    TapIssuance,
    TapPolicy,
    TapSignIn,
    Tenant,
    TenantFacts,
)
from monitor.rules import evaluate_all
from monitor.rules.base import SEVERITIES, Finding, RuleResult
from monitor.settings import Settings
from monitor.store.base import FindingChanges, RunRecord, StateStore
from monitor.store.ingest import IngestStore

log = logging.getLogger(__name__)

SIGNIN_STREAM = "signins.pin-reset"
TAP_AUDIT_STREAM = "audits.tap"
TAP_SIGNIN_STREAM = "signins.tap"
# Graph's longest TAP lifetime (30 days): a pass whose lifetime is unknown may have been valid this long.
LONGEST_TAP_MINUTES = 43_200


@dataclass(frozen=True)
class PassResult:
    tenant: Tenant
    now: datetime
    results: tuple[RuleResult, ...]
    # What could not be read, and why: the record of what this pass skipped.
    problems: tuple[DataProblem, ...]
    stats: dict[str, int]
    changes: FindingChanges = field(default_factory=FindingChanges)
    tap_signins: tuple[TapSignIn, ...] = ()

    @property
    def findings(self) -> tuple[Finding, ...]:
        found = [f for r in self.results for f in r.findings]
        return tuple(sorted(found, key=lambda f: (SEVERITIES.index(f.severity), f.rule, f.subject)))


def utcnow() -> datetime:
    return datetime.now(UTC).replace(microsecond=0)


async def poll_pin_reset_signins(
    graph: GraphSession, store: StateStore, tenant_id: str, now: datetime, settings: Settings
) -> tuple[Readout[tuple[SignInHour, ...]], SignInRead | None]:
    """Read new PIN reset sign-ins into the store; return the hourly history rules reason over.

    Sign-ins are stored page by page as they arrive; the hourly counts and the checkpoint are written
    only after every query of the window succeeded. A pass that dies halfway leaves the checkpoint
    where it was, so the next pass reads the same window again, and since every write is keyed by what
    it records, the store ends up as one clean pass would have left it.
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
    store.save_checkpoint(tenant_id, SIGNIN_STREAM, end)
    history = store.signin_hours(tenant_id, floor_hour(now - lookback), floor_hour(now) + timedelta(hours=1))
    return Readout.of(history), read


@dataclass
class TapReadout:
    issuances: Readout[tuple[TapIssuance, ...]]
    signins: Readout[tuple[TapSignIn, ...]]
    problems: list[DataProblem] = field(default_factory=list)
    notes: dict[str, Any] = field(default_factory=dict)


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
        start, end = polling_window(store.checkpoint(tenant_id, TAP_AUDIT_STREAM), now, overlap, lookback)
        try:
            issued = await read_tap_issuances(graph, start, end)
        except GraphReadError as exc:
            log.warning("tap issuances not read: %s", exc.reason)
            result.issuances = Readout.missing(exc.problem())
            result.signins = Readout.missing(exc.problem())
            return result
        store.save_tap_issuances(tenant_id, issued)
        store.save_checkpoint(tenant_id, TAP_AUDIT_STREAM, end)
        known = store.tap_issuances(tenant_id, now - lookback)
        try:
            known = await with_current_passes(graph, known)
            store.save_tap_issuances(tenant_id, known)
        except GraphReadError as exc:
            # Without the users' passes, lifetimes fall back to the policy's longest; still useful.
            log.warning("current passes not read: %s", exc.reason)
            result.problems.append(exc.problem())
        result.issuances = Readout.of(tuple(known))
        span.set_attribute("tap.issuances", len(known))

    with telemetry.tracer.start_as_current_span("collect.tap-signins") as span:
        start, end = polling_window(store.checkpoint(tenant_id, TAP_SIGNIN_STREAM), now, overlap, lookback)
        read_signins = (
            targeted_tap_signins if settings.tap_signin_mode == "targeted" else full_scan_tap_signins
        )
        span.set_attribute("tap.mode", settings.tap_signin_mode)
        try:
            found, read = await read_signins(
                graph, known, start, end, history_days=settings.tap_history_days, fallback_lifetime=longest
            )
        except GraphReadError as exc:
            log.warning("tap sign-ins not read: %s", exc.reason)
            result.signins = Readout.missing(exc.problem())
            return result
        store.save_tap_signins(tenant_id, found)
        store.save_checkpoint(tenant_id, TAP_SIGNIN_STREAM, end)
        span.set_attribute("signins.received", read.received)
        span.set_attribute("tap.signins", read.tap_signins)
        # Stored sign-ins carry the pass as it was when they were read; show it as it is now.
        current = {i.audit_id: i for i in known}
        signins = tuple(
            replace(s, issuance=current.get(s.issuance.audit_id, s.issuance) if s.issuance else None)
            for s in store.tap_signins(tenant_id, now - lookback, now)
        )
        result.signins = Readout.of(signins)
        result.notes = {
            "tapSigninMode": settings.tap_signin_mode,
            "tapUsersRead": read.users,
            "tapSigninsReceived": read.received,
        }
    return result


def _unread(what: str) -> DataProblem:
    return DataProblem("error", f"{what} were not read in this pass", what)


REPORTS = "POST /api/device-reports"


def read_device_reports(reports: IngestStore | None, tenant_id: str) -> Readout[tuple[DeviceReport, ...]]:
    """The latest report each device posted (POST /api/device-reports), from the ingest store."""
    if reports is None:
        return Readout.missing(
            DataProblem("error", "device reports were not read in this pass", "devicereports")
        )
    with telemetry.tracer.start_as_current_span("store.device-reports"):
        try:
            return Readout.of(tuple(reports.latest_device_reports(tenant_id)))
        except AzureError as exc:
            log.warning("device reports not read: %s", type(exc).__name__)
            return Readout.missing(
                DataProblem(
                    "error", f"device reports could not be read: {type(exc).__name__}", "devicereports"
                )
            )


async def collect(
    graph: GraphSession,
    store: StateStore,
    settings: Settings,
    now: datetime,
    reports: IngestStore | None = None,
) -> tuple[TenantFacts, list[DataProblem], dict[str, Any]]:
    with telemetry.tracer.start_as_current_span("collect.tenant"):
        tenant = await read_tenant(graph)
    with telemetry.tracer.start_as_current_span("collect.domains"):
        domains = await readout(lambda: read_domains(graph))
    with telemetry.tracer.start_as_current_span("collect.consent"):
        consent = await readout(lambda: read_consent(graph))
    if consent.available:
        store.save_consent(tenant.id, consent.get(), now)
    hours, read = await poll_pin_reset_signins(graph, store, tenant.id, now, settings)
    with telemetry.tracer.start_as_current_span("collect.devices"):
        devices = await readout(lambda: read_windows_devices(graph))
    with telemetry.tracer.start_as_current_span("collect.device-policies"):
        policies = await readout(lambda: read_device_policies(graph))
    with telemetry.tracer.start_as_current_span("collect.tap-policy"):
        tap_policy = await readout(lambda: read_tap_policy(graph))
    with telemetry.tracer.start_as_current_span("collect.roles"):
        privileged = await readout(lambda: read_privileged_users(graph))
    tap = await poll_tap(graph, store, tenant.id, now, settings, tap_policy)
    device_reports = read_device_reports(reports, tenant.id)
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
        tap_signins=tap.signins,
        device_reports=device_reports,
    )
    notes: dict[str, Any] = dict(tap.notes)
    problems = [
        r.problem
        for r in (
            domains,
            consent,
            hours,
            devices,
            policies,
            tap_policy,
            privileged,
            tap.issuances,
            tap.signins,
            # A caller without a report store chose not to read reports: nothing failed.
            *((device_reports,) if reports is not None else ()),
        )
        if r.problem is not None
    ]
    problems += tap.problems
    if read is not None:
        notes |= {
            "signinWindow": {"start": read.start.isoformat(), "end": read.end.isoformat()},
            "signinsReceived": read.received,
            "signinsKept": read.kept,
            "signinsSkipped": read.skipped,
        }
        if read.skipped:
            problems.append(
                DataProblem(
                    "error",
                    f"{read.skipped} sign-in item(s) lacked an id, time or result and were skipped "
                    f"(first ids: {', '.join(read.skipped_ids)})",
                    "beta/auditLogs/signIns",
                )
            )
    notes["inventoryChanges"] = record_inventory(store, facts)
    # One problem per source and reason: a failure that several readouts share is one thing to fix.
    unique = list({(p.kind, p.source, p.reason): p for p in problems}.values())
    return facts, unique, notes


def record_inventory(store: StateStore, facts: TenantFacts) -> dict[str, dict[str, int]]:
    """Keep what the pass read of the tenant's configuration, and count what changed since the last."""
    kinds: list[tuple[str, Readout[Any], Callable[[Any], dict[str, inventory.State]]]] = [
        ("domain", facts.domains, inventory.domains),
        ("device", facts.windows_devices, inventory.devices),
        ("policy", facts.device_policies, inventory.policies),
        ("tap-policy", facts.tap_policy, inventory.tap_policy),
    ]
    counts: dict[str, dict[str, int]] = {}
    with telemetry.tracer.start_as_current_span("store.inventory"):
        for kind, read, states in kinds:
            if read.value is None:
                continue  # not read: what is stored stays as it was
            changes = store.save_inventory(facts.tenant.id, kind, states(read.value), facts.now)
            counts[kind] = {
                "added": len(changes.added),
                "changed": len(changes.changed),
                "removed": len(changes.removed),
            }
    return counts


async def run_pass(
    graph: GraphSession,
    store: StateStore,
    settings: Settings,
    now: datetime,
    reports: IngestStore | None = None,
) -> PassResult:
    """Run one pass. Raises TenantUnreadable if the tenant itself cannot be read, StoreError if the
    store refuses a write; anything narrower is recorded as a problem and the pass goes on. `reports`
    holds the devices' own reports; without it the device-report rule says they were not read."""
    started = utcnow()
    clock = time.monotonic()
    with telemetry.tracer.start_as_current_span("monitor.pass") as span:
        facts, problems, notes = await collect(graph, store, settings, now, reports)
        span.set_attribute("tenant.id", facts.tenant.id)
        with telemetry.tracer.start_as_current_span("evaluate") as evaluate_span:
            results = evaluate_all(facts, settings.thresholds)
            evaluate_span.set_attribute("rules", len(results))
        findings = sum(len(r.findings) for r in results)
        telemetry.FINDINGS.add(findings)
        stats = {
            "graph_requests": graph.stats.requests,
            "signins_read": int(notes.get("signinsReceived", 0)) + int(notes.get("tapSigninsReceived", 0)),
            "graph_throttled": graph.stats.throttled,
            "records_skipped": int(notes.get("signinsSkipped", 0)),
        }
        with telemetry.tracer.start_as_current_span("store.findings"):
            changes = store.save_findings(facts.tenant.id, results, now)
            statuses = {
                status: sum(1 for r in results if r.status == status)
                for status in ("pass", "fail", "skipped", "error")
            }
            store.save_run(
                RunRecord(
                    tenant_id=facts.tenant.id,
                    run_id=f"{started:%Y%m%dT%H%M%S}-{int(clock * 1000) % 100000:05d}",
                    started=started,
                    finished=utcnow(),
                    now=now,
                    outcome="partial" if problems else "ok",
                    summary={
                        "rules": statuses,
                        "findings": findings,
                        "opened": [list(f.key) for f in changes.opened],
                        "resolved": [list(f.key) for f in changes.resolved],
                        "problems": [
                            {"kind": p.kind, "source": p.source, "reason": p.reason} for p in problems
                        ],
                        "stats": stats,
                        **notes,
                    },
                )
            )
        span.set_attribute("findings", findings)
    log.info(
        "pass done: tenant=%s findings=%d opened=%d resolved=%d problems=%d graph_requests=%d",
        facts.tenant.id,
        findings,
        len(changes.opened),
        len(changes.resolved),
        len(problems),
        graph.stats.requests,
    )
    tap_signins = facts.tap_signins.value if facts.tap_signins.available else None
    return PassResult(facts.tenant, now, results, tuple(problems), stats, changes, tap_signins or ())
