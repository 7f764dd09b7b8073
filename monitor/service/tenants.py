"""The tenants a many-tenant deployment watches, as a person manages them: add or change one, list,
remove, check what it grants, and see how each fares (`monitor tenants ...`, `GET /api/tenants`,
`PUT|DELETE /api/tenants/{tenant_id}`; docs/msp.md).

What a person gives is checked here, once, for the CLI and the routes alike: the tenant ID is the
directory's GUID, destinations are configured alert destinations, thresholds are fields of
`monitor.thresholds.Thresholds` within the bounds their app settings have. A problem is one line
(`monitor.errors.BadRequest`: the routes answer 400, the CLI exits 2).
"""

from __future__ import annotations

import logging
import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import TYPE_CHECKING, Any

from monitor.errors import BadRequest, NotFound
from monitor.records import utcnow
from monitor.rules.base import SEVERITIES
from monitor.service.answer import Answer
from monitor.store.tenants import TenantConflict, TenantRecord

if TYPE_CHECKING:
    from monitor.service.runtime import Runtime
    from monitor.settings import Settings
    from monitor.store.base import RunRecord
    from monitor.tenants.onboarding import TenantCheck
    from monitor.tenants.settings import MspSettings

log = logging.getLogger(__name__)

# Entra limits an organization's display name to 256 characters (organization resource type).
DISPLAY_NAME_MAX = 256
TAG_MAX = 64
TAGS_MAX = 20
BODY_FIELDS = ("displayName", "tags", "destinations", "thresholds")
# A tenant's body is a few hundred bytes; anything far larger is not one.
BODY_MAX_BYTES = 65_536
# The measures a pass records of what it asked of Graph, best first: report requests are what the
# global budget of the identity and access reports counts; older passes record only all requests.
BUDGET_MEASURES = ("report_requests", "graph_requests")


class UnknownTenant(NotFound):
    """No tenant with this ID is in the tenants table."""


@dataclass(frozen=True)
class TenantChanges:
    """What a person asked to change; None: leave as it is."""

    display_name: str | None = None
    tags: tuple[str, ...] | None = None
    destinations: tuple[str, ...] | None = None
    thresholds: Mapping[str, float] | None = None

    def apply(self, record: TenantRecord) -> TenantRecord:
        return replace(
            record,
            display_name=record.display_name if self.display_name is None else self.display_name,
            tags=record.tags if self.tags is None else self.tags,
            destinations=record.destinations if self.destinations is None else self.destinations,
            thresholds=record.thresholds if self.thresholds is None else dict(self.thresholds),
        )


# -- checking what a person gives ---------------------------------------------------------------------


def tenant_key(raw: str) -> str:
    """The tenant ID as the table keys it (a lower-case GUID); BadRequest otherwise."""
    from monitor.tenants.settings import guid, tenant_id_problem

    key = guid(raw)
    if key is None:
        raise BadRequest(tenant_id_problem(raw) or "not a tenant ID")
    return key


def _shown(value: Any) -> str:
    return repr(value)[:60]


def display_name_of(value: Any) -> str:
    if not isinstance(value, str):
        raise BadRequest(f"displayName must be a string, got {_shown(value)}")
    name = value.strip()
    if len(value) > DISPLAY_NAME_MAX or not name.isprintable():
        raise BadRequest(f"displayName must be at most {DISPLAY_NAME_MAX} printable characters")
    return name


def tags_of(values: Any) -> tuple[str, ...]:
    if not isinstance(values, list | tuple):
        raise BadRequest(f"tags must be a list of strings, got {_shown(values)}")
    tags: list[str] = []
    for value in values:
        if not isinstance(value, str):
            raise BadRequest(f"a tag must be a string, got {_shown(value)}")
        tag = value.strip()
        if not tag or len(value) > TAG_MAX or not tag.isprintable():
            raise BadRequest(f"a tag is 1 to {TAG_MAX} printable characters, got {_shown(value)}")
        if tag not in tags:
            tags.append(tag)
    if len(tags) > TAGS_MAX:
        raise BadRequest(f"a tenant has at most {TAGS_MAX} tags, got {len(tags)}")
    return tuple(tags)


