"""The rule catalog and the engine that runs it.

Rules are found by convention: every module of `monitor.rules.catalog` is one rule, and its module name
is its id with dots and dashes turned into underscores (`consent.pin-reset-service.missing` lives in
`consent_pin_reset_service_missing.py`). The registry refuses a module that breaks the convention, so
a rule cannot be renamed in one place and not the other.
"""

from __future__ import annotations

import importlib
import logging
import pkgutil
from collections.abc import Callable
from dataclasses import dataclass
from functools import cache
from types import ModuleType

from monitor.records import DataUnavailable, TenantFacts
from monitor.rules import catalog
from monitor.rules.base import SEVERITIES, Case, Finding, Outcome, Rule, RuleResult
from monitor.thresholds import Thresholds

log = logging.getLogger(__name__)


class RegistryError(Exception):
    pass


@dataclass(frozen=True)
class CatalogEntry:
    rule: Rule
    evaluate: Callable[[TenantFacts, Thresholds], Outcome]
    cases: tuple[Case, ...]
    module: str


def module_name(rule_id: str) -> str:
    return rule_id.replace(".", "_").replace("-", "_")


def _entry(module: ModuleType) -> CatalogEntry:
    name = module.__name__.rsplit(".", 1)[-1]
    rule = getattr(module, "RULE", None)
    evaluate = getattr(module, "evaluate", None)
    cases = getattr(module, "CASES", None)
    if not isinstance(rule, Rule) or not callable(evaluate) or not isinstance(cases, tuple):
        raise RegistryError(f"rule module {name} must define RULE (a Rule), evaluate() and CASES (a tuple)")
    if module_name(rule.id) != name:
        raise RegistryError(f"rule id {rule.id!r} does not match its module {name!r}")
    if rule.severity not in SEVERITIES:
        raise RegistryError(f"rule {rule.id} has unknown severity {rule.severity!r}")
    statuses = {case.status for case in cases}
    if not {"pass", "fail"} <= statuses:
        raise RegistryError(f"rule {rule.id} needs at least one pass case and one fail case")
    unknown = set(rule.thresholds) - set(Thresholds.names())
    if unknown:
        raise RegistryError(f"rule {rule.id} names unknown thresholds {sorted(unknown)}")
    return CatalogEntry(rule, evaluate, cases, module.__name__)


@cache
def load_catalog() -> tuple[CatalogEntry, ...]:
    """Every rule, sorted by id."""
    entries = [
        _entry(importlib.import_module(f"{catalog.__name__}.{info.name}"))
        for info in pkgutil.iter_modules(catalog.__path__)
        if not info.name.startswith("_")
    ]
    ids = [entry.rule.id for entry in entries]
    duplicates = {rule_id for rule_id in ids if ids.count(rule_id) > 1}
    if duplicates:
        raise RegistryError(f"duplicate rule ids: {sorted(duplicates)}")
    return tuple(sorted(entries, key=lambda entry: entry.rule.id))


def run_rule(entry: CatalogEntry, facts: TenantFacts, thresholds: Thresholds) -> RuleResult:
    rule_id = entry.rule.id
    try:
        outcome = entry.evaluate(facts, thresholds)
    except DataUnavailable as missing:
        return RuleResult(rule_id, missing.problem.kind, missing.problem.reason)
    except Exception as exc:
        log.exception("rule failed: rule=%s", rule_id)
        return RuleResult(rule_id, "error", f"the rule itself failed: {type(exc).__name__}: {exc}")
    findings: dict[str, Finding] = {}
    for finding in outcome.findings:
        if finding.rule != rule_id:
            return RuleResult(rule_id, "error", f"the rule produced a finding for {finding.rule!r}")
        # One finding per rule and subject (SPEC §2): the first one stands.
        findings.setdefault(finding.subject, finding)
    return RuleResult(rule_id, outcome.status, outcome.reason, tuple(findings.values()))


def evaluate_all(facts: TenantFacts, thresholds: Thresholds) -> tuple[RuleResult, ...]:
    return tuple(run_rule(entry, facts, thresholds) for entry in load_catalog())
