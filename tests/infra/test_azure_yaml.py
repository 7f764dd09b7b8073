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
    assert scripts == [
        "infra/scripts/preprovision.sh",
        "infra/scripts/preprovision.ps1",
        "infra/scripts/postprovision.sh",
        "infra/scripts/postprovision.ps1",
    ]
    assert [s for s in scripts if not (REPO / s).is_file()] == []


def test_the_preprovision_hook_registers_every_resource_provider_infra_deploys_to() -> None:
    """A new subscription has few providers registered; the hook registers each one the Bicep uses.
    Microsoft.Resources and Microsoft.Authorization are registered in every subscription."""
    used = set()
    for bicep in (REPO / "infra").rglob("*.bicep"):
        used |= {m.lower() for m in re.findall(r"^resource \w+ '([\w.]+)/", bicep.read_text(), re.MULTILINE)}
    used -= {"microsoft.resources", "microsoft.authorization"}
    for script in ("preprovision.sh", "preprovision.ps1"):
        text = (REPO / "infra" / "scripts" / script).read_text()
        registered = {m.lower() for m in re.findall(r"\b(Microsoft\.\w+)\b", text)}
        assert sorted(used - registered) == [], script
