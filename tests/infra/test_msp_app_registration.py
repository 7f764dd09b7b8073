"""infra/scripts/msp_app_registration.py: the multi-tenant app registration and its federated credential
trusting the managed identity, upserted through Graph (created once, then brought up to date), and an
account that may not create app registrations told who can.

The Azure CLI cannot be installed here: a stand-in `az` on PATH keeps a small directory of Graph objects
in a JSON file, answers `az rest` as Graph does (201 with the object on create, nothing on a 204) and
records every call (its refusal text follows `az rest`'s "ERROR: <reason>" form).
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

REPO = Path(__file__).resolve().parents[2]
HERE = Path(__file__).parent
SCRIPT = REPO / "infra" / "scripts" / "msp_app_registration.py"
PRINCIPAL = "7c1e4f0a-3b2d-4e5f-8a9b-0c1d2e3f4a5b"
TENANT = "0a1b2c3d-4e5f-4a6b-8c7d-9e0f1a2b3c4d"
ARGS = ("--manifest", str(HERE / "permissions-manifest.json"), "--principal-id", PRINCIPAL)
ARGS += ("--tenant-id", TENANT, "--unique-name", "pin-reset-monitor-msp-prod")

FAKE_AZ = """#!{python}
import json, sys
state_file, graph_sp = {state!r}, {graph_sp!r}
args = sys.argv[1:]
state = json.load(open(state_file))
method, url = args[args.index("--method") + 1], args[args.index("--url") + 1]
body = json.load(open(args[args.index("--body") + 1][1:])) if "--body" in args else None
headers = args[args.index("--headers") + 1:] if "--headers" in args else []
state["calls"].append({{"method": method, "url": url, "body": body, "headers": headers}})
answer = None
if {refuse!r} and method == "patch":
    json.dump(state, open(state_file, "w"))
    print("ERROR: Forbidden({{\\"error\\":{{\\"code\\":\\"Authorization_RequestDenied\\","
          "\\"message\\":\\"Insufficient privileges to complete the operation.\\"}}}})", file=sys.stderr)
    sys.exit(1)
if method == "get" and "/servicePrincipals?" in url:
    answer = {{"value": [json.load(open(graph_sp))]}}
elif "/applications(uniqueName=" in url and method == "patch":
    if state["app"] is None:
        state["app"] = dict(body, id="app-object-1", appId="9b3c0d2e-1f4a-4b5c-8d6e-7f8091a2b3c4")
        answer = state["app"]
    else:
        state["app"].update(body)
elif "/applications(uniqueName=" in url and method == "get":
    answer = {{"id": state["app"]["id"], "appId": state["app"]["appId"]}}
elif "/federatedIdentityCredentials(name=" in url and method == "patch":
    state["credentials"][url.split("(name='")[1].split("'")[0]] = body
json.dump(state, open(state_file, "w"))
if answer is not None:
    print(json.dumps(answer))
