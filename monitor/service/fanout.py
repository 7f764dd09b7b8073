"""Many tenants from one deployment (docs/msp.md): the poll timer puts one message per due tenant on the
tenant-pass queue; the queue trigger runs each tenant's pass in that tenant's own Runtime (its credential,
thresholds and alert routing), and Flex Consumption scales the queue's instances out. One tenant's
failure is that message's alone: it never delays another tenant's pass.

Fair within the report budget: each timer tick sends the tenants whose last pass is oldest first, as many
as one app registration's report budget serves in a poll interval; the others wait for the next tick, so
when demand exceeds the budget every tenant's interval stretches evenly (and health says so).

A tenant whose token is refused (consent revoked, app disabled, never consented) is quarantined: no pass,
one token request per probe, on a backoff from an hour to a day, an alert to the provider, and its state
in `tenants status` and health. Never skipped silently.
"""

from __future__ import annotations

import logging
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any, Literal

import orjson

from monitor.errors import BadRequest
from monitor.records import iso, utcnow
from monitor.tenants.routing import QUARANTINE_RULE

if TYPE_CHECKING:
    from azure.core.credentials_async import AsyncTokenCredential

    from monitor.service.runtime import Runtime
    from monitor.store.base import StoredFinding
    from monitor.store.tenants import TenantRecord

log = logging.getLogger(__name__)

TENANT_QUEUE = "pinmon-tenant-passes"

# Of one app registration's report budget (monitor.graph.budget: REPORT_LIMIT requests per
# REPORT_WINDOW_SECONDS across all tenants), the share the fan-out plans to use: the shared budget grants
# 118 of the 122, and what is left absorbs retries and a person's `tenants check`.
PLANNED_SHARE = 0.92
# Report requests a tenant's pass is planned at until its passes have said (a steady pass sends fewer).
DEFAULT_PASS_COST = 5
DEFAULT_INTERVAL = timedelta(minutes=15)
TenantOutcome = Literal["ran", "skipped", "quarantined", "restored", "not-due", "removed", "rejected"]


@dataclass(frozen=True)
class TenantPassRequest:
    """One tenant's pass on the queue: which tenant, and the tick that sent it."""

    tenant_id: str
    sent: datetime

    def to_json(self) -> dict[str, Any]:
        return {"tenantId": self.tenant_id, "sentDateTime": self.sent.isoformat()}

    @classmethod
    def from_json(cls, body: bytes | str) -> TenantPassRequest:
        from monitor.collectors.fields import parse_time
        from monitor.tenants.settings import guid

        try:
            document = orjson.loads(body)
        except orjson.JSONDecodeError as exc:
            raise BadRequest(f"tenant pass message is not JSON: {exc}") from None
        if type(document) is not dict:
            raise BadRequest("tenant pass message is not a JSON object")
        tenant = guid(str(document.get("tenantId", "")))
        try:
            sent = parse_time(document.get("sentDateTime"))
        except OverflowError:
            sent = None
        if tenant is None or sent is None:
            raise BadRequest("tenant pass message lacks a tenantId (GUID) or sentDateTime")
        return cls(tenant, sent)


@dataclass(frozen=True)
class FanOut:
    """What one timer tick did."""

    at: datetime
    tenants: int
    sent: tuple[str, ...]
    probes: tuple[str, ...]
    waiting: int  # due, but past this tick's share of the budget: first in line next tick
    capacity: int  # passes the budget serves per interval
    pass_cost: float  # report requests a pass is planned at

    def to_json(self) -> dict[str, Any]:
        return {
            "at": iso(self.at),
            "tenants": self.tenants,
            "sent": len(self.sent),
            "probes": len(self.probes),
            "waiting": self.waiting,
            "capacity": self.capacity,
            "passCost": self.pass_cost,
        }


def poll_interval(runtime: Runtime, now: datetime) -> timedelta:
    from monitor.schedule import Schedule

    schedule = runtime.settings.poll_schedule
    gap = Schedule.parse(schedule).longest_gap(now) if schedule else None
    return gap or DEFAULT_INTERVAL


