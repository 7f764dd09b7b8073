"""Storing what the Entra log stream delivered, and judging it at once from stored state.

Sign-ins and audits from the stream are stored through the same store methods the poll uses, keyed
by the same IDs, so whichever path sees a sign-in first, it is stored once. Hourly counts are
recounted from the stored sign-ins of each hour a batch touched (the poll recounts its window the
same way), so a sign-in counts once whichever path brought it. Then the rules run over the tenant's
stored state, with no Graph call: a consent failure or a TAP sign-in raises its finding in the
invocation that delivered it. Rules that read data the store does not hold (devices, policies, roles)
do not run here and leave their findings as they are.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from datetime import datetime, timedelta

from monitor.collectors.signins import HourlyTally, floor_hour
from monitor.collectors.tap import belonging_issuance
from monitor.entra import LONGEST_TAP_MINUTES, PIN_RESET_APPS
from monitor.ingest.resource_logs import LogBatch, TenantRecords
from monitor.records import (
    ConsentState,
    Readout,
    ServicePrincipal,
    TapIssuance,
    TapSignIn,
    Tenant,
    TenantFacts,
)
from monitor.rules import load_catalog, run_rule
from monitor.rules.base import RuleResult
from monitor.settings import Settings
from monitor.store.base import FindingChanges, StateStore

_HOUR = timedelta(hours=1)
_INSTANT = timedelta(microseconds=1)


@dataclass(frozen=True)
class TenantIngest:
    """What one batch changed for one tenant."""

    tenant_id: str
    pin_reset_signins: int
    tap_signins: int
    tap_issuances: int
    results: tuple[RuleResult, ...]
    changes: FindingChanges


def recount_signin_hours(store: StateStore, tenant_id: str, start: datetime, end: datetime) -> None:
    """Make the stored hourly counts of [start, end) (hour boundaries) match the stored sign-ins."""
    tally = HourlyTally()
    for signin in store.pin_reset_signins(tenant_id, start, end - _INSTANT):
        tally.add(signin)
    store.replace_signin_hours(tenant_id, start, end, tally.hours())


def _hour_spans(moments: Iterable[datetime]) -> list[tuple[datetime, datetime]]:
    """Runs of consecutive hours covering `moments`, as [start, end) pairs."""
    hours = sorted({floor_hour(m) for m in moments})
    spans: list[tuple[datetime, datetime]] = []
    for hour in hours:
        if spans and spans[-1][1] == hour:
            spans[-1] = (spans[-1][0], hour + _HOUR)
        else:
            spans.append((hour, hour + _HOUR))
    return spans


def _new_issuances(store: StateStore, tenant_id: str, found: Sequence[TapIssuance]) -> list[TapIssuance]:
    """The issuances the store does not hold yet: a stored one may already carry what the poll read
    of the pass itself (lifetime, usability), which the audit alone would overwrite."""
    if not found:
        return []
    known = {i.audit_id for i in store.tap_issuances(tenant_id, min(i.issued_at for i in found))}
    return [i for i in found if i.audit_id not in known]


def _merged_tap_signins(
    store: StateStore, tenant_id: str, found: Sequence[TapSignIn], lookback: timedelta
) -> list[TapSignIn]:
    """Stream TAP sign-ins with what the store knows: the user's usual countries if the poll read them,
    and the pass each was made with."""
    if not found:
        return []
    start = min(s.created for s in found)
    stored = {s.id: s for s in store.tap_signins(tenant_id, start, max(s.created for s in found))}
    issuances = store.tap_issuances(tenant_id, start - lookback)
    merged = []
    for signin in found:
        before = stored.get(signin.id)
        prior = signin.prior_countries if before is None else before.prior_countries
        issuance = belonging_issuance(signin, issuances, LONGEST_TAP_MINUTES)
        if issuance is None and before is not None:
            issuance = before.issuance
        merged.append(replace(signin, prior_countries=prior, issuance=issuance))
    return merged


def stored_facts(store: StateStore, tenant_id: str, now: datetime, settings: Settings) -> TenantFacts:
    """The tenant as its store knows it: consent as last polled, sign-in hours, TAP issuances and
    TAP sign-ins of the lookback. Everything else is "not read"."""
    lookback = timedelta(days=settings.signin_lookback_days)
    consent = store.consent(tenant_id)
    issuances = store.tap_issuances(tenant_id, now - lookback)
    current = {i.audit_id: i for i in issuances}
    signins = tuple(
        replace(s, issuance=current.get(s.issuance.audit_id, s.issuance) if s.issuance else None)
        for s in store.tap_signins(tenant_id, now - lookback, now)
    )
    facts = TenantFacts(
        tenant=Tenant(tenant_id, ""),
        now=now,
        pin_reset_hours=Readout.of(
            store.signin_hours(tenant_id, floor_hour(now - lookback), floor_hour(now) + _HOUR)
        ),
        tap_issuances=Readout.of(tuple(issuances)),
        tap_signins=Readout.of(signins),
    )
    if consent:
        states = {
            app_id: ConsentState(
                app_id,
                ServicePrincipal(c.object_id, app_id, PIN_RESET_APPS.get(app_id, app_id), c.enabled)
                if c.consented
                else None,
            )
            for app_id, c in consent.items()
        }
        facts = replace(facts, consent=Readout.of(states))
    return facts


def store_tenant_records(
    store: StateStore, tenant_id: str, found: TenantRecords, now: datetime, settings: Settings
) -> TenantIngest:
    lookback = timedelta(days=settings.signin_lookback_days)
    store.save_pin_reset_signins(tenant_id, found.pin_reset_signins)
    for start, end in _hour_spans(s.created for s in found.pin_reset_signins):
        recount_signin_hours(store, tenant_id, start, end)
    issuances = _new_issuances(store, tenant_id, found.tap_issuances)
    store.save_tap_issuances(tenant_id, issuances)
    signins = _merged_tap_signins(store, tenant_id, found.tap_signins, lookback)
    store.save_tap_signins(tenant_id, signins)
    facts = stored_facts(store, tenant_id, now, settings)
    # Only rules whose every fact the store holds: the others keep their findings until the next pass.
    results = tuple(
        run_rule(entry, facts, settings.thresholds)
        for entry in load_catalog()
        if all(getattr(facts, name).available for name in entry.rule.reads)
    )
    changes = store.save_findings(tenant_id, results, now)
    return TenantIngest(
        tenant_id, len(found.pin_reset_signins), len(signins), len(issuances), results, changes
    )


def store_batch(store: StateStore, batch: LogBatch, now: datetime, settings: Settings) -> list[TenantIngest]:
    return [
        store_tenant_records(store, tenant_id, found, now, settings)
        for tenant_id, found in sorted(batch.tenants.items())
    ]
