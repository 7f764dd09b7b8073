"""infra/scripts/entra_log_stream.py: Entra ID's diagnostic setting made through the diagnostic settings API
(not a tenant-scope deployment), and a subscription owner who may not make it told who can.

The Azure CLI cannot be installed here: a stand-in `az` on PATH records each `az rest` call and answers as
ARM does (its answer texts follow `az rest`'s "ERROR: <reason>" form).
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
SCRIPT = REPO / "infra" / "scripts" / "entra_log_stream.py"
RULE = (
    "/subscriptions/00000000-0000-0000-0000-000000000001/resourceGroups/rg-pinmon/providers/"
    "Microsoft.EventHub/namespaces/evhns-pinmon/authorizationRules/entra-diagnostics"
)
ARGS = ("--name", "pin-reset-monitor-abc", "--authorization-rule-id", RULE, "--hub", "entra-logs")

FAKE_AZ = """#!{python}
import json, sys
args = sys.argv[1:]
body = json.load(open(args[args.index("--body") + 1][1:]))
json.dump({{"args": args, "body": body}}, open({log!r}, "w"))
if {refuse!r}:
    print("ERROR: (AuthorizationFailed) The client 'owner@contoso.com' with object id '1' does not have "
          "authorization to perform action 'microsoft.aadiam/diagnosticSettings/write'", file=sys.stderr)
    sys.exit(1)
print("{{}}")
"""


def run(tmp_path: Path, *extra: str, refuse: bool = False) -> tuple[subprocess.CompletedProcess[str], Path]:
    log = tmp_path / "call.json"
    az = tmp_path / "az"
    az.write_text(FAKE_AZ.format(python=sys.executable, log=str(log), refuse=refuse))
    az.chmod(0o755)
    done = subprocess.run(
        [sys.executable, str(SCRIPT), *ARGS, *extra],
        capture_output=True,
        text=True,
        env={"PATH": f"{tmp_path}:/usr/bin:/bin"},
        timeout=60,
        check=False,
    )
    return done, log


def test_the_setting_streams_sign_in_and_audit_logs_to_the_hub(tmp_path: Path) -> None:
    done, log = run(tmp_path)
    assert (done.returncode, done.stderr) == (0, "")
    call = json.loads(log.read_text())
    args = call["args"]
    assert args[:3] == ["rest", "--method", "put"]
    assert args[args.index("--url") + 1] == (
        "https://management.azure.com/providers/microsoft.aadiam/diagnosticSettings/"
        "pin-reset-monitor-abc?api-version=2017-04-01"
    )
    assert call["body"] == {
        "properties": {
            "eventHubAuthorizationRuleId": RULE,
            "eventHubName": "entra-logs",
            "logs": [
                {"category": "SignInLogs", "enabled": True},
                {"category": "NonInteractiveUserSignInLogs", "enabled": True},
                {"category": "AuditLogs", "enabled": True},
            ],
        }
    }


@pytest.mark.parametrize("if_allowed", [False, True])
def test_an_owner_without_the_entra_role_is_told_who_can(tmp_path: Path, if_allowed: bool) -> None:
    done, _ = run(tmp_path, *(("--if-allowed",) if if_allowed else ()), refuse=True)
    if not if_allowed:
        assert done.returncode == 1
        assert "AuthorizationFailed" in done.stderr
        return
    assert (done.returncode, done.stderr) == (0, "")
    assert "Security Administrator or Global Administrator" in done.stdout
    assert f"--authorization-rule-id {RULE}" in done.stdout


def test_without_the_hub_it_says_what_is_missing(tmp_path: Path) -> None:
    done = subprocess.run(
        [sys.executable, str(SCRIPT), "--name", "x"],
        capture_output=True,
        text=True,
        env={"PATH": "/usr/bin:/bin"},
        timeout=60,
        check=False,
    )
    assert done.returncode == 2
    assert done.stderr == (
        "error: --authorization-rule-id, --hub required (azd sets them when the log stream is on)\n"
    )