def pass_cost(runtime: Runtime, records: Sequence[TenantRecord]) -> float:
    """Report requests per pass, from the last passes that said (the mean), else DEFAULT_PASS_COST."""
    costs = []
    for run in runtime.state.latest_runs():
        stats = run.summary.get("stats") or {}
        if isinstance(stats, Mapping) and isinstance(stats.get("report_requests"), int):
            costs.append(stats["report_requests"])
    return max(1.0, sum(costs) / len(costs)) if costs else float(DEFAULT_PASS_COST)


def capacity(interval: timedelta, cost: float) -> int:
    """Tenant passes one app registration's report budget serves in `interval`."""
    from monitor.graph.budget import REPORT_LIMIT, REPORT_WINDOW_SECONDS

    budget = REPORT_LIMIT * PLANNED_SHARE * interval.total_seconds() / REPORT_WINDOW_SECONDS
    return max(1, math.floor(budget / cost))


def enqueue_due(runtime: Runtime, now: datetime | None = None) -> FanOut:
    """The poll timer of a many-tenant deployment: send each due tenant's pass to the queue, oldest
    first and within the budget, and each quarantined tenant's probe when it is due."""
    from monitor.store.tenants import TenantConflict, change_tenant

    moment = now or utcnow()
    records = runtime.tenants.tenants()
    interval = poll_interval(runtime, moment)
    lease = timedelta(minutes=runtime.settings.pass_lease_minutes)
    cost = pass_cost(runtime, records)
    room = capacity(interval, cost)

    def in_flight(r: TenantRecord) -> bool:  # sent, not yet run, and not lost
        return (
            r.queued is not None
            and (r.last_pass is None or r.queued > r.last_pass)
            and moment - r.queued < lease
        )

    probes = [
        r
        for r in records
        if r.state == "quarantined" and (r.next_probe is None or r.next_probe <= moment) and not in_flight(r)
    ]
    due = sorted(
        (r for r in records if r.state == "active" and not in_flight(r)),
        key=lambda r: (r.last_pass or datetime.min.replace(tzinfo=UTC), r.tenant_id),
    )
    chosen, waiting = due[:room], len(due) - min(len(due), room)
    queue = runtime.tenant_queue
    for record in [*probes, *chosen]:
        queue.send_json(TenantPassRequest(record.tenant_id, moment).to_json())
        try:  # the row as just listed (its ETag): no second read unless someone changed it meanwhile
            runtime.tenants.save(replace(record, queued=moment))
        except TenantConflict:
            change_tenant(runtime.tenants, record.tenant_id, lambda r: replace(r, queued=moment))
    done = FanOut(
        moment,
        len(records),
        tuple(r.tenant_id for r in chosen),
        tuple(r.tenant_id for r in probes),
        waiting,
        room,
        cost,
    )
    runtime.tenants.save_cycle(done.to_json())
    if waiting:
        log.warning(
            "fan-out: %d tenant(s) due but past this interval's report budget (%d passes at %.1f report "
            "requests): they go first next tick",
            waiting,
            room,
            cost,
        )
    log.info(
        "fan-out: tenants=%d sent=%d probes=%d waiting=%d", len(records), len(chosen), len(probes), waiting
    )
    return done


