"""The least-privilege manifest: built from what rules read, printed by `python -m monitor permissions`,
and the README's permission list agrees with it."""

from __future__ import annotations

import re

import orjson
import pytest

from monitor import sources
from monitor.cli import main
from monitor.permissions import manifest
from monitor.rules import load_catalog
from tests.conftest import ROOT


def test_every_rule_appears_under_each_permission_its_facts_need() -> None:
    by_permission = {p["name"]: set(p["rules"]) for p in manifest()["permissions"]}
    for entry in load_catalog():
        for permission in sources.permissions_of(entry.rule.reads):
            assert entry.rule.id in by_permission[permission], (entry.rule.id, permission)


def test_the_manifest_names_graph_and_lists_what_the_sign_in_rules_need() -> None:
    document = manifest()
    assert (document["resource"], document["resourceAppId"], document["type"]) == (
        "Microsoft Graph",
        "00000003-0000-0000-c000-000000000000",
        "application",
    )
    (audit,) = [p for p in document["permissions"] if p["name"] == "AuditLog.Read.All"]
    assert audit["rules"] == [
        "signin.pin-reset.consent-errors",
        "signin.pin-reset.failure-spike",
        "tap.issued.privileged-user",
        "tap.signin.failure-burst",
        "tap.signin.risky",
    ]
    assert "SOC view of TAP sign-ins" in audit["features"]
    assert audit["condition"] is None


def test_the_command_prints_the_manifest_as_json(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["permissions", "--format", "json"]) == 0
    assert orjson.loads(capsys.readouterr().out) == manifest()


def test_the_readme_lists_exactly_the_permissions_always_needed() -> None:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    listed = re.search(r"needs these application permissions\s+\(read only\):\n\n(.+?)\n\n", readme, re.S)
    assert listed is not None
    names = set(re.findall(r"`([A-Za-z.\-]+)`", listed.group(1)))
    always = {p["name"] for p in manifest()["permissions"] if p["condition"] is None}
    assert names == always
