"""azure.yaml read as text: the one service azd deploys, and hooks that point at scripts that exist."""

from __future__ import annotations

import re
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
AZURE_YAML = (REPO / "azure.yaml").read_text()


def test_azd_deploys_the_repository_as_one_python_function_app() -> None:
    service = AZURE_YAML.split("services:\n", 1)[1].split("\nhooks:", 1)[0]
    assert service.splitlines() == [
        "  api:",
        "    project: .",
        "    language: python",
        "    host: function",
    ]
    # The Bicep tags the Function App with the same service name, which is how azd finds it.
    assert "'azd-service-name': 'api'" in (REPO / "infra" / "app" / "api.bicep").read_text()


def test_every_hook_runs_a_script_in_infra_scripts() -> None:
    scripts = re.findall(r"^\s+run: \./(\S+)$", AZURE_YAML, re.MULTILINE)
    assert scripts == ["infra/scripts/postprovision.sh", "infra/scripts/postprovision.ps1"]
    assert [s for s in scripts if not (REPO / s).is_file()] == []
