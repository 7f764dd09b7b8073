"""A pass's result as people and scripts read it: scan's JSON, or a table for a terminal."""

from __future__ import annotations

import textwrap
from collections.abc import Sequence
from typing import Any

from monitor.pipeline import PassResult
from monitor.rules.evidence import iso
from monitor.store.base import StoredFinding


def to_json(result: PassResult) -> dict[str, Any]:
    """The `scan` JSON document in its published shape (extra counters live inside `stats`)."""
    return {
        "tenant": {"id": result.tenant.id, "displayName": result.tenant.display_name},
        "now": iso(result.now),
        "findings": [f.to_json() for f in result.findings],
        "rules": [r.to_json() for r in result.results],
        "tap_signins": [s.to_json() for s in result.tap_signins],
        "stats": dict(result.stats),
    }


def _rows(headers: tuple[str, ...], rows: Sequence[tuple[str, ...]]) -> list[str]:
    widths = [max([len(h), *(len(r[i]) for r in rows)]) for i, h in enumerate(headers)]
    line = "  ".join(f"{{:<{w}}}" for w in widths)
    return [line.format(*headers).rstrip(), line.format(*("-" * w for w in widths)).rstrip()] + [
        line.format(*r).rstrip() for r in rows
    ]


def to_table(result: PassResult) -> str:
    out = [
        f"Tenant {result.tenant.display_name} ({result.tenant.id}), as of {iso(result.now)}",
        "",
    ]
    findings = result.findings
    if findings:
        out.append(f"{len(findings)} finding(s):")
        out += _rows(
            ("SEVERITY", "RULE", "SUBJECT", "TITLE"),
            [(f.severity.upper(), f.rule, f.subject, f.title) for f in findings],
        )
        for f in findings:
            out += ["", f"[{f.severity.upper()}] {f.rule} — {f.subject}"]
            out += textwrap.wrap(f.detail, 100, initial_indent="  ", subsequent_indent="  ")
            out += textwrap.wrap(
                "Fix: " + f.remediation, 100, initial_indent="  ", subsequent_indent="       "
            )
    else:
        out.append("No findings.")
    out += ["", "Rules:"]
    out += _rows(("STATUS", "RULE", "REASON"), [(r.status.upper(), r.rule, r.reason) for r in result.results])
    if result.tap_signins:
        out += ["", f"Sign-ins with a Temporary Access Pass ({len(result.tap_signins)}):"]
        out += _rows(
            ("TIME", "USER", "RESULT", "IP", "COUNTRY", "RISK", "ISSUED BY"),
            [
                (
                    iso(s.created),
                    s.user_principal_name,
                    "success" if s.succeeded else f"failed {s.error_code}",
                    s.ip_address,
                    s.country,
                    s.risk_during_signin,
                    s.issuance.issued_by if s.issuance else "?",
                )
                for s in result.tap_signins
            ],
        )
    if result.problems:
        out += ["", "Not read in this pass:"]
        out += [f"  - {p.kind}: {p.reason}" for p in result.problems]
    stats = ", ".join(f"{k.replace('_', ' ')}: {v}" for k, v in result.stats.items())
    out += ["", f"Stats: {stats}"]
    return "\n".join(out) + "\n"


def stored_finding_json(f: StoredFinding) -> dict[str, Any]:
    return {
        "rule": f.rule,
        "subject": f.subject,
        "severity": f.severity,
        "status": f.status,
        "title": f.title,
        "detail": f.detail,
        "evidence": dict(f.evidence),
        "firstSeen": iso(f.first_seen),
        "lastSeen": iso(f.last_seen),
        "resolvedAt": iso(f.resolved_at) if f.resolved_at else None,
        "timesSeen": f.times_seen,
    }


def stored_findings_table(findings: list[StoredFinding]) -> str:
    if not findings:
        return "No stored findings.\n"
    rows = [
        (f.status.upper(), f.severity.upper(), f.rule, f.subject, iso(f.first_seen), iso(f.last_seen))
        for f in findings
    ]
    return "\n".join(_rows(("STATUS", "SEVERITY", "RULE", "SUBJECT", "FIRST SEEN", "LAST SEEN"), rows)) + "\n"
