"""The weekly report: one self-contained HTML page, the same data as JSON and as CSV files.

The page carries its styles inline and its charts as inline SVG; it loads nothing (no scripts, fonts,
images or style sheets from anywhere), so it opens the same from a mail attachment, a file share or a
browser with no network.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from html import escape
from pathlib import Path
from typing import Any

import orjson

from monitor.rules.evidence import iso
from monitor.weekly import charts
from monitor.weekly.compare import FindingRef, WeeklyChanges
from monitor.weekly.snapshot import WeeklySnapshot

REPORT_VERSION = 1
# A week in which this share of PIN reset attempts failed is shown as needing attention.
ALARMING_FAILURE_RATE = 0.2


@dataclass(frozen=True)
class WeeklyReport:
    snapshot: WeeklySnapshot
    changes: WeeklyChanges
    generated_at: datetime

    def to_json(self) -> dict[str, Any]:
        return {
            "reportVersion": REPORT_VERSION,
            "generatedAt": iso(self.generated_at),
            **self.snapshot.to_json(),
            "changes": self.changes.to_json(),
        }

    def figures(self) -> list[tuple[str, str, str]]:
        """The figures a person wants first, each with its tone: "bad" (needs attention), "good" or ""."""
        s = self.snapshot
        rate = s.failure_rate
        tap = s.tap_totals
        ready = len(s.devices_where(True))
        consented = sum(1 for c in s.consent if c.consented and c.enabled)
        failed_tap = s.tap_signins_by_result["failure"]

        def tone(bad: bool, good: bool) -> str:
            return "bad" if bad else "good" if good else ""

        return [
            (
                "PIN reset apps consented and enabled",
                f"{consented} of {len(s.consent)}",
                tone(consented < len(s.consent), True),
            ),
            ("PIN recovery policy", s.pin_recovery, tone(s.pin_recovery != "configured", True)),
            (
                "Devices ready for a non-destructive reset",
                f"{ready} of {len(s.devices)}",
                tone(ready < len(s.devices), bool(s.devices)),
            ),
            ("PIN reset attempts", str(s.attempts), ""),
            (
                "PIN reset failure rate",
                f"{rate:.1%}" if rate is not None else "no attempts",
                tone(rate is not None and rate >= ALARMING_FAILURE_RATE, rate == 0),
            ),
            ("Temporary Access Passes issued / used", f"{tap.issued} / {tap.used}", ""),
            (
                "TAP sign-ins",
                f"{sum(s.tap_signins_by_result.values())} ({failed_tap} failed)",
                tone(failed_tap > 0, False),
            ),
            ("Open findings", str(len(s.open_findings)), tone(bool(s.open_findings), True)),
            ("Open alerts", str(len(s.open_alerts)), tone(bool(s.open_alerts), True)),
        ]

    def headline(self) -> list[tuple[str, str]]:
        """The figures a person wants first (also the Teams card's facts)."""
        return [(label, value) for label, value, _ in self.figures()]

    def alarms(self) -> list[tuple[str, str]]:
        """The figures that need attention this week, to be shown first and in red."""
        return [(label, value) for label, value, tone in self.figures() if tone == "bad"]


# -- CSV ----------------------------------------------------------------------------------------------


def _csv(header: Sequence[str], rows: Iterable[Sequence[Any]]) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(header)
    for row in rows:
        writer.writerow(["" if v is None else _cell(v) for v in row])
    return out.getvalue()


def _cell(value: Any) -> Any:
    # A cell that starts like a formula is run by spreadsheets (CSV injection): quote it as text.
    if isinstance(value, str) and value[:1] in ("=", "+", "-", "@", "\t", "\r"):
        return "'" + value
    return value


def csv_files(report: WeeklyReport) -> dict[str, str]:
    s, c = report.snapshot, report.changes
    classes = sorted({k for d in s.days for k in d.failures_by_class})
    return {
        "pin_reset_days.csv": _csv(
            (
                "day",
                "attempts",
                "successes",
                "failures",
                "failure_rate_percent",
                *(f"failures_{k}" for k in classes),
            ),
            (
                (
                    d.day.isoformat(),
                    d.attempts,
                    d.successes,
                    d.failures,
                    # Percent, as the page shows it ("25.0%" there, 25.0 here).
                    round(d.failure_rate * 100, 1) if d.failure_rate is not None else None,
                    *(d.failures_by_class.get(k, 0) for k in classes),
                )
                for d in s.days
            ),
        ),
        "device_readiness.csv": _csv(
            ("edition", "release", "ready", "not_ready", "not_judged"), s.readiness_groups()
        ),
        "devices.csv": _csv(
            ("device_id", "name", "edition", "release", "os_version", "non_destructive_reset"),
            ((d.id, d.name, d.edition, d.release, d.os_version, d.ready) for d in s.devices),
        ),
        "tap_issuers.csv": _csv(
            ("issuer", "issued", "used", "unused", "expired"),
            ((i.issuer, i.issued, i.used, i.unused, i.expired) for i in s.tap_issuers),
        ),
        "tap_signins.csv": _csv(
            ("day", "succeeded", "failed"),
            ((d.day.isoformat(), d.succeeded, d.failed) for d in s.tap_signin_days),
        ),
        "findings.csv": _csv(
            ("rule", "subject", "severity", "title", "first_seen", "change"),
            [
                *(
                    (f.rule, f.subject, f.severity, f.title, iso(f.first_seen), _change(f.rule, f.subject, c))
                    for f in s.open_findings
                ),
                *((r, sub, sev, t, None, "fixed") for r, sub, sev, t in c.fixed_findings),
            ],
        ),
        "alerts.csv": _csv(
            ("rule", "subject", "severity", "title", "opened", "age_hours"),
            (
                (a.rule, a.subject, a.severity, a.title, iso(a.opened), round(a.age_hours, 1))
                for a in s.open_alerts
            ),
        ),
    }


def _change(rule: str, subject: str, changes: WeeklyChanges) -> str:
    if changes.first:
        return ""
    return "new" if any(r == rule and s == subject for r, s, _, _ in changes.new_findings) else "still open"


# -- HTML ---------------------------------------------------------------------------------------------

STYLE = """
body{margin:0;background:#f7fafc;color:#1a202c;
font:15px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif}
main{max-width:1100px;margin:0 auto;padding:24px;overflow-wrap:anywhere}
h1{font-size:26px;margin:0 0 4px}
h2{font-size:19px;margin:32px 0 8px;border-bottom:2px solid #e2e8f0;padding-bottom:4px}
.sub{color:#4a5568;margin:0 0 16px}
.cards{display:grid;grid-template-columns:repeat(auto-fit,minmax(220px,1fr));gap:12px}
.card{background:#fff;border:1px solid #e2e8f0;border-radius:8px;padding:12px 14px}
.card .v{font-size:24px;font-weight:700}.card .k{color:#4a5568;font-size:13px}
.bad .v{color:#c53030}.good .v{color:#2f855a}
.changes{background:#fff;border-left:4px solid #2b6cb0;padding:10px 16px;border-radius:4px}
table{border-collapse:collapse;width:100%;background:#fff;margin:8px 0;font-size:14px}
th,td{border:1px solid #e2e8f0;padding:5px 8px;text-align:left;vertical-align:top}
th{background:#edf2f7}td.n{text-align:right;font-variant-numeric:tabular-nums}
.chart{background:#fff;border:1px solid #e2e8f0;border-radius:8px;padding:8px;margin:8px 0;overflow-x:auto}
.chart svg{min-width:600px}.scroll{overflow-x:auto;margin:8px 0}.scroll table{margin:0}
.scroll th,.scroll td{overflow-wrap:normal}.scroll th{white-space:nowrap}
.empty{background:#fff;border:1px dashed #cbd5e0;border-radius:8px;padding:10px 14px;color:#4a5568}
.chart h3{font-size:14px;margin:2px 6px;color:#4a5568;font-weight:600}
.sev-critical,.sev-high{color:#c53030;font-weight:600}.sev-medium{color:#b7791f;font-weight:600}
.muted{color:#4a5568}footer{margin-top:32px;color:#4a5568;font-size:13px}
.alarm{background:#fff5f5;border:1px solid #feb2b2;border-left:4px solid #c53030;border-radius:4px;
padding:10px 16px;margin:12px 0}.alarm b{color:#c53030}
@media (max-width:600px){main{padding:12px}h1{font-size:21px}
.cards{grid-template-columns:repeat(2,minmax(0,1fr));gap:8px}
.card{padding:10px}.card .v{font-size:20px}table{font-size:13px}th,td{padding:4px 6px}}
"""


def _empty(what: str) -> str:
    return f'<p class="empty">{escape(what)}</p>'


def _table(
    header: Sequence[str], rows: Sequence[Sequence[str]], numeric: Sequence[int] = (), empty: str = "None."
) -> str:
    """A table in its own horizontally scrolling box (a phone scrolls the table, not the page); no
    rows: `empty`, which says what is absent."""
    if not rows:
        return _empty(empty)
    head = "".join(f"<th>{escape(h)}</th>" for h in header)
    body = "".join(
        "<tr>"
        + "".join(
            f'<td class="n">{cell}</td>' if i in numeric else f"<td>{cell}</td>" for i, cell in enumerate(row)
        )
        + "</tr>"
        for row in rows
    )
    return f'<div class="scroll"><table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table></div>'


def _yes(value: bool | None) -> str:
    return "yes" if value is True else "no" if value is False else "not checked"


def _findings_list(title: str, refs: Sequence[FindingRef]) -> str:
    if not refs:
        return f"<p><b>{escape(title)}:</b> none.</p>"
    items = "".join(
        f'<li><span class="sev-{escape(sev)}">{escape(sev)}</span> {escape(t)} '
        f'<span class="muted">({escape(rule)}, {escape(subject)})</span></li>'
        for rule, subject, sev, t in refs
    )
    return f"<p><b>{escape(title)} ({len(refs)}):</b></p><ul>{items}</ul>"


def _changes_html(c: WeeklyChanges) -> str:
    parts = [f"<p>{escape(c.summary)}</p>"]
    if c.first:
        return f'<div class="changes">{"".join(parts)}</div>'
    before_attempts = c.attempts[1]
    before_rate = c.failure_rate[1]
    now_rate = c.failure_rate[0]
    parts.append(
        "<p><b>PIN reset attempts:</b> "
        + f"{c.attempts[0]} this week"
        + (f", {before_attempts} the week before" if before_attempts is not None else "")
        + ". <b>Failure rate:</b> "
        + (f"{now_rate:.1%}" if now_rate is not None else "no attempts")
        + (f" (was {before_rate:.1%})" if before_rate is not None else "")
        + ".</p>"
    )
    parts.append(_findings_list("New findings", c.new_findings))
    parts.append(_findings_list("Fixed", c.fixed_findings))
    parts.append(_findings_list("Still open", c.still_open))
    for title, devices in (("Became ready", c.became_ready), ("Stopped being ready", c.became_unready)):
        names = ", ".join(escape(name or device_id) for device_id, name in devices) or "none"
        parts.append(f"<p><b>Devices. {title}:</b> {names}.</p>")
    return f'<div class="changes">{"".join(parts)}</div>'


def _attempts_html(s: WeeklySnapshot, days: Sequence[str]) -> str:
    return "".join(
        [
            '<div class="chart">'
            + charts.grouped_bars(
                "PIN reset attempts and failures per day",
                days,
                [
                    ("Attempts", charts.BLUE, [d.attempts for d in s.days]),
                    ("Failures", charts.RED, [d.failures for d in s.days]),
                ],
            )
            + "</div>",
            '<div class="chart"><h3>Failure rate per day</h3>'
            + charts.rate_line("PIN reset failure rate per day", days, [d.failure_rate for d in s.days])
            + "</div>",
            _table(
                ("Day", "Attempts", "Successes", "Failures", "Failure rate", "Failures by cause"),
                [
                    (
                        escape(d.day.isoformat()),
                        str(d.attempts),
                        str(d.successes),
                        str(d.failures),
                        f"{d.failure_rate:.1%}" if d.failure_rate is not None else "",
                        escape(", ".join(f"{k}: {n}" for k, n in d.failures_by_class.items())),
                    )
                    for d in s.days
                ],
                (1, 2, 3, 4),
            ),
        ]
    )


def to_html(report: WeeklyReport) -> str:
    s, c = report.snapshot, report.changes
    days = [d.day.strftime("%a %d %b") for d in s.days]
    ready, unready, unknown = (s.devices_where(v) for v in (True, False, None))
    tap = s.tap_totals
    cards = [
        f'<div class="card {tone}"><div class="v">{escape(value)}</div>'
        f'<div class="k">{escape(key)}</div></div>'
        for key, value, tone in report.figures()
    ]
    alarms = report.alarms()
    alarm = (
        '<div class="alarm"><b>Needs attention:</b> '
        + "; ".join(f"{escape(k)}: <b>{escape(v)}</b>" for k, v in alarms)
        + ".</div>"
        if alarms
        else ""
    )
    sections = [
        f"<h1>Weekly PIN reset and Temporary Access Pass compliance</h1>"
        f'<p class="sub">{escape(s.tenant.display_name)} ({escape(s.tenant.id)}), '
        f"{s.period_start:%d %b %Y} to "
        f"{s.period_end:%d %b %Y %H:%M} UTC</p>",
        alarm,
        f'<div class="cards">{"".join(cards)}</div>',
        "<h2>What changed</h2>",
        _changes_html(c),
        "<h2>PIN reset attempts</h2>",
        _attempts_html(s, days) if s.attempts else _empty("No PIN reset attempts this week."),
        "<h2>Devices: non-destructive PIN reset</h2>",
        _empty("No Windows devices are managed in Intune.")
        if not s.devices
        else '<div class="chart">'
        + charts.stacked_bar(
            "Windows devices by readiness for a non-destructive PIN reset",
            [
                ("Ready", charts.GREEN, len(ready)),
                ("Not ready", charts.RED, len(unready)),
                ("Could not be judged", charts.GREY, len(unknown)),
            ],
        )
        + "</div>",
        _table(
            ("Edition", "Release", "Ready", "Not ready", "Not judged"),
            [(escape(e), escape(r), str(a), str(b), str(n)) for e, r, a, b, n in s.readiness_groups()],
            (2, 3, 4),
            empty="No devices to group by edition and release.",
        ),
        "<p><b>Not ready:</b></p>"
        + _table(
            ("Device", "Edition", "Release", "OS version"),
            [
                (escape(d.name or d.id), escape(d.edition), escape(d.release), escape(d.os_version))
                for d in unready
            ],
            empty="Every device is ready, or could not be judged.",
        ),
        "<p><b>Could not be judged</b> (edition or build unknown):</p>"
        + _table(
            ("Device", "Edition", "OS version"),
            [(escape(d.name or d.id), escape(d.edition), escape(d.os_version)) for d in unknown],
            empty="Every device's edition and build were known.",
        ),
        "<h2>Consent and PIN recovery policy</h2>",
        _table(
            ("App", "App ID", "Consented", "Enabled", "Last changed"),
            [
                (
                    escape(r.app_name),
                    escape(r.app_id),
                    _yes(r.consented),
                    _yes(r.enabled),
                    escape(iso(r.changed_at)) if r.changed_at else "",
                )
                for r in s.consent
            ],
            empty="Consent to the PIN reset apps was not read.",
        ),
        f"<p><b>PIN recovery:</b> {escape(s.pin_recovery)}.</p>",
        _table(
            ("Policy", "Kind", "Assigned", "Enables PIN recovery"),
            [
                (escape(p.name or p.id), escape(p.kind), _yes(p.assigned), _yes(p.enables_pin_recovery))
                for p in s.policies
            ],
            empty="No Intune policy touches PIN recovery.",
        ),
        "<h2>Temporary Access Pass</h2>",
        _empty("No Temporary Access Pass was issued this week.")
        if not tap.issued
        else '<div class="chart">'
        + charts.horizontal_bars(
            "Temporary Access Passes issued this week and what became of them",
            [
                ("Issued", charts.BLUE, tap.issued),
                ("Used", charts.GREEN, tap.used),
                ("Unused, still valid", charts.AMBER, tap.unused),
                ("Expired unused", charts.GREY, tap.expired),
            ],
        )
        + "</div>",
        _empty("No TAP sign-ins this week.")
        if not sum(s.tap_signins_by_result.values())
        else '<div class="chart">'
        + charts.grouped_bars(
            "Sign-ins with a Temporary Access Pass per day",
            days,
            [
                ("Succeeded", charts.GREEN, [d.succeeded for d in s.tap_signin_days]),
                ("Failed", charts.RED, [d.failed for d in s.tap_signin_days]),
            ],
        )
        + "</div>",
        _table(
            ("Issued by", "Issued", "Used", "Unused", "Expired"),
            [
                (escape(i.issuer), str(i.issued), str(i.used), str(i.unused), str(i.expired))
                for i in s.tap_issuers
            ],
            (1, 2, 3, 4),
            empty="No one issued a Temporary Access Pass this week.",
        ),
        (
            "<p><b>TAP sign-ins by risk during sign-in:</b> "
            + escape(", ".join(f"{k}: {n}" for k, n in s.tap_signins_by_risk.items()))
            + "</p>"
            if s.tap_signins_by_risk
            else ""
        ),
        _review_backlog(s.review_backlog),
        "<p><b>Recoveries with a pass</b> "
        "(issued, signed in, new method registered, old methods removed):</p>"
        + _table(
            ("User", "Pass issued", "Issued by", "Stage"),
            [
                (
                    escape(str(r.get("userPrincipalName") or r.get("userId") or "")),
                    escape(str((r.get("issued") or {}).get("issuedDateTime", ""))),
                    escape(str((r.get("issued") or {}).get("issuedBy", ""))),
                    escape(str(r.get("stage", "")).replace("-", " ")),
                )
                for r in s.recoveries
            ],
            empty="No recovery with a Temporary Access Pass this week.",
        ),
        "<h2>Open findings</h2>",
        _table(
            ("Severity", "Finding", "Rule", "Subject", "Open since"),
            [
                (
                    f'<span class="sev-{escape(f.severity)}">{escape(f.severity)}</span>',
                    escape(f.title),
                    escape(f.rule),
                    escape(f.subject),
                    escape(iso(f.first_seen)),
                )
                for f in s.open_findings
            ],
            empty="No open findings: every rule that ran passed.",
        ),
        "<h2>Alerts and notifications</h2>",
        f'<p class="muted">Open alerts come from the {escape(s.alerts_source)}.</p>',
        _table(
            ("Severity", "Alert", "Subject", "Open for"),
            [
                (
                    f'<span class="sev-{escape(a.severity)}">{escape(a.severity)}</span>',
                    escape(a.title),
                    escape(a.subject),
                    f"{a.age_hours / 24:.1f} days" if a.age_hours >= 48 else f"{a.age_hours:.0f} hours",
                )
                for a in s.open_alerts
            ],
            empty="No open alerts.",
        ),
        "<p><b>Notifications that could not be delivered:</b> "
        + (
            (str(len(s.undelivered)) if s.undelivered else "none")
            if s.delivery_tracked
            else "not tracked yet (no alert delivery is recorded)"
        )
        + "</p>"
        + (
            _table(
                ("Channel", "Alert", "Last attempt", "Why"),
                [
                    (escape(u.channel), escape(u.alert), escape(iso(u.at)), escape(u.reason))
                    for u in s.undelivered
                ],
            )
            if s.undelivered
            else ""
        ),
        f"<h2>Monitoring passes</h2><p>{s.runs.passes} pass(es) this week: "
        + escape(", ".join(f"{k} {n}" for k, n in s.runs.by_outcome.items()))
        + (f"; last finished {escape(iso(s.runs.last_finished))}" if s.runs.last_finished else "")
        + ".</p>",
        f"<footer>Generated {escape(iso(report.generated_at))}. The same data is in report.json and the CSV "
        "files beside this page.</footer>",
    ]
    return (
        '<!DOCTYPE html><html lang="en"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<title>Weekly compliance: {escape(s.tenant.display_name)}, week to {s.period_end:%Y-%m-%d}</title>"
        f"<style>{STYLE}</style></head><body><main>{''.join(sections)}</main></body></html>\n"
    )


def write_report(report: WeeklyReport, output: Path) -> list[Path]:
    """Write report.html, report.json and the CSV files into `output`; returns what it wrote."""
    output.mkdir(parents=True, exist_ok=True)
    files = {
        "report.html": to_html(report),
        "report.json": orjson.dumps(report.to_json(), option=orjson.OPT_INDENT_2).decode() + "\n",
        **csv_files(report),
    }
    written = []
    for name, text in files.items():
        path = output / name
        # Write beside, then rename: a reader never opens a half-written report.
        partial = path.with_suffix(path.suffix + ".partial")
        # CSVs start with a UTF-8 byte order mark: Excel reads a file without one in the local code
        # page and shows "Müller" as "MÃ¼ller".
        partial.write_text(text, encoding="utf-8-sig" if name.endswith(".csv") else "utf-8")
        partial.replace(path)
        written.append(path)
    return written


def _review_backlog(backlog: Mapping[str, Any] | None) -> str:
    """The SOC's review backlog: TAP sign-ins of the last 30 days nobody reviewed, and the oldest."""
    if backlog is None:
        return ""
    oldest = backlog.get("oldestUnreviewed") or {}
    since = (
        f" The oldest is {escape(str(oldest.get('userPrincipalName', '')))}'s, at "
        f"{escape(str(oldest.get('createdDateTime', '')))}."
        if oldest
        else ""
    )
    return (
        f"<p><b>SOC review:</b> {int(backlog.get('unreviewed', 0))} TAP sign-in(s) not reviewed yet, "
        f"{int(backlog.get('flaggedUnreviewed', 0))} of them flagged by a rule, "
        f"{int(backlog.get('overdue', 0))} past the review deadline.{since}</p>"
    )
