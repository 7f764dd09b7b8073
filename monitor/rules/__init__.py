"""The rule catalog and the engine that runs it.

Rules are found by convention: every module of `monitor.rules.catalog` is one rule, and its module name
is its id with dots and dashes turned into underscores (`consent.pin-reset-service.missing` lives in
`consent_pin_reset_service_missing.py`). The registry refuses a module that breaks the convention, so
a rule cannot be renamed in one place and not the other, and a rule that names a fact `monitor.sources`
does not describe.

A rule's own cases live in the module of the same name under `monitor.rules.cases`; `rule_cases()` loads
them (tests and docs only, never a pass) and adds one generated case per fact the rule reads: the rule is
skipped, with the reason, when that fact cannot be read.
"""

from __future__ import annotations

import importlib
import logging
import pkgutil
from collections.abc import Callable
from dataclasses import dataclass, replace
from functools import cache
from types import ModuleType

from monitor import sources
from monitor.records import DataProblem, DataUnavailable, Readout, TenantFacts
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
    module: str


def module_name(rule_id: str) -> str:
    return rule_id.replace(".", "_").replace("-", "_")


def _entry(module: ModuleType) -> CatalogEntry:
    name = module.__name__.rsplit(".", 1)[-1]
    rule = getattr(module, "RULE", None)
    evaluate = getattr(module, "evaluate", None)
    if not isinstance(rule, Rule) or not callable(evaluate):
        raise RegistryError(f"rule module {name} must define RULE (a Rule) and evaluate()")
    if module_name(rule.id) != name:
        raise RegistryError(f"rule id {rule.id!r} does not match its module {name!r}")
    if rule.severity not in SEVERITIES:
        raise RegistryError(f"rule {rule.id} has unknown severity {rule.severity!r}")
    if not rule.reads:
        raise RegistryError(f"rule {rule.id} must declare the facts it reads (Rule.reads)")
    unknown_facts = sources.unknown_facts(rule.reads + rule.also_reads)
    if unknown_facts:
        raise RegistryError(f"rule {rule.id} reads facts monitor.sources does not describe: {unknown_facts}")
    unknown = set(rule.thresholds) - set(Thresholds.names())
    if unknown:
        raise RegistryError(f"rule {rule.id} names unknown thresholds {sorted(unknown)}")
    return CatalogEntry(rule, evaluate, module.__name__)


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


def rule_cases(entry: CatalogEntry) -> tuple[Case, ...]:
    """The rule's own cases, then one generated case per fact it reads: skipped when that fact is not
    there. The generated cases start from the module's `BASE` facts (default: the healthy tenant), a
    tenant in which the rule needs every fact it reads."""
    name = entry.module.rsplit(".", 1)[-1]
    try:
        module = importlib.import_module(f"monitor.rules.cases.{name}")
    except ModuleNotFoundError as exc:
        raise RegistryError(f"rule {entry.rule.id} has no cases module monitor.rules.cases.{name}") from exc
    cases = getattr(module, "CASES", None)
    if not isinstance(cases, tuple) or not all(isinstance(c, Case) for c in cases):
        raise RegistryError(f"monitor.rules.cases.{name} must define CASES, a tuple of Case")
    if not {"pass", "fail"} <= {case.status for case in cases}:
        raise RegistryError(f"rule {entry.rule.id} needs at least one pass case and one fail case")
    base = getattr(module, "BASE", None)
    if base is None:
        from monitor.rules.cases._builders import healthy

        base = healthy()
    generated = tuple(
        Case(
            f"is skipped when {sources.FACTS[fact].description} cannot be read (generated)",
            replace(
                base,
                **{fact: Readout.missing(DataProblem("skipped", f"permission missing: {fact}", fact))},
            ),
            "skipped",
        )
        for fact in entry.rule.reads
    )
    return cases + generated


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
        # One finding per rule and subject: the first one stands.
        findings.setdefault(finding.subject, finding)
    unusable = [u.describe() for name in entry.rule.reads if (u := _readout(facts, name).unusable)]
    if unusable and outcome.status == "pass":
        # What was read passes, but what could not be read might not: the rule cannot say it passed.
        return RuleResult(rule_id, "error", f"cannot conclude a pass: {'; '.join(unusable)}")
    reason = outcome.reason + "".join(f"; also, {u}" for u in unusable)
    return RuleResult(rule_id, outcome.status, reason, tuple(findings.values()))


def _readout(facts: TenantFacts, name: str) -> Readout[object]:
    value = getattr(facts, name)
    assert isinstance(value, Readout), name
    return value


def evaluate_all(facts: TenantFacts, thresholds: Thresholds) -> tuple[RuleResult, ...]:
    return tuple(run_rule(entry, facts, thresholds) for entry in load_catalog())
