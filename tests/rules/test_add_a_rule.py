"""The README's "Add a rule" is true: a throw-away rule added in exactly the places it names passes the
checks that hold a rule (tests/rules/rule_checks.py), and leaving out any one of them fails a check
whose message names what is missing.

Everything happens in a copy of the repository under tmp_path (the bundled tenants are linked, not
copied); each variant runs the checks once in a fresh interpreter, two at a time, and a variant with a
step left out stops at its first failing check.
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.conftest import ROOT
from tests.test_docs import NUMBERS

RULE_ID = "tap.policy.throwaway-example"
NAME = "tap_policy_throwaway_example"

CATALOG = f'''"""{RULE_ID}: exists only in the copy tests/rules/test_add_a_rule.py makes."""

from __future__ import annotations

from monitor.records import TenantFacts
from monitor.rules.base import Outcome, Rule, failed, passed
from monitor.rules.catalog._tap import TAP_DOC, TAP_POLICY_ID, policy_evidence
from monitor.thresholds import Thresholds

RULE = Rule(
    id="{RULE_ID}",
    title="Temporary Access Pass may live longer than thirty days",
    severity="low",
    subject="policy",
    rationale="Microsoft Entra allows a pass to live at most 30 days (Configure Temporary Access Pass).",
    remediation="Lower the policy's maximum lifetime.",
    reads=("tap_policy",),
    references=(TAP_DOC,),
)


def evaluate(facts: TenantFacts, thresholds: Thresholds) -> Outcome:
    policy = facts.tap_policy.get()
    if (policy.maximum_lifetime_minutes or 0) <= 43_200:
        return passed("the longest pass lives at most thirty days")
    finding = RULE.finding(TAP_POLICY_ID, "Passes may live beyond thirty days.", policy_evidence(policy))
    return failed([finding], "maximum lifetime beyond thirty days")
'''

CASES = '''"""The own test cases of the throw-away rule."""

from __future__ import annotations

from monitor.records import Readout
from monitor.rules.base import Case
from monitor.rules.cases._builders import healthy, tap_policy
from monitor.rules.catalog._tap import TAP_POLICY_ID

CASES = (
    Case("passes within thirty days", healthy(), "pass"),
    Case(
        "fails beyond thirty days",
        healthy(tap_policy=Readout.of(tap_policy(maximum_lifetime_minutes=50_000))),
        "fail",
        (TAP_POLICY_ID,),
    ),
)
'''


def insert_before(path: Path, anchor: str, text: str) -> None:
    source = path.read_text(encoding="utf-8")
    assert source.count(anchor) == 1, f"{path.name} no longer holds {anchor!r}: update this test"
    path.write_text(source.replace(anchor, text + anchor), encoding="utf-8")


def add_catalog(root: Path) -> None:
    (root / f"monitor/rules/catalog/{NAME}.py").write_text(CATALOG, encoding="utf-8")


def add_cases(root: Path) -> None:
    (root / f"monitor/rules/cases/{NAME}.py").write_text(CASES, encoding="utf-8")


def add_message(root: Path) -> None:
    insert_before(root / "monitor/alerts/facts.py", "}\n\n_GUID = ", f'    "{RULE_ID}": _tap_policy,\n')


def add_oracle_line(root: Path) -> None:
    line = f'    result["{RULE_ID}"] = subject if policy["maximumLifetimeInMinutes"] > 43_200 else []\n'
    insert_before(
        root / "tests/examples/test_tenantgen.py", "    privileged = snapshot.privileged_holders()\n", line
    )


def raise_count(root: Path) -> None:
    readme = root / "README.md"
    text = readme.read_text(encoding="utf-8")
    said = re.search(r"^(\w+) rules, each a module", text, re.MULTILINE)
    assert said, "README.md no longer says how many rules there are"
    words = {n: word for word, n in NUMBERS.items()}
    more = words[NUMBERS[said.group(1).lower()] + 1].capitalize()
    readme.write_text(text[: said.start(1)] + more + text[said.end(1) :], encoding="utf-8")


@dataclass(frozen=True)
class Step:
    readme: str  # how the README's numbered item names the file
    do: Callable[[Path], None] | None  # None: the checks' interpreter regenerates docs/rules.md
    named: str  # what a failing check must say when the step is left out


STEPS = (
    Step(
        "monitor/rules/catalog/<id with dots and dashes as underscores>.py",
        add_catalog,
        "monitor/rules/catalog/",
    ),
    Step("monitor/rules/cases/<same name>.py", add_cases, f"monitor.rules.cases.{NAME}"),
    Step("monitor/alerts/facts.py", add_message, "monitor/alerts/facts.py"),
    Step("tests/examples/test_tenantgen.py", add_oracle_line, "tests/examples/test_tenantgen.py"),
    Step("docs/rules.md", None, "docs/rules.md"),
    Step("README.md", raise_count, "README.md"),
)


def readme_steps() -> list[str]:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    section = readme.split("## Add a rule", 1)[1].split("\n## ", 1)[0]
    return re.findall(r"^\d+\. `([^`]+)`", section, re.MULTILINE)


def test_the_readme_names_the_steps_this_test_takes() -> None:
    assert readme_steps() == [step.readme for step in STEPS]


@pytest.fixture
def base(tmp_path: Path) -> Path:
    """What the checks read: the package, the tests, the generator (its tenants linked), the docs."""
    root = tmp_path / "repo"

    # The compiled modules come along (their sources keep their times): each interpreter need not compile.
    def ignore(folder: str, names: list[str]) -> list[str]:  # examples/tenants is linked below
        return ["tenants"] if Path(folder) == ROOT / "examples" else []

    for folder in ("monitor", "tests", "examples", "graphsim", "docs"):
        shutil.copytree(ROOT / folder, root / folder, ignore=ignore)
    shutil.copy2(ROOT / "README.md", root / "README.md")
    (root / "examples/tenants").symlink_to(ROOT / "examples/tenants", target_is_directory=True)
    # tests/test_docs.py lists the tracked docs when it is imported: an empty repository has none.
    subprocess.run(["git", "init", "-q", str(root)], check=True)
    return root


def checks(base: Path, skip: Step | None) -> dict[str, str | None]:
    root = base.parent / f"{base.name}-{STEPS.index(skip) if skip else 'all'}"
    shutil.copytree(base, root, symlinks=True)
    for step in STEPS:
        if step is not skip and step.do is not None:
            step.do(root)
    options = [] if skip is not None and skip.do is None else ["--regenerate"]
    # With a step left out, the first failing check is the answer (as pytest -x would stop there).
    options += ["--exitfirst"] if skip is not None else []
    done = subprocess.run(
        [sys.executable, "-m", "tests.rules.rule_checks", *options],
        cwd=root,
        capture_output=True,
        text=True,
        timeout=180,
    )
    assert done.returncode == 0, done.stderr
    results: dict[str, str | None] = json.loads(done.stdout.splitlines()[-1])
    return results


def test_a_rule_in_the_named_files_passes_and_leaving_out_any_one_fails_naming_it(base: Path) -> None:
    # One test, so that under pytest-xdist one worker runs the variants (each in its own interpreter).
    variants: list[Step | None] = [None, *STEPS]
    with ThreadPoolExecutor(max_workers=2) as pool:
        outcomes = dict(zip(variants, pool.map(lambda skip: checks(base, skip), variants), strict=True))

    assert outcomes[None] == dict.fromkeys(outcomes[None]), outcomes[None]
    for step in STEPS:
        failures = {name: why for name, why in outcomes[step].items() if why}
        assert failures, f"nothing failed without {step.readme}"
        assert any(step.named in why for why in failures.values()), (step.readme, failures)
