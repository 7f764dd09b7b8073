"""docs/rules.md is generated from the catalog; this fails when someone forgot to regenerate it."""

from __future__ import annotations

from monitor.rules import load_catalog
from monitor.rules.reference import render
from tests.conftest import ROOT


def test_docs_rules_md_is_current() -> None:
    committed = (ROOT / "docs" / "rules.md").read_text(encoding="utf-8")
    assert committed == render(), (
        "docs/rules.md is stale: run python -m monitor rules --format markdown --output docs/rules.md"
    )


def test_the_reference_documents_every_rule_and_threshold() -> None:
    text = render()
    for entry in load_catalog():
        assert f"## `{entry.rule.id}`" in text
    assert "| `MONITOR_TAP_MAX_LIFETIME_HOURS` | 8 | `tap.policy.lifetime-too-long` |" in text
