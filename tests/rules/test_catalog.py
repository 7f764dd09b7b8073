"""Every rule's own cases, run data-driven; and the registry's conventions."""

from __future__ import annotations

import types

import pytest

from monitor.rules import CatalogEntry, RegistryError, _entry, load_catalog, run_rule
from monitor.rules.base import SEVERITIES, Case, Rule, passed
from monitor.rules.cases import healthy
from monitor.thresholds import Thresholds

CASES = [
    pytest.param(entry, case, id=f"{entry.rule.id}: {case.name}")
    for entry in load_catalog()
    for case in entry.cases
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
def test_rule_has_pass_fail_and_skip_cases(entry: CatalogEntry) -> None:
    assert {"pass", "fail"} <= {case.status for case in entry.cases}
    assert {"skipped", "error"} & {case.status for case in entry.cases}, "a case for data that cannot be read"


def test_no_rule_fires_on_the_healthy_tenant() -> None:
    fired = [
        entry.rule.id for entry in load_catalog() if run_rule(entry, healthy(), Thresholds()).status != "pass"
    ]
    assert fired == []


def test_catalog_holds_the_issue_2_rules() -> None:
    assert {
        "consent.pin-reset-service.missing",
        "consent.pin-reset-client.missing",
        "consent.pin-reset-app.disabled",
        "signin.pin-reset.consent-errors",
    } <= {entry.rule.id for entry in load_catalog()}


def fake_rule_module(module_name: str, rule_id: str) -> types.ModuleType:
    module = types.ModuleType(f"monitor.rules.catalog.{module_name}")
    module.RULE = Rule(rule_id, "t", "low", "tenant", "r", "fix", ("ref",))  # type: ignore[attr-defined]
    module.evaluate = lambda facts, thresholds: passed("ok")  # type: ignore[attr-defined]
    module.CASES = (Case("p", healthy(), "pass"), Case("f", healthy(), "fail"))  # type: ignore[attr-defined]
    return module


def test_registry_refuses_a_rule_whose_id_does_not_match_its_module() -> None:
    with pytest.raises(RegistryError, match="does not match its module"):
        _entry(fake_rule_module("tap_policy_disabled", "tap.policy.enabled"))


def test_registry_accepts_a_rule_named_by_convention() -> None:
    assert (
        _entry(fake_rule_module("tap_policy_multi_use", "tap.policy.multi-use")).rule.id
        == "tap.policy.multi-use"
    )


def test_registry_refuses_a_module_without_cases() -> None:
    module = fake_rule_module("x_y", "x.y")
    del module.CASES
    with pytest.raises(RegistryError, match="CASES"):
        _entry(module)


def test_a_rule_that_crashes_reports_error_and_does_not_stop_the_others() -> None:
    module = fake_rule_module("x_y", "x.y")
    module.evaluate = lambda facts, thresholds: 1 / 0  # type: ignore[attr-defined]
    result = run_rule(_entry(module), healthy(), Thresholds())
    assert (result.status, result.reason) == (
        "error",
        "the rule itself failed: ZeroDivisionError: division by zero",
    )