async def run_tenant_pass(
    runtime: Runtime, message: bytes | str, now: datetime | None = None
) -> TenantOutcome:
    """The tenant-pass queue trigger: one tenant's pass (or a quarantined tenant's probe).

    A refused token quarantines the tenant; a passing probe restores it. A transient failure raises, so
    the host retries the message and, after its last try, moves it to the poison queue
    (`record_poison`)."""
    from monitor.service.passes import run_configured_pass
    from monitor.store.tenants import change_tenant

    try:
        request = TenantPassRequest.from_json(message)
    except BadRequest as exc:
        log.warning("tenant pass message dropped: %s", exc)
        return "rejected"
    record = runtime.tenants.tenant(request.tenant_id)
    if record is None:
        log.info("tenant pass dropped: tenant %s was removed", request.tenant_id)
        return "removed"
    moment = now or utcnow()
    if record.state == "quarantined" and record.next_probe is not None and record.next_probe > moment:
        return "not-due"
    token = await _tenant_token(runtime, record)
    if isinstance(token, tuple):
        problem, detail = token
        await quarantine(runtime, record, problem, detail, moment)
        return "quarantined"
    restored = record.state == "quarantined"
    if restored:
        record = change_tenant(runtime.tenants, record.tenant_id, lambda r: r.restored(moment)) or record
    # The pass's Graph session takes the credential that just got a token (and closes it): one token
    # request a pass, not two.
    with runtime.for_tenant(record, credential=token) as tenant:
        result = await run_configured_pass(tenant, now)
    change_tenant(
        runtime.tenants,
        record.tenant_id,
        lambda r: replace(
            r,
            # A pass skipped (another held the tenant's lease) did not run: the tenant stays due.
            last_pass=r.last_pass if result.outcome == "skipped" else result.now,
            last_outcome=result.outcome,
            display_name=r.display_name or result.tenant.display_name,
        ),
    )
    if restored:
        log.warning("tenant restored from quarantine: tenant=%s", record.tenant_id)
        return "restored"
    return "skipped" if result.outcome == "skipped" else "ran"


async def _tenant_token(runtime: Runtime, record: TenantRecord) -> AsyncTokenCredential | tuple[str, str]:
    """The tenant's credential, holding a token, when the tenant issues one; (problem, Entra's reason)
    when it refuses. A transient failure raises (the host retries the message)."""
    from azure.core.exceptions import ClientAuthenticationError

    from monitor.graph.credentials import GRAPH_SCOPE
    from monitor.tenants.credential import tenant_credential
    from monitor.tenants.onboarding import classify_refusal, entra_reason

    credential = tenant_credential(runtime.settings, record.tenant_id)
    try:
        await credential.get_token(GRAPH_SCOPE)
    except ClientAuthenticationError as exc:
        await credential.close()
        problem = classify_refusal(str(exc), was_consented=record.last_pass is not None)
        if problem in ("transient", "provider_misconfigured"):
            # Not this tenant's doing: every tenant fails alike. Retried, then poison, and health says so.
            raise
        return problem, entra_reason(str(exc))
    except BaseException:
        await credential.close()
        raise
    return credential


async def quarantine(
    runtime: Runtime, record: TenantRecord, problem: str, detail: str, now: datetime
) -> None:
    from monitor.store.tenants import change_tenant

    changed = change_tenant(runtime.tenants, record.tenant_id, lambda r: r.quarantine(problem, detail, now))
    if changed is None:
        return
    log.warning(
        "tenant quarantined: tenant=%s problem=%s next probe %s",
        record.tenant_id,
        problem,
        iso(changed.next_probe) if changed.next_probe else "-",
    )
    with runtime.for_tenant(changed) as tenant:
        await _quarantine_alert(tenant, changed, now)


def quarantine_findings(record: TenantRecord, now: datetime, app_id: str = "") -> list[StoredFinding]:
    """The alert step's entry for a tenant's quarantine: open while quarantined, resolved once it ended
    (kept, so that the resolution settles as a rule's does); none for a tenant never quarantined."""
    if record.state == "quarantined":
        return [quarantine_finding(record, now, app_id)]
    if record.restored_at is not None and record.quarantined_since is not None:
        return [quarantine_finding(record, now, app_id, resolved=True)]
    return []


def quarantine_finding(
    record: TenantRecord, now: datetime, app_id: str = "", resolved: bool = False
) -> StoredFinding:
    """The findings-ledger entry of a quarantined tenant, alerted like a rule's finding."""
    from monitor.store.base import StoredFinding
    from monitor.tenants.onboarding import consent_url

    since = record.quarantined_since or now
    return StoredFinding(
        rule=QUARANTINE_RULE,
        subject=record.tenant_id,
        severity="high",
        title="The monitor cannot read this tenant",
        detail=(
            f"Entra refused the monitor's token for tenant {record.display_name or record.tenant_id} "
            f"({record.problem or 'refused'}): {record.detail or 'no reason given'}. Its PIN reset and TAP "
            "checks are not running. A Global Administrator or Privileged Role Administrator of the tenant "
            "grants admin consent again (the link in the evidence); the monitor probes on its own and "
            "resumes."
        ),
        evidence={
            "tenantId": record.tenant_id,
            "problem": record.problem,
            "entraSaid": record.detail,
            "quarantinedSince": iso(since),
            "nextProbe": iso(record.next_probe) if record.next_probe else None,
            "adminConsent": consent_url(app_id, record.tenant_id) if app_id else None,
        },
        status="resolved" if resolved else "open",
        first_seen=since,
        last_seen=record.restored_at or now if resolved else now,
        resolved_at=record.restored_at if resolved else None,
    )


