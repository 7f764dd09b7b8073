"""The repository stands alone: a clone with nothing beside it has everything its code and tests read.

A tracked link to a folder on the machine that wrote it, or a test that reads a file from a folder next to
the checkout, passes where it was written and fails in every other clone.
"""

from __future__ import annotations

import re
import subprocess

import pytest

from tests.conftest import ROOT

# CI's own script runs the team's deployment checks from beside the checkout when they exist there
# (scripts/deploy-checks.sh skips them otherwise): that is the one place allowed to look outside.
# This file holds examples of the ways out, to show that the check sees them.
LOOKS_OUTSIDE_ON_PURPOSE = {"scripts/deploy-checks.sh", "tests/test_repository.py"}


def tracked() -> list[tuple[str, str, str]]:
    """(mode, blob, path) of every file git tracks."""
    out = subprocess.run(
        ["git", "-C", str(ROOT), "ls-files", "-s"], check=True, capture_output=True, text=True
    ).stdout
    rows = []
    for line in out.splitlines():
        meta, path = line.split("\t", 1)
        mode, blob = meta.split()[:2]
        rows.append((mode, blob, path))
    return rows


def test_no_tracked_link_points_outside_the_repository() -> None:
    outside = []
    for mode, blob, path in tracked():
        if mode != "120000":
            continue
        # A link's blob is its target; read from git, so a link whose target is gone is still seen.
        link = subprocess.run(
            ["git", "-C", str(ROOT), "cat-file", "blob", blob], check=True, capture_output=True, text=True
        ).stdout
        target = (ROOT / path).parent / link
        if not target.resolve().is_relative_to(ROOT.resolve()):
            outside.append(f"{path} -> {target}")
    assert not outside, f"tracked links that leave the repository: {outside}"


# Ways code reaches above the repository root: a literal path next to the checkout or on this machine,
# ROOT.parent, and Path(__file__).parents[N] with N past the root.
LITERAL = re.compile(r"""["'](?:\.\./+)+(?:shared|work|wt-)|["']/work/""")
ROOT_PARENT = re.compile(r"\bROOT\.parent\b")
PARENTS = re.compile(r"Path\(__file__\)\.resolve\(\)\.parents\[(\d+)\]")


def reaches_outside(path: str, text: str) -> list[str]:
    depth = path.count("/")  # parents[depth] of a file is the repository root
    found = []
    for number, line in enumerate(text.splitlines(), 1):
        if LITERAL.search(line) or ROOT_PARENT.search(line):
            found.append(f"{path}:{number}: {line.strip()}")
        for match in PARENTS.finditer(line):
            if int(match.group(1)) > depth:
                found.append(f"{path}:{number}: {line.strip()}")
    return found


def test_no_code_or_test_reads_a_path_outside_the_repository() -> None:
    found = []
    for mode, _, path in tracked():
        if mode == "120000" or path in LOOKS_OUTSIDE_ON_PURPOSE:
            continue
        if not path.endswith((".py", ".sh", ".ps1")) and path != ".ci/run":
            continue
        found += reaches_outside(path, (ROOT / path).read_text(encoding="utf-8"))
    assert not found, "code that reads outside the repository:\n" + "\n".join(found)


@pytest.mark.parametrize(
    ("path", "line"),
    [
        ("tests/alerts/test_cards.py", 'S = Path(__file__).resolve().parents[3] / "shared" / "x.json"'),
        ("tests/weekly/test_send.py", 'S = ROOT.parent / "shared" / "data" / "x.json"'),
        ("scripts/x.sh", 'cp "../shared/data/x.json" .'),
    ],
)
def test_the_check_sees_each_way_out(path: str, line: str) -> None:
    assert reaches_outside(path, line)


def test_the_check_lets_paths_inside_pass() -> None:
    assert not reaches_outside("tests/alerts/test_cards.py", "S = Path(__file__).resolve().parents[1] / 'x'")
