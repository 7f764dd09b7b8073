"""The weekly compliance snapshot: where the tenant stands, computed from what the passes stored.

Everything here is read from the stores (Table Storage in Azure), never from Graph: the snapshot shows
what the monitor saw during the week, and computing it costs no Graph request. `compute_snapshot` is
pure over what it is handed; `read_snapshot` fetches that from the stores.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from typing import TYPE_CHECKING, Any

from monitor.entra import LONGEST_TAP_MINUTES, PIN_RESET_APPS, ErrorClass
from monitor.records import SignInHour, TapIssuance, TapSignIn, Tenant
from monitor.rules.base import SEVERITIES
from monitor.rules.evidence import iso
from monitor.store.base import InventoryItem, RunRecord, StateStore, StoredConsent, StoredFinding
from monitor.weekly.alerts import AlertSource, OpenAlert, UndeliveredNotification

if TYPE_CHECKING:
    from monitor.store.reports import ReportStore

DAYS = 7
PIN_RECOVERY_RULE = "policy.pin-recovery.not-configured"
FAILURE_CLASSES = tuple(c.value for c in ErrorClass if c is not ErrorClass.SUCCESS)
RISK_LEVELS = ("none", "low", "medium", "high", "hidden")


@dataclass(frozen=True)
class DayActivity:
    """PIN reset sign-ins of one UTC day."""

    day: date
    attempts: int
    failures_by_class: Mapping[str, int]

    @property
    def failures(self) -> int:
        return sum(self.failures_by_class.values())

    @property
    def successes(self) -> int:
        return self.attempts - self.failures

    @property
    def failure_rate(self) -> float | None:
        return self.failures / self.attempts if self.attempts else None


@dataclass(frozen=True)
class ConsentRow:
    app_id: str
    app_name: str
    consented: bool | None  # None: never checked
    enabled: bool | None
    changed_at: datetime | None


@dataclass(frozen=True)
class PolicyRow:
    id: str
    name: str
    kind: str
    assigned: bool
    enables_pin_recovery: bool


@dataclass(frozen=True)
class DeviceRow:
    id: str
    name: str
    edition: str
    release: str
    os_version: str
    ready: bool | None  # can do a non-destructive reset; None: edition or build unknown


@dataclass(frozen=True)
class IssuerUse:
    """Temporary Access Passes one admin (or app) issued in the week, and what became of them."""

    issuer: str
    issued: int
    used: int
    unused: int  # not used yet, still valid
    expired: int  # never used, no longer valid


@dataclass(frozen=True)
class TapSignInDay:
    day: date
    succeeded: int
    failed: int


@dataclass(frozen=True)
class AlertRow:
    rule: str
    subject: str
    severity: str
    title: str
    opened: datetime
    age_hours: float


@dataclass(frozen=True)
class RunSummary:
    passes: int
    by_outcome: Mapping[str, int]
    last_finished: datetime | None


@dataclass(frozen=True)
class WeeklySnapshot:
    tenant: Tenant
    period_start: datetime
    period_end: datetime
    consent: tuple[ConsentRow, ...]
    pin_recovery: str  # "configured", "not configured", "unknown"
    policies: tuple[PolicyRow, ...]
    devices: tuple[DeviceRow, ...]
    days: tuple[DayActivity, ...]
    tap_issuers: tuple[IssuerUse, ...]
    tap_signin_days: tuple[TapSignInDay, ...]
    tap_signins_by_risk: Mapping[str, int]
    open_findings: tuple[StoredFinding, ...]
    alerts_source: str
    open_alerts: tuple[AlertRow, ...]
    delivery_tracked: bool
    undelivered: tuple[UndeliveredNotification, ...]
    runs: RunSummary
    recoveries: tuple[Mapping[str, Any], ...] = field(default=())
    # The SOC's unreviewed TAP sign-ins at the end of the week (monitor.soc.workflow.ReviewBacklog).
    review_backlog: Mapping[str, Any] | None = None

    # -- headline figures -------------------------------------------------------------------------

    @property
    def attempts(self) -> int:
        return sum(d.attempts for d in self.days)

    @property
    def failures(self) -> int:
        return sum(d.failures for d in self.days)

    @property
    def failure_rate(self) -> float | None:
        return self.failures / self.attempts if self.attempts else None

    def devices_where(self, ready: bool | None) -> tuple[DeviceRow, ...]:
        return tuple(d for d in self.devices if d.ready is ready)

    @property
    def tap_totals(self) -> IssuerUse:
        return IssuerUse(
            "all",
            sum(i.issued for i in self.tap_issuers),
            sum(i.used for i in self.tap_issuers),
            sum(i.unused for i in self.tap_issuers),
            sum(i.expired for i in self.tap_issuers),
        )

    @property
    def tap_signins_by_result(self) -> dict[str, int]:
        return {
            "success": sum(d.succeeded for d in self.tap_signin_days),
            "failure": sum(d.failed for d in self.tap_signin_days),
        }

    def readiness_groups(self) -> list[tuple[str, str, int, int, int]]:
        """(edition, release, ready, not ready, not judged) per edition and build, most devices first."""
        groups: dict[tuple[str, str], list[int]] = defaultdict(lambda: [0, 0, 0])
        for d in self.devices:
            groups[(d.edition, d.release)][0 if d.ready is True else 1 if d.ready is False else 2] += 1
        rows = [(e, r, ready, unready, unknown) for (e, r), (ready, unready, unknown) in groups.items()]
        return sorted(rows, key=lambda g: (-(g[2] + g[3] + g[4]), g[0], g[1]))

    # -- JSON -------------------------------------------------------------------------------------

    def to_json(self) -> dict[str, Any]:
        ready, unready, unknown = (len(self.devices_where(v)) for v in (True, False, None))
        tap = self.tap_totals
        return {
            "tenant": {"id": self.tenant.id, "displayName": self.tenant.display_name},
            "periodStart": iso(self.period_start),
            "periodEnd": iso(self.period_end),
            "consent": [
                {
                    "appId": c.app_id,
                    "appName": c.app_name,
                    "consented": c.consented,
                    "enabled": c.enabled,
                    "changedAt": iso(c.changed_at) if c.changed_at else None,
                }
                for c in self.consent
            ],
            "pinRecovery": {
                "state": self.pin_recovery,
                "policies": [
                    {
                        "id": p.id,
                        "name": p.name,
                        "kind": p.kind,
                        "assigned": p.assigned,
                        "enablesPinRecovery": p.enables_pin_recovery,
                    }
                    for p in self.policies
                ],
            },
            "devices": {
                "total": len(self.devices),
                "ready": ready,
                "notReady": unready,
                "notJudged": unknown,
                "byEditionAndBuild": [
                    {"edition": e, "release": r, "ready": a, "notReady": b, "notJudged": c}
                    for e, r, a, b, c in self.readiness_groups()
                ],
                "items": [
                    {
                        "id": d.id,
                        "name": d.name,
                        "edition": d.edition,
                        "release": d.release,
                        "osVersion": d.os_version,
                        "nonDestructiveReset": d.ready,
                    }
                    for d in self.devices
                ],
            },
            "pinReset": {
                "attempts": self.attempts,
                "failures": self.failures,
                "failureRate": _rate(self.failure_rate),
                "days": [
                    {
                        "day": d.day.isoformat(),
                        "attempts": d.attempts,
                        "successes": d.successes,
                        "failures": d.failures,
                        "failureRate": _rate(d.failure_rate),
                        "failuresByClass": dict(d.failures_by_class),
                    }
                    for d in self.days
                ],
            },
            "tap": {
                "issued": tap.issued,
                "used": tap.used,
                "unused": tap.unused,
                "expired": tap.expired,
                "byIssuer": [
                    {
                        "issuer": i.issuer,
                        "issued": i.issued,
                        "used": i.used,
                        "unused": i.unused,
                        "expired": i.expired,
                    }
                    for i in self.tap_issuers
                ],
                "signIns": {
                    "byResult": self.tap_signins_by_result,
                    "byRisk": dict(self.tap_signins_by_risk),
                    "days": [
                        {"day": d.day.isoformat(), "succeeded": d.succeeded, "failed": d.failed}
                        for d in self.tap_signin_days
                    ],
                },
                "recoveries": list(self.recoveries),
                "reviews": dict(self.review_backlog) if self.review_backlog is not None else None,
            },
            "findings": {
                "open": [
                    {
                        "rule": f.rule,
                        "subject": f.subject,
                        "severity": f.severity,
                        "title": f.title,
                        "firstSeen": iso(f.first_seen),
                    }
                    for f in self.open_findings
                ],
                "bySeverity": {s: sum(1 for f in self.open_findings if f.severity == s) for s in SEVERITIES},
            },
            "alerts": {
                "source": self.alerts_source,
                "open": [
                    {
                        "rule": a.rule,
                        "subject": a.subject,
                        "severity": a.severity,
                        "title": a.title,
                        "openedAt": iso(a.opened),
                        "ageHours": round(a.age_hours, 1),
                    }
                    for a in self.open_alerts
                ],
                "undeliveredTracked": self.delivery_tracked,
                "undelivered": [
                    {"channel": u.channel, "alert": u.alert, "at": iso(u.at), "reason": u.reason}
                    for u in self.undelivered
                ],
            },
            "runs": {
                "passes": self.runs.passes,
                "byOutcome": dict(self.runs.by_outcome),
                "lastFinished": iso(self.runs.last_finished) if self.runs.last_finished else None,
            },
        }


def _rate(value: float | None) -> float | None:
    return round(value, 4) if value is not None else None


# -- computing ----------------------------------------------------------------------------------------


def period_of(now: datetime) -> tuple[datetime, datetime]:
    """The week a snapshot at `now` covers: the seven UTC days ending with today (today up to now)."""
    first = now.astimezone(UTC).date() - timedelta(days=DAYS - 1)
    return datetime.combine(first, time(), UTC), now


def day_activity(hours: Iterable[SignInHour], start: datetime) -> tuple[DayActivity, ...]:
    attempts: Counter[date] = Counter()
    failures: dict[date, Counter[str]] = defaultdict(Counter)
    for h in hours:
        day = h.hour.astimezone(UTC).date()
        attempts[day] += h.count
        if h.error_code != 0:
            failures[day][h.error_class.value] += h.count
    days = [start.date() + timedelta(days=n) for n in range(DAYS)]
    return tuple(
        DayActivity(day, attempts[day], {c: failures[day][c] for c in FAILURE_CLASSES if failures[day][c]})
        for day in days
    )


def enables_pin_recovery(state: Mapping[str, Any]) -> bool:
    """Whether a stored policy (monitor.inventory.policies) turns PIN recovery on."""
    if state.get("pinRecoveryEnabled") is True:
        return True
    for setting in state.get("omaSettings") or ():
        uri = str(setting.get("omaUri", "")).lower() if isinstance(setting, Mapping) else ""
        if uri.endswith("/policies/enablepinrecovery") and setting.get("value") is True:
            return True
    settings = state.get("settings")
    return isinstance(settings, Mapping) and any(
        "enablepinrecovery" in str(key).lower() and str(value).lower().endswith("_true")
        for key, value in settings.items()
    )


def policy_rows(items: Mapping[str, InventoryItem]) -> tuple[PolicyRow, ...]:
    rows = [
        PolicyRow(
            key,
            str(item.state.get("name", "")),
            str(item.state.get("kind", "")),
            bool(item.state.get("targets")),
            enables_pin_recovery(item.state),
        )
        for key, item in items.items()
        if item.present
    ]
    return tuple(sorted(rows, key=lambda p: (not p.enables_pin_recovery, p.name, p.id)))


def device_rows(items: Mapping[str, InventoryItem]) -> tuple[DeviceRow, ...]:
    rows = []
    for key, item in items.items():
        if not item.present:
            continue
        verdict = item.state.get("nonDestructiveReset")
        rows.append(
            DeviceRow(
                key,
                str(item.state.get("name", "")),
                str(item.state.get("edition", "")),
                str(item.state.get("release", "")),
                str(item.state.get("osVersion", "")),
                verdict if isinstance(verdict, bool) else None,
            )
        )
    return tuple(sorted(rows, key=lambda d: (d.name, d.id)))


def pin_recovery_state(findings: Iterable[StoredFinding], policies: Sequence[PolicyRow]) -> str:
    if any(f.rule == PIN_RECOVERY_RULE and f.status == "open" for f in findings):
        return "not configured"
    if any(p.assigned and p.enables_pin_recovery for p in policies):
        return "configured"
    return "unknown"


def issuer_use(
    issuances: Iterable[TapIssuance], signins: Iterable[TapSignIn], now: datetime
) -> tuple[IssuerUse, ...]:
    used_passes = {s.issuance.audit_id for s in signins if s.succeeded and s.issuance is not None}
    counts: dict[str, Counter[str]] = defaultdict(Counter)
    for issuance in issuances:
        tally = counts[issuance.issued_by or "unknown"]
        tally["issued"] += 1
        if issuance.audit_id in used_passes:
            tally["used"] += 1
        elif issuance.usability == "Expired" or issuance.valid_until(LONGEST_TAP_MINUTES) < now:
            tally["expired"] += 1
        else:
            tally["unused"] += 1
    return tuple(
        IssuerUse(issuer, c["issued"], c["used"], c["unused"], c["expired"])
        for issuer, c in sorted(counts.items(), key=lambda kv: (-kv[1]["issued"], kv[0]))
    )


def tap_signin_days(signins: Iterable[TapSignIn], start: datetime) -> tuple[TapSignInDay, ...]:
    ok: Counter[date] = Counter()
    failed: Counter[date] = Counter()
    for s in signins:
        (ok if s.succeeded else failed)[s.created.astimezone(UTC).date()] += 1
    days = [start.date() + timedelta(days=n) for n in range(DAYS)]
    return tuple(TapSignInDay(day, ok[day], failed[day]) for day in days)


def risk_counts(signins: Iterable[TapSignIn]) -> dict[str, int]:
    counts = Counter(
        s.risk_during_signin if s.risk_during_signin in RISK_LEVELS else "other" for s in signins
    )
    return {
        level: counts[level] for level in (*RISK_LEVELS, "other") if counts[level] or level in RISK_LEVELS
    }


def consent_rows(stored: Mapping[str, StoredConsent]) -> tuple[ConsentRow, ...]:
    rows = []
    for app_id, name in PIN_RESET_APPS.items():
        state = stored.get(app_id)
        rows.append(
            ConsentRow(
                app_id,
                name,
                state.consented if state else None,
                state.enabled if state else None,
                state.changed_at if state else None,
            )
        )
    return tuple(rows)


def run_summary(runs: Iterable[RunRecord], start: datetime, end: datetime) -> RunSummary:
    week = [r for r in runs if start <= r.now <= end]
    outcomes = Counter(r.outcome for r in week)
    return RunSummary(
        len(week),
        {o: outcomes[o] for o in ("ok", "partial", "failed")},
        max((r.finished for r in week), default=None),
    )


def alert_rows(alerts: Iterable[OpenAlert], now: datetime) -> tuple[AlertRow, ...]:
    rows = [
        AlertRow(
            a.rule,
            a.subject,
            a.severity,
            a.title,
            a.opened,
            max(0.0, (now - a.opened).total_seconds() / 3600),
        )
        for a in alerts
    ]
    return tuple(
        sorted(
            rows, key=lambda a: (SEVERITIES.index(a.severity) if a.severity in SEVERITIES else 9, a.opened)
        )
    )


def read_snapshot(
    tenant: Tenant, now: datetime, state: StateStore, reports: ReportStore, alerts: AlertSource
) -> WeeklySnapshot:
    """The snapshot of the week ending at `now`, from what the stores hold."""
    start, end = period_of(now)
    findings = state.findings(tenant.id)
    policies = policy_rows(state.inventory(tenant.id, "policy"))
    issuances = state.tap_issuances(tenant.id, start)
    # Sign-ins of the week, and of the passes issued in it (a pass issued on the last day may be used
    # after `now`; those are next week's).
    signins = state.tap_signins(tenant.id, start, end)
    recoveries = [
        chain
        for chain in reports.recoveries(tenant.id).values()
        if str((chain.get("issued") or {}).get("issuedDateTime", "")) >= iso(start)
    ]
    return WeeklySnapshot(
        tenant=tenant,
        period_start=start,
        period_end=end,
        consent=consent_rows(state.consent(tenant.id)),
        pin_recovery=pin_recovery_state(findings, policies),
        policies=policies,
        devices=device_rows(state.inventory(tenant.id, "device")),
        days=day_activity(state.signin_hours(tenant.id, start, end + timedelta(seconds=1)), start),
        tap_issuers=issuer_use(issuances, signins, end),
        tap_signin_days=tap_signin_days(signins, start),
        tap_signins_by_risk=risk_counts(signins),
        open_findings=tuple(
            sorted(
                (f for f in findings if f.status == "open"),
                key=lambda f: (SEVERITIES.index(f.severity), f.rule, f.subject),
            )
        ),
        alerts_source=alerts.name,
        open_alerts=alert_rows(alerts.open_alerts(tenant.id, end), end),
        delivery_tracked=alerts.tracks_delivery,
        undelivered=tuple(alerts.undelivered(tenant.id, start, end)),
        runs=run_summary(state.runs(tenant.id, limit=1000), start, end),
        recoveries=tuple(
            sorted(recoveries, key=lambda c: str((c.get("issued") or {}).get("issuedDateTime", "")))
        ),
    )
