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
from monitor.collectors.directory import read_consent, read_domains, read_tenant, readout
from monitor.collectors.intune import read_device_policies, read_windows_devices
from monitor.collectors.tap import (
    read_privileged_users,
    read_tap_policy,
)
from monitor.graph.session import GraphSession
from monitor.polling import (
    TAP_AUDIT_STREAM,
    StreamRead,
    pass_recoveries,
    poll_methods,
    poll_pin_reset_signins,
    poll_tap,
)
from monitor.records import (
    DataProblem,
    DeviceReport,
    Readout,
    TapSignIn,
    Tenant,
    TenantFacts,
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
from monitor.views.recovery import RecoveryChain

log = logging.getLogger(__name__)


def new_run_id(started: datetime) -> str:
    """Unique per pass, sortable by start: two passes started in the same second stay apart."""
    return f"{started:%Y%m%dT%H%M%S}-{uuid.uuid4().hex[:8]}"


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
