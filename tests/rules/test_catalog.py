"""Every rule's own cases, run data-driven; and the registry's conventions."""

from __future__ import annotations

import pkgutil
import re
import types

import pytest

from monitor.rules import CatalogEntry, RegistryError, _entry, load_catalog, rule_cases, run_rule
from monitor.rules import cases as cases_package
from monitor.rules.base import SEVERITIES, Case, Rule, passed
from monitor.rules.cases._builders import healthy
from monitor.thresholds import Thresholds

CASES = [
    pytest.param(entry, case, id=f"{entry.rule.id}: {case.name}")
    for entry in load_catalog()
    for case in rule_cases(entry)
]


@pytest.mark.parametrize(("entry", "case"), CASES)
def test_rule_case(entry: CatalogEntry, case: Case) -> None:
    result = run_rule(entry, case.facts, case.thresholds)

    assert result.status == case.status, result.reason
    assert sorted(f.subject for f in result.findings) == sorted(case.subjects)
    assert result.reason
    for finding in result.findings:
        assert finding.rule == entry.rule.id
        assert finding.severity in SEVERITIES
        assert finding.detail
        assert finding.remediation
        assert finding.references
    if case.check is not None:
        case.check(result.findings)


@pytest.mark.parametrize("entry", load_catalog(), ids=lambda e: e.rule.id)
def test_rule_has_pass_fail_and_a_generated_skip_case_per_fact_it_reads(entry: CatalogEntry) -> None:
    cases = rule_cases(entry)
    assert {"pass", "fail"} <= {case.status for case in cases}
    generated = [case for case in cases if case.name.endswith("(generated)")]
    assert len(generated) == len(entry.rule.reads)
    assert {case.status for case in generated} == {"skipped"}


def test_no_rule_fires_on_the_healthy_tenant() -> None:
    fired = [
        entry.rule.id for entry in load_catalog() if run_rule(entry, healthy(), Thresholds()).status != "pass"
    ]
    assert fired == []


def test_every_cases_module_belongs_to_a_rule() -> None:
    rules = {entry.module.rsplit(".", 1)[-1] for entry in load_catalog()}
    found = pkgutil.iter_modules(cases_package.__path__)
    modules = {info.name for info in found if not info.name.startswith("_")}
    orphans = sorted(modules - rules)
    assert not orphans, f"cases modules without a rule in monitor/rules/catalog/: {orphans}"


def test_catalog_holds_the_consent_rules() -> None:
    assert {
        "consent.pin-reset-service.missing",
        "consent.pin-reset-client.missing",
        "consent.pin-reset-app.disabled",
        "signin.pin-reset.consent-errors",
    } <= {entry.rule.id for entry in load_catalog()}


def fake_rule_module(module_name: str, rule_id: str) -> types.ModuleType:
    module = types.ModuleType(f"monitor.rules.catalog.{module_name}")
    module.RULE = Rule(  # type: ignore[attr-defined]
        rule_id, "t", "low", "tenant", "r", "fix", ("ref",), reads=("tap_policy",)
    )
    module.evaluate = lambda facts, thresholds: passed("ok")  # type: ignore[attr-defined]
    return module


def test_registry_refuses_a_rule_whose_id_does_not_match_its_module() -> None:
    with pytest.raises(RegistryError, match="does not match its module"):
        _entry(fake_rule_module("tap_policy_disabled", "tap.policy.enabled"))


def test_registry_accepts_a_rule_named_by_convention() -> None:
    assert (
        _entry(fake_rule_module("tap_policy_multi_use", "tap.policy.multi-use")).rule.id
        == "tap.policy.multi-use"
    )


def test_registry_refuses_a_rule_that_does_not_say_what_it_reads() -> None:
    module = fake_rule_module("x_y", "x.y")
    module.RULE = Rule("x.y", "t", "low", "tenant", "r", "fix", ("ref",))  # type: ignore[attr-defined]
    with pytest.raises(RegistryError, match="must declare the facts it reads"):
        _entry(module)


def test_registry_refuses_a_fact_the_sources_do_not_describe() -> None:
    module = fake_rule_module("x_y", "x.y")
    module.RULE = Rule(  # type: ignore[attr-defined]
        "x.y", "t", "low", "tenant", "r", "fix", ("ref",), reads=("tap_policy", "moon_phase")
    )
    with pytest.raises(RegistryError, match=r"does not describe: \['moon_phase'\]"):
        _entry(module)


def test_a_rule_without_a_cases_module_cannot_list_its_cases() -> None:
    with pytest.raises(RegistryError, match=r"has no cases module monitor\.rules\.cases\.x_y"):
        rule_cases(_entry(fake_rule_module("x_y", "x.y")))


def test_a_rule_that_crashes_reports_error_and_does_not_stop_the_others() -> None:
    module = fake_rule_module("x_y", "x.y")
    module.evaluate = lambda facts, thresholds: 1 / 0  # type: ignore[attr-defined]
    result = run_rule(_entry(module), healthy(), Thresholds())
    assert (result.status, result.reason) == (
        "error",
        "the rule itself failed: ZeroDivisionError: division by zero",
    )


@pytest.mark.parametrize("entry", load_catalog(), ids=lambda e: e.rule.id)
def test_a_rule_cites_public_sources_only(entry: CatalogEntry) -> None:
    rule = entry.rule
    assert rule.references
    assert all(ref.startswith("https://") for ref in rule.references), rule.references
    for text in (rule.rationale, rule.remediation, *rule.references):
        assert not re.search(r"seeds?/|seed 0|SPEC §|DOMAIN\.md", text, re.IGNORECASE), text
