"""What the docs name exists: every MONITOR_* setting they mention is one the code or infra/ reads, every
repository path they point to is in the repository, and the README's rule count is the catalog's.

A reader who follows a doc to a setting the code never reads, or to a file that is not there, has been
misled; these checks keep the docs honest as the code moves.
"""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

import pytest

from monitor.rules import load_catalog
from monitor.thresholds import Thresholds
from tests.conftest import ROOT


def tracked(*patterns: str) -> list[Path]:
    out = subprocess.run(
        ["git", "-C", str(ROOT), "ls-files", *patterns], check=True, capture_output=True, text=True
    ).stdout
    return [ROOT / line for line in out.splitlines() if (ROOT / line).is_file()]


DOCS = [
    p
    for p in tracked("*.md", "infra/scripts/*", "devices/*")
    if p.suffix in {".md", ".py", ".sh", ".ps1"} and "tests/" not in str(p.relative_to(ROOT))
]
SETTING = re.compile(r"\bMONITOR_[A-Z0-9_]*[A-Z0-9]\b")


def code_text() -> str:
    """Everything that can read a setting: the package, the app, the Bicep and the azd hooks."""
    files = tracked("monitor/*.py", "function_app.py", "infra/*.bicep", "infra/*.json", "infra/scripts/*")
    return "\n".join(p.read_text(encoding="utf-8") for p in files)


def test_every_setting_the_docs_name_is_read_by_the_code_or_set_by_infra() -> None:
    code = code_text()
    read = set(SETTING.findall(code))
    # Rule thresholds are read by name: MONITOR_<FIELD> for each field of Thresholds.
    read |= {f"MONITOR_{name.upper()}" for name in Thresholds.names()}
    # Prefixes the code builds names from, e.g. MONITOR_ALERT_TEAMS_<NAME>_URL.
    missing = []
    for doc in DOCS:
        for number, line in enumerate(doc.read_text(encoding="utf-8").splitlines(), 1):
            for name in SETTING.findall(line):
                if name in read or any(name.startswith(r + "_") for r in read if r.endswith("_")):
                    continue
                if f"{name}_" in code:  # a family the code reads by prefix
                    continue
                missing.append(f"{doc.relative_to(ROOT)}:{number}: {name}")
    assert not missing, "settings the docs name that nothing reads:\n" + "\n".join(missing)


TOP = (
    "monitor|docs|examples|infra|scripts|tests|bench|devices|graphsim|tools|function_app\\.py|host\\.json"
    "|azure\\.yaml|requirements[\\w-]*\\.txt|pyproject\\.toml|\\.funcignore|\\.ci"
)
PATH = re.compile(rf"(?:`|\]\()(?:\./)?((?:{TOP})(?:/[\w.\-]+)*/?)(?:[:#][\w\-]*)?(?:`|\))")


# In a shell example a path stands between spaces: `monitor ingest-device-report examples/x.json`.
COMMAND_PATH = re.compile(rf"(?:^|\s|=)((?:{TOP})(?:/[\w.\-]+)+/?)(?=\s|$|;|\))")


def paths_in(text: str, *, in_code: bool = False) -> list[str]:
    found = PATH.findall(text) + (COMMAND_PATH.findall(text) if in_code else [])
    return [m for m in found if "<" not in m and "*" not in m]


def test_every_repository_path_the_docs_point_to_exists() -> None:
    missing = []
    for doc in DOCS:
        fenced = doc.suffix != ".md"
        for number, line in enumerate(doc.read_text(encoding="utf-8").splitlines(), 1):
            if doc.suffix == ".md" and line.lstrip().startswith("```"):
                fenced = not fenced
                continue
            for path in paths_in(line, in_code=fenced):
                if not (ROOT / path).exists():
                    missing.append(f"{doc.relative_to(ROOT)}:{number}: {path}")
    assert not missing, "paths the docs name that are not in the repository:\n" + "\n".join(missing)


@pytest.mark.parametrize(
    ("line", "found"),
    [
        ("see `examples/device-reports/a.json`", ["examples/device-reports/a.json"]),
        ("[docs/rules.md](docs/rules.md)", ["docs/rules.md"]),
        ("`monitor/rules/catalog/<id>.py`", []),
        ("`scripts/demo.sh tap-suspicious`", []),
    ],
)
def test_the_path_finder_reads_backticks_and_links(line: str, found: list[str]) -> None:
    assert paths_in(line) == found


def test_the_path_finder_reads_paths_in_shell_examples() -> None:
    line = ".venv/bin/python -m monitor ingest-device-report examples/device-reports/destructive-only.json"
    assert paths_in(line, in_code=True) == ["examples/device-reports/destructive-only.json"]


WORDS = (
    "zero one two three four five six seven eight nine ten eleven twelve thirteen fourteen fifteen sixteen"
    " seventeen eighteen nineteen twenty"
)
NUMBERS = {word: n for n, word in enumerate(WORDS.split())}


def test_the_readme_counts_the_rules_the_catalog_has() -> None:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    said = re.search(r"^(\w+) rules, each a module", readme, re.MULTILINE)
    assert said, "README's 'What it checks' no longer says how many rules"
    rules = len(load_catalog())
    assert NUMBERS[said.group(1).lower()] == rules, (
        f"README.md's 'What it checks' says {said.group(1).lower()} rules; the catalog has {rules}"
    )