def destinations_of(values: Any, settings: Settings) -> tuple[str, ...]:
    """Names of configured alert destinations (MONITOR_ALERT_DESTINATIONS), in the order given."""
    if not isinstance(values, list | tuple):
        raise BadRequest(f"destinations must be a list of destination names, got {_shown(values)}")
    known = [d.name for d in settings.alerts.destinations]
    chosen: list[str] = []
    for value in values:
        if not isinstance(value, str) or value.strip() not in known:
            configured = ", ".join(known) if known else "none is configured (MONITOR_ALERT_DESTINATIONS)"
            raise BadRequest(f"unknown alert destination {_shown(value)}: configured are {configured}")
        if value.strip() not in chosen:
            chosen.append(value.strip())
    return tuple(chosen)


def threshold_value(name: Any, value: Any) -> tuple[str, float]:
    """One threshold of the tenant's own: a field of Thresholds, of its type, within its bounds (those
    of its app setting MONITOR_<NAME>)."""
    from monitor.settings import _plain, _threshold_maximum
    from monitor.thresholds import Thresholds

    kinds = Thresholds.types()
    if not isinstance(name, str) or name not in kinds:
        raise BadRequest(f"unknown threshold {_shown(name)}: thresholds are {', '.join(kinds)}")
    kind = kinds[name]
    if isinstance(value, str):
        try:
            value = float(value.strip()) if kind is float else int(value.strip())
        except ValueError:
            what = "an integer" if kind is int else "a number"
            raise BadRequest(f"threshold {name} must be {what}, got {_shown(value)}") from None
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise BadRequest(f"threshold {name} must be a number, got {_shown(value)}")
    if not math.isfinite(value):
        raise BadRequest(f"threshold {name} must be a finite number")
    if kind is int and isinstance(value, float) and not value.is_integer():
        raise BadRequest(f"threshold {name} must be an integer, got {_shown(value)}")
    maximum = _threshold_maximum(name)
    if not 0 <= value <= maximum:
        raise BadRequest(f"threshold {name} must be between 0 and {_plain(maximum)}, got {_shown(value)}")
    return name, int(value) if kind is int else float(value)


def thresholds_of(values: Any) -> dict[str, float]:
    if not isinstance(values, Mapping):
        raise BadRequest(f"thresholds must be an object of threshold names and numbers, got {_shown(values)}")
    return dict(threshold_value(name, value) for name, value in values.items())


def threshold_arguments(pairs: Iterable[str]) -> dict[str, float]:
    """`NAME=VALUE` arguments of `tenants add --threshold`."""
    found: dict[str, float] = {}
    for pair in pairs:
        name, sep, value = pair.partition("=")
        if not sep:
            raise BadRequest(f"--threshold takes NAME=VALUE, got {_shown(pair)}")
        key, number = threshold_value(name.strip(), value)
        found[key] = number
    return found


def changes_from_body(body: bytes, settings: Settings) -> TenantChanges:
    """The JSON body of PUT /api/tenants/{tenant_id}: {displayName?, tags?, destinations?, thresholds?}."""
    import orjson

    if len(body) > BODY_MAX_BYTES:
        raise BadRequest(f"the body is larger than {BODY_MAX_BYTES} bytes: a tenant's fields are far smaller")
    try:
        document = orjson.loads(body) if body.strip() else {}
    except orjson.JSONDecodeError as exc:
        raise BadRequest(f"the body is not JSON: {str(exc).splitlines()[0][:120]}") from exc
    if not isinstance(document, dict):
        raise BadRequest("the body must be a JSON object: {displayName?, tags?, destinations?, thresholds?}")
    unknown = [key for key in document if key not in BODY_FIELDS]
    if unknown:
        raise BadRequest(f"unknown field {_shown(unknown[0])}: the body may hold {', '.join(BODY_FIELDS)}")
    return TenantChanges(
        display_name=display_name_of(document["displayName"]) if "displayName" in document else None,
        tags=tags_of(document["tags"]) if "tags" in document else None,
        destinations=(
            destinations_of(document["destinations"], settings) if "destinations" in document else None
        ),
        thresholds=thresholds_of(document["thresholds"]) if "thresholds" in document else None,
    )


