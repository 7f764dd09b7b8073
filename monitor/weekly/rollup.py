"""The weekly roll-up across tenants: one table for the provider, a row per tenant, written as
rollup.html (self-contained, like report.html) and rollup.json beside the tenants' own reports.

A row says what needs the provider first: open findings by severity, what changed since last week,
whether the tenant is quarantined (the monitor cannot read it), and the TAP sign-ins nobody reviewed.
Rows are ordered by need: quarantined tenants, then the most severe open findings, then by name.
It is computed from the week's reports and the tenants table, with no Graph request and no read of its
own.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from html import escape
from pathlib import Path
from typing import TYPE_CHECKING, Any

import orjson

from monitor.records import iso, optional_iso
from monitor.rules.base import SEVERITIES

if TYPE_CHECKING:
    from monitor.store.tenants import TenantRecord
    from monitor.weekly.report import WeeklyReport

ROLLUP_VERSION = 1


@dataclass(frozen=True)
class RollupRow:
    """One tenant's line. `report` is None for a tenant of the table with no pass recorded yet."""

    tenant_id: str
    display_name: str
    open_findings: Mapping[str, int]  # every severity named
    new_findings: int | None  # since last week's report; None: this is its first report
    fixed_findings: int | None
    state: str  # "active" or "quarantined"
    problem: str
    quarantined_since: datetime | None
    next_probe: datetime | None
    unreviewed_tap_signins: int | None  # None: not known (no report, or the SOC backlog was not read)
    flagged_unreviewed: int | None
    report_path: str  # where the tenant's own report.html is, relative to rollup.html; "" when none
    last_pass: datetime | None

    @property
    def open_total(self) -> int:
        return sum(self.open_findings.values())

    def need(self) -> tuple[Any, ...]:
        """Sort key: who needs the provider first."""
        return (
            self.state != "quarantined",
            self.report_path == "" and self.state != "quarantined",
            *(-self.open_findings[s] for s in SEVERITIES),
            -(self.unreviewed_tap_signins or 0),
            (self.display_name or self.tenant_id).lower(),
            self.tenant_id,
        )

    def change_text(self) -> str:
        if self.report_path == "" and self.new_findings is None:
            return "no report this week"
        if self.new_findings is None or self.fixed_findings is None:
            return "first report"
        if not self.new_findings and not self.fixed_findings:
            return "no change"
        return f"{self.new_findings} new, {self.fixed_findings} fixed"

    def quarantine_text(self) -> str:
        if self.state != "quarantined":
            return "no"
        since = f" since {self.quarantined_since:%Y-%m-%d %H:%M} UTC" if self.quarantined_since else ""
        probe = f"; next probe {self.next_probe:%Y-%m-%d %H:%M} UTC" if self.next_probe else ""
        return f"{self.problem or 'quarantined'}{since}{probe}"

    def to_json(self) -> dict[str, Any]:
        return {
            "tenantId": self.tenant_id,
            "displayName": self.display_name,
            "openFindings": dict(self.open_findings),
            "changes": {
                "new": self.new_findings,
                "fixed": self.fixed_findings,
                "summary": self.change_text(),
            },
            "quarantine": {
                "state": self.state,
                "problem": self.problem or None,
                "since": optional_iso(self.quarantined_since),
                "nextProbe": optional_iso(self.next_probe),
            },
            "tapSignIns": {
                "unreviewed": self.unreviewed_tap_signins,
                "flaggedUnreviewed": self.flagged_unreviewed,
            },
            "report": self.report_path or None,
            "lastPass": optional_iso(self.last_pass),
        }


@dataclass(frozen=True)
class WeeklyRollup:
    period_end: datetime
    generated_at: datetime
    rows: tuple[RollupRow, ...]

    def totals(self) -> dict[str, Any]:
        return {
            "tenants": len(self.rows),
            "quarantined": sum(1 for r in self.rows if r.state == "quarantined"),
            "withoutReport": sum(1 for r in self.rows if not r.report_path),
            "openFindings": {s: sum(r.open_findings[s] for r in self.rows) for s in SEVERITIES},
            "unreviewedTapSignIns": sum(r.unreviewed_tap_signins or 0 for r in self.rows),
        }

    def summary(self) -> str:
        t = self.totals()
        found = t["openFindings"]
        return (
            f"{t['tenants']} tenant(s): {found['critical']} critical and {found['high']} high "
            f"finding(s) open, {t['quarantined']} quarantined, {t['unreviewedTapSignIns']} TAP sign-in(s) "
            "unreviewed."
        )

    def to_json(self) -> dict[str, Any]:
        return {
            "rollupVersion": ROLLUP_VERSION,
            "generatedAt": iso(self.generated_at),
            "periodEnd": iso(self.period_end),
            "summary": self.summary(),
            "totals": self.totals(),
            "tenants": [r.to_json() for r in self.rows],
        }


def _row_of_report(
    report: WeeklyReport, record: TenantRecord | None, report_path: str, last_pass: datetime | None
) -> RollupRow:
    s, c = report.snapshot, report.changes
    backlog = s.review_backlog
    unreviewed = backlog.get("unreviewed") if backlog is not None else None
    flagged = backlog.get("flaggedUnreviewed") if backlog is not None else None
    return RollupRow(
        tenant_id=s.tenant.id,
        display_name=(record.display_name if record and record.display_name else s.tenant.display_name),
        open_findings={sev: sum(1 for f in s.open_findings if f.severity == sev) for sev in SEVERITIES},
        new_findings=None if c.first else len(c.new_findings),
        fixed_findings=None if c.first else len(c.fixed_findings),
        state=record.state if record else "active",
        problem=record.problem if record else "",
        quarantined_since=record.quarantined_since if record else None,
        next_probe=record.next_probe if record else None,
        unreviewed_tap_signins=unreviewed if isinstance(unreviewed, int) else None,
        flagged_unreviewed=flagged if isinstance(flagged, int) else None,
        report_path=report_path,
        last_pass=last_pass,
    )


