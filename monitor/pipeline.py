"""One monitoring pass: collect from Graph, evaluate the rules, record the outcome.

The timer trigger, `python -m monitor run` and `python -m monitor scan` all call `run_pass`; they differ
only in the Graph endpoint and store they hand it.
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from monitor import telemetry
from monitor.collectors.directory import read_consent, read_domains, read_tenant, readout
from monitor.collectors.signins import (
    HourlyTally,
    SignInRead,
    floor_hour,
    polling_window,
    read_pin_reset_signins,
)
from monitor.graph.errors import GraphReadError
from monitor.graph.session import GraphSession
from monitor.records import DataProblem, PinResetSignIn, Readout, SignInHour, Tenant, TenantFacts
from monitor.rules import evaluate_all
from monitor.rules.base import SEVERITIES, Finding, RuleResult
from monitor.settings import Settings
from monitor.store.base import FindingChanges, RunRecord, StateStore

log = logging.getLogger(__name__)

SIGNIN_STREAM = "signins.pin-reset"


@dataclass(frozen=True)
class PassResult:
    tenant: Tenant
    now: datetime
    results: tuple[RuleResult, ...]
    # What could not be read, and why: the record of what this pass skipped.
    problems: tuple[DataProblem, ...]
    stats: dict[str, int]
    changes: FindingChanges = field(default_factory=FindingChanges)

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
    if checkpoint is not None and checkpoint > now:
        checkpoint = now  # a replay with an earlier --now: read the overlap before it
    start, end = polling_window(checkpoint, now, timedelta(minutes=settings.signin_overlap_minutes), lookback)
    tally = HourlyTally()

    def keep(signins: list[PinResetSignIn]) -> None:
        store.save_pin_reset_signins(tenant_id, signins)
        for signin in signins:
            tally.add(signin)

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
    store.replace_signin_hours(tenant_id, start, floor_hour(end) + timedelta(hours=1), tally.hours())
    store.save_checkpoint(tenant_id, SIGNIN_STREAM, end)
    history = store.signin_hours(tenant_id, floor_hour(now - lookback), floor_hour(now) + timedelta(hours=1))
    return Readout.of(history), read


async def collect(
    graph: GraphSession, store: StateStore, settings: Settings, now: datetime
) -> tuple[TenantFacts, dict[str, Any]]:
    with telemetry.tracer.start_as_current_span("collect.tenant"):
        tenant = await read_tenant(graph)
    with telemetry.tracer.start_as_current_span("collect.domains"):
        domains = await readout(lambda: read_domains(graph))
    with telemetry.tracer.start_as_current_span("collect.consent"):
        consent = await readout(lambda: read_consent(graph))
    if consent.available:
        store.save_consent(tenant.id, consent.get(), now)
    hours, read = await poll_pin_reset_signins(graph, store, tenant.id, now, settings)
    facts = TenantFacts(tenant=tenant, now=now, domains=domains, consent=consent, pin_reset_hours=hours)
    notes: dict[str, Any] = {}
    if read is not None:
        notes = {
            "signinWindow": {"start": read.start.isoformat(), "end": read.end.isoformat()},
            "signinsReceived": read.received,
            "signinsKept": read.kept,
            "signinsSkipped": read.skipped,
            "skippedSignInIds": read.skipped_ids,
        }
    return facts, notes


def _problems(facts: TenantFacts, notes: dict[str, Any]) -> list[DataProblem]:
    problems = [
        r.problem for r in (facts.domains, facts.consent, facts.pin_reset_hours) if r.problem is not None
    ]
    if notes.get("signinsSkipped"):
        problems.append(
            DataProblem(
                "error",
                f"{notes['signinsSkipped']} sign-in item(s) lacked an id, time or result and were skipped "
                f"(first ids: {', '.join(notes['skippedSignInIds'])})",
                "beta/auditLogs/signIns",
            )
        )
    return problems


async def run_pass(graph: GraphSession, store: StateStore, settings: Settings, now: datetime) -> PassResult:
    """Run one pass. Raises TenantUnreadable if the tenant itself cannot be read, StoreError if the
    store refuses a write; anything narrower is recorded as a problem and the pass goes on."""
    started = utcnow()
    clock = time.monotonic()
    with telemetry.tracer.start_as_current_span("monitor.pass") as span:
        facts, notes = await collect(graph, store, settings, now)
        span.set_attribute("tenant.id", facts.tenant.id)
        with telemetry.tracer.start_as_current_span("evaluate") as evaluate_span:
            results = evaluate_all(facts, settings.thresholds)
            evaluate_span.set_attribute("rules", len(results))
        findings = sum(len(r.findings) for r in results)
        telemetry.FINDINGS.add(findings)
        problems = _problems(facts, notes)
        stats = {
            "graph_requests": graph.stats.requests,
            "signins_read": int(notes.get("signinsReceived", 0)),
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
    return PassResult(facts.tenant, now, results, tuple(problems), stats, changes)
