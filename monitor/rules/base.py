"""What a rule is made of: metadata, findings, outcomes, results and test cases.

A rule is a module in `monitor.rules.catalog` holding `RULE` (its metadata, including the facts it
reads) and a pure `evaluate(facts, thresholds) -> Outcome`. Its own pass, fail and skip cases sit beside
it in `monitor.rules.cases`, out of the production import path. Rules read `TenantFacts` only; touching
data that could not be read raises `DataUnavailable`, which the engine reports as `skipped` or `error`
with the reason, never as a pass.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

from monitor.records import TenantFacts
from monitor.thresholds import Thresholds

Severity = Literal["critical", "high", "medium", "low", "info"]
SEVERITIES: tuple[Severity, ...] = ("critical", "high", "medium", "low", "info")
RuleStatus = Literal["pass", "fail", "skipped", "error"]
SubjectKind = Literal["app", "tenant", "policy", "device", "user"]


@dataclass(frozen=True)
class Finding:
    rule: str
    severity: Severity
    subject: str
    title: str
    detail: str
    evidence: Mapping[str, Any]
    remediation: str
    references: tuple[str, ...]

    def to_json(self) -> dict[str, Any]:
        return {
            "rule": self.rule,
            "severity": self.severity,
            "subject": self.subject,
            "title": self.title,
            "detail": self.detail,
            "evidence": dict(self.evidence),
            "remediation": self.remediation,
            "references": list(self.references),
        }


@dataclass(frozen=True)
class Rule:
    id: str
    title: str
    severity: Severity
    subject: SubjectKind
    # Why the rule exists, citing the public source it comes from (a Microsoft Learn page by URL, or a
    # public article by its title).
    rationale: str
    remediation: str
    references: tuple[str, ...]
    # The facts (fields of TenantFacts, described in monitor.sources) the rule cannot conclude without:
    # when one cannot be read the rule is skipped with the reason.
    reads: tuple[str, ...] = ()
    # Facts the rule uses when they are there (evidence, context) and goes without otherwise.
    also_reads: tuple[str, ...] = ()
    # The thresholds (fields of Thresholds) this rule reads, for docs/rules.md.
    thresholds: tuple[str, ...] = ()

    def finding(
        self,
        subject: str,
        detail: str,
        evidence: Mapping[str, Any] | None = None,
        *,
        title: str | None = None,
        severity: Severity | None = None,
        remediation: str | None = None,
    ) -> Finding:
        return Finding(
            rule=self.id,
            severity=severity or self.severity,
            subject=subject,
            title=title or self.title,
            detail=detail,
            evidence=evidence or {},
            remediation=remediation or self.remediation,
            references=self.references,
        )


@dataclass(frozen=True)
class Outcome:
    """What a rule concluded: its findings (none means pass) and a one-line reason."""

    findings: tuple[Finding, ...]
    reason: str

    @property
    def status(self) -> RuleStatus:
        return "fail" if self.findings else "pass"


def passed(reason: str) -> Outcome:
    return Outcome((), reason)


def failed(findings: list[Finding] | tuple[Finding, ...], reason: str) -> Outcome:
    if not findings:
        raise ValueError("failed() needs at least one finding; use passed()")
    return Outcome(tuple(findings), reason)


@dataclass(frozen=True)
class RuleResult:
    rule: str
    status: RuleStatus
    reason: str
    findings: tuple[Finding, ...] = ()

    def to_json(self) -> dict[str, str]:
        return {"rule": self.rule, "status": self.status, "reason": self.reason}


@dataclass(frozen=True)
class Case:
    """One of a rule's own test cases: given these facts, expect this status and these subjects."""

    name: str
    facts: TenantFacts
    status: RuleStatus
    subjects: tuple[str, ...] = ()
    thresholds: Thresholds = field(default_factory=Thresholds)
    # Extra checks on the findings (evidence values, detail text), for cases that need them.
    check: Callable[[tuple[Finding, ...]], None] | None = None