async def _quarantine_alert(tenant: Runtime, record: TenantRecord, now: datetime) -> None:
    """The quarantine's alert beside the tenant's stored findings, so nothing else of the tenant's
    changes. Its resolution comes with the tenant's passes (monitor.service.passes.alert_step)."""
    from monitor.alerts.process import process_alerts
    from monitor.records import Tenant

    entries = quarantine_findings(record, now, tenant.settings.msp.app_id)
    findings = [*tenant.state.findings(record.tenant_id), *entries]
    who = Tenant(record.tenant_id, record.display_name)
    await process_alerts(tenant.alerts, findings, who, now, tenant.settings.alerts, None)


async def run_queued_tenant_passes(runtime: Runtime, now: datetime | None = None) -> list[dict[str, str]]:
    """`monitor tenants run-queued`: what the tenant-pass queue trigger does for every message waiting
    now (locally, where no Functions host reads the queue)."""
    if not runtime.settings.has_queue:
        from monitor.service.passes import NO_QUEUE
        from monitor.settings import SettingsError

        raise SettingsError([NO_QUEUE])
    done = []
    for message in runtime.tenant_queue.receive_all():
        outcome = await run_tenant_pass(runtime, message, now)
        tenant = str(orjson.loads(message).get("tenantId", "")) if outcome != "rejected" else ""
        done.append({"tenantId": tenant, "outcome": outcome})
    return done


def record_poison(
    runtime: Runtime, message: bytes | str, dequeue_count: int, now: datetime | None = None
) -> str:
    """The poison queue's trigger: a tenant's pass that failed every try is recorded on the tenant (its
    status and health show it) and logged; the tenant is sent again at the next tick."""
    from monitor.store.tenants import change_tenant

    try:
        request = TenantPassRequest.from_json(message)
    except BadRequest as exc:
        log.error("poison message that is not a tenant pass: %s", exc)
        return "rejected"
    moment = now or utcnow()
    outcome = f"failed {dequeue_count} time(s); moved to the poison queue at {iso(moment)}"
    changed = change_tenant(
        runtime.tenants, request.tenant_id, lambda r: replace(r, last_outcome=outcome, queued=None)
    )
    log.error("tenant pass poisoned: tenant=%s tries=%d", request.tenant_id, dequeue_count)
    return "recorded" if changed is not None else "removed"


def tenant_problems(runtime: Runtime, now: datetime) -> list[str]:
    """Health's lines for a many-tenant deployment: quarantined tenants, passes that failed every try,
    and a budget that no longer serves every tenant each interval."""
    problems = []
    records = runtime.tenants.tenants()
    for r in records:
        if r.state == "quarantined":
            problems.append(
                f"tenant {r.display_name or r.tenant_id} is quarantined since "
                f"{iso(r.quarantined_since) if r.quarantined_since else '?'} ({r.problem}): {r.detail}"
            )
        elif r.last_outcome.startswith("failed"):
            problems.append(f"tenant {r.display_name or r.tenant_id}: last pass {r.last_outcome}")
    cycle = runtime.tenants.last_cycle()
    if cycle and int(cycle.get("waiting", 0)):
        problems.append(
            f"{cycle['waiting']} tenant(s) wait past their poll interval: one app registration's report "
            f"budget serves {cycle['capacity']} passes per interval at {cycle['passCost']} report requests "
            "each, so every tenant's interval is stretched evenly (docs/msp.md: a second app registration)"
        )
    return problems