"""


def run(tmp_path: Path, *extra: str, refuse: bool = False) -> tuple[subprocess.CompletedProcess[str], Any]:
    state = tmp_path / "graph.json"
    if not state.exists():
        state.write_text(json.dumps({"app": None, "credentials": {}, "calls": []}))
    az = tmp_path / "az"
    az.write_text(
        FAKE_AZ.format(
            python=sys.executable,
            state=str(state),
            graph_sp=str(HERE / "graph-service-principal.json"),
            refuse=refuse,
        )
    )
    az.chmod(0o755)
    done = subprocess.run(
        [sys.executable, str(SCRIPT), *ARGS, *extra],
        capture_output=True,
        text=True,
        env={"PATH": f"{tmp_path}:/usr/bin:/bin"},
        timeout=60,
        check=False,
    )
    return done, json.loads(state.read_text())


READ_ROLES = [
    "role-auditlog",
    "role-directory",
    "role-application",
    "role-policy",
    "role-tap",
    "role-roles",
    "role-devices",
    "role-configuration",
    "role-domains",
]


def test_the_app_is_multi_tenant_asks_for_the_read_permissions_and_trusts_the_mi(tmp_path: Path) -> None:
    done, graph = run(tmp_path)
    assert (done.returncode, done.stderr) == (0, "")
    app = graph["app"]
    assert app["displayName"] == "PIN reset and TAP monitor (customer tenants)"
    assert app["signInAudience"] == "AzureADMultipleOrgs"
    assert app["requiredResourceAccess"] == [
        {
            "resourceAppId": "00000003-0000-0000-c000-000000000000",
            "resourceAccess": [{"id": role, "type": "Role"} for role in READ_ROLES],
        }
    ]  # Mail.Send, which only a setting turns on, is never asked of a customer
    assert "web" not in app
    assert graph["credentials"] == {
        "function-app-managed-identity": {
            "issuer": f"https://login.microsoftonline.com/{TENANT}/v2.0",
            "subject": PRINCIPAL,
            "audiences": ["api://AzureADTokenExchange"],
            "description": "The monitor's Function app (its user-assigned managed identity) reads customer "
            "tenants.",
        }
    }
    upserts = [call for call in graph["calls"] if call["method"] == "patch"]
    assert [call["url"] for call in upserts] == [
        "https://graph.microsoft.com/v1.0/applications(uniqueName='pin-reset-monitor-msp-prod')",
        "https://graph.microsoft.com/v1.0/applications/app-object-1/federatedIdentityCredentials"
        "(name='function-app-managed-identity')",
    ]
    assert all("Prefer=create-if-missing" in call["headers"] for call in upserts)
    lines = done.stdout.splitlines()
    assert lines[0] == "app registration pin-reset-monitor-msp-prod: created"
    assert "application (client) ID: 9b3c0d2e-1f4a-4b5c-8d6e-7f8091a2b3c4" in lines
    assert lines[-1] == (
        "each customer's admin opens: https://login.microsoftonline.com/<customer-tenant-id>/adminconsent"
        "?client_id=9b3c0d2e-1f4a-4b5c-8d6e-7f8091a2b3c4"
    )


def test_running_it_again_updates_the_same_app_and_credential(tmp_path: Path) -> None:
    run(tmp_path)
    done, graph = run(tmp_path, "--redirect-uri", "https://monitor.example.com/api/consented")
    assert done.returncode == 0
    assert done.stdout.splitlines()[0] == "app registration pin-reset-monitor-msp-prod: updated"
    assert graph["app"]["id"] == "app-object-1"
    assert graph["app"]["web"] == {"redirectUris": ["https://monitor.example.com/api/consented"]}
    assert list(graph["credentials"]) == ["function-app-managed-identity"]


@pytest.mark.parametrize("if_allowed", [False, True])
def test_an_account_that_may_not_register_apps_is_told_who_can(tmp_path: Path, if_allowed: bool) -> None:
    done, graph = run(tmp_path, *(("--if-allowed",) if if_allowed else ()), refuse=True)
    assert graph["app"] is None
    if not if_allowed:
        assert done.returncode == 1
        assert "Authorization_RequestDenied" in done.stderr
        return
    assert (done.returncode, done.stderr) == (0, "")
    who = "Application Developer, Application Administrator or Cloud Application Administrator"
    assert who in done.stdout
    assert (
        f"infra/scripts/msp_app_registration.py --manifest permissions.json --principal-id {PRINCIPAL} "
        f"--tenant-id {TENANT} --unique-name pin-reset-monitor-msp-prod"
    ) in done.stdout


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("--principal-id", "me"), "error: --principal-id must be a GUID, got 'me'\n"),
        (
            ("--unique-name", "a b"),
            "error: --unique-name must be letters, digits, '.', '_' or '-' (up to 120), got 'a b'\n",
        ),
    ],
)
def test_bad_arguments_are_refused_before_any_call(
    tmp_path: Path, args: tuple[str, str], message: str
) -> None:
    done, graph = run(tmp_path, *args)
    assert (done.returncode, done.stderr) == (2, message)
    assert graph["calls"] == []


def test_without_the_identity_it_says_what_is_missing() -> None:
    done = subprocess.run(
        [sys.executable, str(SCRIPT), "--manifest", str(HERE / "permissions-manifest.json")],
        capture_output=True,
        text=True,
        env={"PATH": "/usr/bin:/bin"},
        timeout=60,
        check=False,
    )
    assert (done.returncode, done.stderr) == (
        2,
        "error: --principal-id, --tenant-id, --unique-name required (azd sets them after provisioning)\n",
    )