# -- the entry points ------------------------------------------------------------------------------------


def save_tenant(
    runtime: Runtime, tenant_id: str, changes: TenantChanges, now: datetime | None = None
) -> tuple[TenantRecord, bool]:
    """Add the tenant, or change what `changes` names of it: (the stored record, whether it is new).
    A write that races another is retried on the fresh row (ETags)."""
    key = tenant_key(tenant_id)
    store = runtime.tenants
    for _ in range(5):
        current = store.tenant(key)
        record = changes.apply(current or TenantRecord(key, added=now or utcnow()))
        try:
            saved = store.save(record)
        except TenantConflict:
            continue
        log.info("tenant %s: tenant=%s", "added" if current is None else "changed", key)
        return saved, current is None
    raise TenantConflict(f"tenant {key} kept changing; try again")


def list_tenants(runtime: Runtime) -> list[TenantRecord]:
    return runtime.tenants.tenants()


def remove_tenant(runtime: Runtime, tenant_id: str) -> None:
    """Stop watching the tenant. What its passes stored (findings, runs, weekly snapshots) is kept."""
    key = tenant_key(tenant_id)
    if not runtime.tenants.remove(key):
        raise UnknownTenant(f"no tenant {key} (python -m monitor tenants list lists them)")
    log.info("tenant removed: tenant=%s", key)


async def check_tenant(
    runtime: Runtime, tenant_id: str, msp: MspSettings, now: datetime | None = None
) -> TenantCheck:
    """What the tenant grants (monitor.tenants.onboarding.check). A stored tenant the check names
    gets its display name kept when it had none."""
    from monitor.store.tenants import change_tenant
    from monitor.tenants.onboarding import check

    key = tenant_key(tenant_id)
    record = runtime.tenants.tenant(key)
    result = await check(
        runtime.settings,
        key,
        msp=msp,
        was_consented=record is not None and record.last_pass is not None,
        now=now,
    )
    if record is not None and not record.display_name and result.display_name:
        name = result.display_name[:DISPLAY_NAME_MAX]
        change_tenant(runtime.tenants, key, lambda r: r if r.display_name else replace(r, display_name=name))
    return result


# -- status across tenants -----------------------------------------------------------------------------


@dataclass(frozen=True)
class TenantStatus:
    record: TenantRecord
    last_pass: datetime | None
    last_outcome: str
    open_findings: Mapping[str, int]  # by severity, every severity named
    requests: int | None  # of the budget measure, in the last pass (None: the pass recorded none)
    share: float | None  # of the tenants' last passes' requests

    def to_json(self) -> dict[str, Any]:
        from monitor.records import iso

        return self.record.to_json() | {
            "lastPass": iso(self.last_pass) if self.last_pass else None,
            "lastOutcome": self.last_outcome or None,
            "openFindings": dict(self.open_findings),
            "budgetRequests": self.requests,
            "budgetShare": round(self.share, 4) if self.share is not None else None,
        }


@dataclass(frozen=True)
class TenantsStatus:
    """Every tenant of the table: its last pass, open findings, quarantine and share of the budget."""

    checked_at: datetime
    measure: str  # which of BUDGET_MEASURES the shares count
    tenants: tuple[TenantStatus, ...] = field(default=())

    def to_json(self) -> dict[str, Any]:
        from monitor.records import iso

        return {
            "checkedAt": iso(self.checked_at),
            "budgetMeasure": self.measure,
            "tenants": [t.to_json() for t in self.tenants],
        }

    def to_table(self) -> str:
        if not self.tenants:
            return "No tenants are in the tenants table (python -m monitor tenants add TENANT_ID adds one).\n"
        header = ("tenant", "name", "last pass", "outcome", "open c/h/m/l/i", "quarantine", "budget")
        rows = [
            (
                t.record.tenant_id,
                t.record.display_name or "-",
                _minute(t.last_pass) if t.last_pass else "never",
                t.last_outcome or "-",
                "/".join(str(t.open_findings[s]) for s in SEVERITIES),
                _quarantine(t.record),
                f"{t.share:.1%}" if t.share is not None else "-",
            )
            for t in self.tenants
        ]
        widths = [max(len(str(x)) for x in column) for column in zip(header, *rows, strict=True)]
        lines = ["  ".join(h.ljust(w) for h, w in zip(header, widths, strict=True)).rstrip()]
        lines += ["  ".join(c.ljust(w) for c, w in zip(row, widths, strict=True)).rstrip() for row in rows]
        lines += [
            "",
            f"budget: each tenant's share of the {self.measure.replace('_', ' ')} of the tenants' last passes"
            + (" (these passes did not record report requests)" if self.measure == "graph_requests" else ""),
        ]
        lines += [
            f"{t.record.tenant_id}: {t.record.problem}: {t.record.detail}"
            for t in self.tenants
            if t.record.state == "quarantined" and t.record.detail
        ]
        return "\n".join(lines) + "\n"