def _row_of_record(record: TenantRecord) -> RollupRow:
    return RollupRow(
        tenant_id=record.tenant_id,
        display_name=record.display_name,
        open_findings=dict.fromkeys(SEVERITIES, 0),
        new_findings=None,
        fixed_findings=None,
        state=record.state,
        problem=record.problem,
        quarantined_since=record.quarantined_since,
        next_probe=record.next_probe,
        unreviewed_tap_signins=None,
        flagged_unreviewed=None,
        report_path="",
        last_pass=record.last_pass,
    )


def rollup_of(
    reports: Sequence[tuple[WeeklyReport, str]],
    records: Sequence[TenantRecord],
    period_end: datetime,
    generated_at: datetime,
    last_passes: Mapping[str, datetime] | None = None,
) -> WeeklyRollup:
    """The roll-up of the week's reports (each with the path of its report.html relative to the
    roll-up) and of every tenant of the table, a tenant without a report included."""
    by_id = {r.tenant_id.lower(): r for r in records}
    passes = {k.lower(): v for k, v in (last_passes or {}).items()}
    rows = []
    for report, path in reports:
        key = report.snapshot.tenant.id.lower()
        rows.append(_row_of_report(report, by_id.get(key), path, passes.get(key)))
    seen = {row.tenant_id.lower() for row in rows}
    rows += [_row_of_record(record) for key, record in by_id.items() if key not in seen]
    return WeeklyRollup(period_end, generated_at, tuple(sorted(rows, key=RollupRow.need)))


# -- HTML ---------------------------------------------------------------------------------------------


def _tenant_cell(row: RollupRow) -> str:
    name = escape(row.display_name) if row.display_name else '<span class="muted">(no name)</span>'
    if row.report_path:
        name = f'<a href="{escape(row.report_path, quote=True)}">{name}</a>'
    return f'{name}<br><span class="muted">tenant {escape(row.tenant_id)}</span>'


def _count(value: int, severity: str) -> str:
    return f'<span class="sev-{severity}">{value}</span>' if value else "0"


def to_html(rollup: WeeklyRollup) -> str:
    from monitor.weekly.report import STYLE, _table

    totals = rollup.totals()
    open_findings = totals["openFindings"]
    cards = [
        ("Tenants", str(totals["tenants"]), ""),
        ("Quarantined", str(totals["quarantined"]), "bad" if totals["quarantined"] else "good"),
        (
            "Critical findings open",
            str(open_findings["critical"]),
            "bad" if open_findings["critical"] else "good",
        ),
        ("High findings open", str(open_findings["high"]), "bad" if open_findings["high"] else "good"),
        ("TAP sign-ins unreviewed", str(totals["unreviewedTapSignIns"]), ""),
        ("Tenants without a report", str(totals["withoutReport"]), "bad" if totals["withoutReport"] else ""),
    ]
    header = (
        "Tenant",
        *(s.capitalize() for s in SEVERITIES),
        "Since last week",
        "Quarantine",
        "TAP sign-ins unreviewed",
    )
    rows = [
        (
            _tenant_cell(r),
            *(_count(r.open_findings[s], s) for s in SEVERITIES),
            escape(r.change_text()),
            f'<span class="sev-critical">{escape(r.quarantine_text())}</span>'
            if r.state == "quarantined"
            else "no",
            (
                f"{r.unreviewed_tap_signins} ({r.flagged_unreviewed or 0} flagged)"
                if r.unreviewed_tap_signins is not None
                else '<span class="muted">not known</span>'
            ),
        )
        for r in rollup.rows
    ]
    sections = [
        "<h1>Weekly roll-up across tenants</h1>",
        f'<p class="sub">Week to {rollup.period_end:%d %b %Y %H:%M} UTC. {escape(rollup.summary())}</p>',
        '<div class="cards">'
        + "".join(
            f'<div class="card {tone}"><div class="v">{escape(value)}</div>'
            f'<div class="k">{escape(key)}</div></div>'
            for key, value, tone in cards
        )
        + "</div>",
        "<h2>Tenants, most in need first</h2>",
        _table(header, rows, numeric=(1, 2, 3, 4, 5), empty="No tenants are watched."),
        '<p class="muted">Open findings by severity at the end of the week. A quarantined tenant could not '
        "be read (consent revoked, the app disabled there, or the tenant gone): the monitor probes it on a "
        "backoff and resumes its passes once it answers. A tenant's name opens its own weekly report.</p>",
        f"<footer>Generated {escape(iso(rollup.generated_at))}. The same data is in rollup.json beside "
        "this page.</footer>",
    ]
    return (
        '<!DOCTYPE html><html lang="en"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<title>Weekly roll-up across tenants, week to {rollup.period_end:%Y-%m-%d}</title>"
        f"<style>{STYLE}</style></head><body><main>{''.join(sections)}</main></body></html>\n"
    )


def write_rollup(rollup: WeeklyRollup, output: Path) -> list[Path]:
    """Write rollup.html and rollup.json into `output`; returns what it wrote."""
    output.mkdir(parents=True, exist_ok=True)
    files = {
        "rollup.html": to_html(rollup),
        "rollup.json": orjson.dumps(rollup.to_json(), option=orjson.OPT_INDENT_2).decode() + "\n",
    }
    written = []
    for name, text in files.items():
        path = output / name
        partial = path.with_suffix(path.suffix + ".partial")  # a reader never opens a half-written file
        partial.write_text(text, encoding="utf-8")
        partial.replace(path)
        written.append(path)
    return written