def _minute(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%d %H:%M")


def _quarantine(record: TenantRecord) -> str:
    if record.state != "quarantined":
        return "-"
    since = f" since {_minute(record.quarantined_since)}" if record.quarantined_since else ""
    probe = f", next probe {_minute(record.next_probe)}" if record.next_probe else ""
    return f"{record.problem or 'quarantined'}{since}{probe}"


def _requests(run: RunRecord | None, measure: str) -> int | None:
    stats = run.summary.get("stats") if run is not None else None
    value = stats.get(measure) if isinstance(stats, Mapping) else None
    return value if isinstance(value, int) and not isinstance(value, bool) and value >= 0 else None


def budget_measure(runs: Sequence[RunRecord]) -> str:
    """report_requests when every last pass that recorded requests recorded them, else graph_requests
    (a share must count the same thing for every tenant)."""
    counted = [run for run in runs if _requests(run, "graph_requests") is not None]
    if counted and all(_requests(run, "report_requests") is not None for run in counted):
        return "report_requests"
    return "graph_requests"


def tenants_status(runtime: Runtime, now: datetime | None = None) -> TenantsStatus:
    records = runtime.tenants.tenants()
    state = runtime.state
    wanted = {r.tenant_id for r in records}
    latest = {run.tenant_id.lower(): run for run in state.latest_runs() if run.tenant_id.lower() in wanted}
    measure = budget_measure(list(latest.values()))
    counts = {key: _requests(run, measure) for key, run in latest.items()}
    total = sum(n for n in counts.values() if n is not None)
    rows = []
    for record in records:
        run = latest.get(record.tenant_id)
        last_pass, outcome = record.last_pass, record.last_outcome
        if run is not None and (last_pass is None or run.finished >= last_pass):
            last_pass, outcome = run.finished, run.outcome
        open_findings = [f for f in state.findings(record.tenant_id) if f.status == "open"]
        requests = counts.get(record.tenant_id)
        rows.append(
            TenantStatus(
                record,
                last_pass,
                outcome,
                {s: sum(1 for f in open_findings if f.severity == s) for s in SEVERITIES},
                requests,
                requests / total if requests is not None and total else None,
            )
        )
    return TenantsStatus(now or utcnow(), measure, tuple(rows))


# -- the routes ----------------------------------------------------------------------------------------


def tenants_answer(runtime: Runtime) -> Answer:
    """GET /api/tenants: every tenant's status (what `monitor tenants status --format json` prints)."""
    return Answer(200, tenants_status(runtime).to_json())


def put_tenant_request(runtime: Runtime, tenant_id: str, body: bytes) -> Answer:
    """PUT /api/tenants/{tenant_id}: add the tenant (201) or change it (200); a bad body is a 400."""
    key = tenant_key(tenant_id)
    changes = changes_from_body(body, runtime.settings)
    record, created = save_tenant(runtime, key, changes)
    return Answer(201 if created else 200, record.to_json())


def delete_tenant_request(runtime: Runtime, tenant_id: str) -> Answer:
    """DELETE /api/tenants/{tenant_id}: stop watching it (its stored findings are kept); 404 unknown."""
    key = tenant_key(tenant_id)
    remove_tenant(runtime, key)
    return Answer(200, {"removed": key})
