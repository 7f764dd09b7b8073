"""infra/scripts/grant_graph_permissions.py without Azure: the manifest `monitor permissions` prints,
read and checked, and the plan it makes against the Graph service principal's app roles (Graph's shape)."""

from __future__ import annotations

import importlib.util
import json
import subprocess
import sys
from pathlib import Path
from types import ModuleType

import pytest

HERE = Path(__file__).parent
REPO = HERE.parents[1]
READ_PERMISSIONS = [
    ("AuditLog.Read.All", "role-auditlog"),
    ("Directory.Read.All", "role-directory"),
    ("Application.Read.All", "role-application"),
    ("Policy.Read.AuthenticationMethod", "role-policy"),
    ("UserAuthMethod-TAP.Read.All", "role-tap"),
    ("RoleManagement.Read.Directory", "role-roles"),
    ("DeviceManagementManagedDevices.Read.All", "role-devices"),
    ("DeviceManagementConfiguration.Read.All", "role-configuration"),
    ("Domain.Read.All", "role-domains"),
]


def load_script() -> ModuleType:
    spec = importlib.util.spec_from_file_location(
        "grant_graph_permissions", REPO / "infra" / "scripts" / "grant_graph_permissions.py"
    )
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses resolve their module by name
    spec.loader.exec_module(module)
    return module


grant = load_script()
MANIFEST = (HERE / "permissions-manifest.json").read_text()
ROLES = grant.application_roles(json.loads((HERE / "graph-service-principal.json").read_text()))


def test_the_manifest_is_read_with_each_permission_and_its_condition() -> None:
    manifest = grant.parse_manifest(MANIFEST)
    assert manifest.resource_app_id == "00000003-0000-0000-c000-000000000000"
    assert [(p.name, p.condition) for p in manifest.permissions] == [
        *((name, None) for name, _ in READ_PERMISSIONS),
        ("Mail.Send", ("MONITOR_ALERT_EMAIL_TRANSPORT", "graph")),
    ]
    assert manifest.permissions[0].rules == ("signin.pin-reset.consent-errors",)
    assert manifest.permissions[-1].features == ("email alerts",)


def test_only_enabled_application_roles_can_be_granted() -> None:
    assert "User.Only" not in ROLES
    assert "Retired.Read.All" not in ROLES
    assert ROLES["Mail.Send"] == "role-mail-send"


def test_the_read_permissions_are_granted_and_mail_send_waits_for_its_condition() -> None:
    settings = {"MONITOR_ALERT_EMAIL_TRANSPORT": "acs"}
    plan = grant.plan_grants(grant.parse_manifest(MANIFEST), ROLES, set(), settings)
    assert plan.grant == READ_PERMISSIONS
    assert plan.held == []
    why = "needed only when MONITOR_ALERT_EMAIL_TRANSPORT=graph (it is 'acs')"
    assert plan.skipped == [("Mail.Send", why)]
    assert plan.mailbox_scoped == []


def test_mail_send_through_graph_is_left_to_exchange_rbac_for_one_mailbox() -> None:
    plan = grant.plan_grants(
        grant.parse_manifest(MANIFEST), ROLES, set(), {"MONITOR_ALERT_EMAIL_TRANSPORT": "graph"}
    )
    assert plan.grant == READ_PERMISSIONS
    assert plan.mailbox_scoped == ["Mail.Send"]
    assert plan.skipped == [
        ("Mail.Send", "grant it for one mailbox with Exchange RBAC for Applications (below)")
    ]


def test_mail_send_tenant_wide_is_granted_only_when_asked_for() -> None:
    plan = grant.plan_grants(
        grant.parse_manifest(MANIFEST),
        ROLES,
        set(),
        {"MONITOR_ALERT_EMAIL_TRANSPORT": "graph"},
        mail_send_tenant_wide=True,
    )
    assert plan.grant == [*READ_PERMISSIONS, ("Mail.Send", "role-mail-send")]
    assert plan.skipped == []


def test_permissions_held_already_are_not_assigned_again() -> None:
    plan = grant.plan_grants(grant.parse_manifest(MANIFEST), ROLES, {"role-auditlog", "role-domains"}, {})
    assert plan.held == ["AuditLog.Read.All", "Domain.Read.All"]
    assert [name for name, _ in plan.grant] == [name for name, _ in READ_PERMISSIONS[1:-1]]


def test_a_permission_graph_does_not_offer_to_applications_stops_the_plan() -> None:
    document = json.loads(MANIFEST)
    document["permissions"].append({"name": "User.Only", "rules": [], "features": [], "condition": None})
    document["permissions"].append({"name": "Mail.Sned", "rules": [], "features": [], "condition": None})
    with pytest.raises(grant.ManifestError) as failure:
        grant.plan_grants(grant.parse_manifest(json.dumps(document)), ROLES, set(), {})
    assert str(failure.value) == (
        "not an application permission of 00000003-0000-0000-c000-000000000000: User.Only, Mail.Sned"
    )


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("{", "manifest is not JSON: Expecting property name enclosed in double quotes at line 1"),
        ("[]", "manifest must be a JSON object"),
        ('{"type": "delegated"}', "manifest type must be 'application', got 'delegated'"),
        ('{"type": "application", "resourceAppId": ""}', "manifest has no resourceAppId"),
        ('{"type": "application", "resourceAppId": "x", "permissions": []}', "manifest lists no permissions"),
        (
            '{"type": "application", "resourceAppId": "x", "permissions": [{"rules": []}]}',
            "permission 0 has no name",
        ),
        (
            '{"type": "application", "resourceAppId": "x", "permissions": [{"name": "A"}, {"name": "A"}]}',
            "permission A is listed twice",
        ),
        (
            '{"type": "application", "resourceAppId": "x", '
            '"permissions": [{"name": "A", "condition": "graph"}]}',
            "permission A: condition must be SETTING=value or null, got 'graph'",
        ),
        (
            '{"type": "application", "resourceAppId": "x", "permissions": [{"name": "A", "rules": "r"}]}',
            "permission A: rules must be a list of strings",
        ),
    ],
    ids=[
        "not-json",
        "not-object",
        "delegated",
        "no-resource",
        "empty",
        "nameless",
        "twice",
        "condition",
        "rules",
    ],
)
def test_a_malformed_manifest_is_refused_with_the_reason(text: str, message: str) -> None:
    with pytest.raises(grant.ManifestError) as failure:
        grant.parse_manifest(text)
    assert str(failure.value) == message


def test_the_exchange_commands_scope_the_permission_to_one_mailbox() -> None:
    commands = grant.exchange_rbac_commands("Mail.Send", "client-id", "object-id")
    assert commands == [
        "Connect-ExchangeOnline",
        'New-ServicePrincipal -AppId client-id -ObjectId object-id -DisplayName "PIN reset monitor"',
        'New-ManagementScope -Name "PIN reset monitor mailbox" '
        "-RecipientRestrictionFilter \"PrimarySmtpAddress -eq '<sender@contoso.com>'\"",
        'New-ManagementRoleAssignment -App client-id -Role "Application Mail.Send" '
        '-CustomResourceScope "PIN reset monitor mailbox"',
        "Test-ServicePrincipalAuthorization -Identity client-id -Resource <sender@contoso.com>",
    ]


def run_script(*args: str, path: str = "/usr/bin:/bin") -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, str(REPO / "infra" / "scripts" / "grant_graph_permissions.py"), *args],
        capture_output=True,
        text=True,
        env={"PATH": path},
        timeout=60,
        check=False,
    )


def test_the_script_needs_the_identity_to_grant_to() -> None:
    done = run_script("--manifest", str(HERE / "permissions-manifest.json"))
    assert (done.returncode, done.stderr) == (
        2,
        "error: --principal-id (or MONITOR_IDENTITY_PRINCIPAL_ID) is required\n",
    )


def test_the_script_refuses_a_bad_manifest_before_calling_azure(tmp_path: Path) -> None:
    bad = tmp_path / "manifest.json"
    bad.write_text('{"type": "delegated"}')
    done = run_script("--manifest", str(bad), "--principal-id", "object-id")
    assert (done.returncode, done.stderr) == (
        2,
        "error: manifest type must be 'application', got 'delegated'\n",
    )


def test_the_monitor_prints_a_manifest_the_script_reads() -> None:
    done = subprocess.run(
        [sys.executable, "-m", "monitor", "permissions", "--format", "json"],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    if done.returncode == 2 and "invalid choice: 'permissions'" in done.stderr:
        pytest.skip("`monitor permissions` is not in this checkout yet")
    manifest = grant.parse_manifest(done.stdout)
    names = {p.name for p in manifest.permissions}
    assert {name for name, _ in READ_PERMISSIONS} <= names
    grant.plan_grants(manifest, ROLES, set(), {"MONITOR_ALERT_EMAIL_TRANSPORT": "graph"})


FAKE_AZ = """#!{python}
# Stands in for the Azure CLI's `az rest`: answers from Graph-shaped files, records what is posted.
import json, sys
args = sys.argv[1:]
method, url = args[args.index("--method") + 1], args[args.index("--url") + 1]
here = {here!r}
if method == "get" and "/servicePrincipals?$filter=" in url:
    assert "appId%20eq%20%2700000003-0000-0000-c000-000000000000%27" in url, url
    print(json.dumps({{"value": [json.load(open(here + "/graph-service-principal.json"))]}}))
elif method == "get" and url.endswith("/servicePrincipals/object-id/appRoleAssignments"):
    held = {{"appRoleId": "role-auditlog", "resourceId": "5f0e0c1a-0000-4000-8000-00000000a001"}}
    print(json.dumps({{"value": [held]}}))
elif method == "post" and url.endswith("/5f0e0c1a-0000-4000-8000-00000000a001/appRoleAssignedTo"):
    body = open(args[args.index("--body") + 1][1:]).read()
    open({log!r}, "a").write(body + "\\n")
    print("{{}}")
else:
    print("ERROR: Not Found({{url}})", file=sys.stderr)
    sys.exit(1)
"""


def test_the_script_assigns_the_missing_app_roles_to_the_identity_through_az_rest(tmp_path: Path) -> None:
    log = tmp_path / "posted.jsonl"
    az = tmp_path / "az"
    az.write_text(FAKE_AZ.format(python=sys.executable, here=str(HERE), log=str(log)))
    az.chmod(0o755)
    done = run_script(
        *("--manifest", str(HERE / "permissions-manifest.json"), "--principal-id", "object-id"),
        *("--client-id", "client-id", "--setting", "MONITOR_ALERT_EMAIL_TRANSPORT=graph"),
        path=f"{tmp_path}:/usr/bin:/bin",
    )
    assert (done.returncode, done.stderr) == (0, "")
    lines = done.stdout.splitlines()
    assert lines[:2] == [
        "held already: AuditLog.Read.All",
        "not granted: Mail.Send: grant it for one mailbox with Exchange RBAC for Applications (below)",
    ]
    assert lines[2:10] == [f"granted: {name}" for name, _ in READ_PERMISSIONS[1:]]
    assert '  New-ManagementRoleAssignment -App client-id -Role "Application Mail.Send" ' in done.stdout
    posted = [json.loads(line) for line in log.read_text().splitlines()]
    assert posted == [
        {
            "principalId": "object-id",
            "resourceId": "5f0e0c1a-0000-4000-8000-00000000a001",
            "appRoleId": role_id,
        }
        for _, role_id in READ_PERMISSIONS[1:]
    ]


REFUSING_AZ = """#!{python}
# Stands in for `az rest` signed in as a subscription owner with no Entra role: Graph refuses every call.
import sys
print('ERROR: Forbidden({{"error":{{"code":"Authorization_RequestDenied",'
      '"message":"Insufficient privileges to complete the operation."}}}})', file=sys.stderr)
sys.exit(1)
"""


@pytest.mark.parametrize("if_allowed", [False, True])
def test_an_account_that_may_not_assign_app_roles_is_told_who_can(tmp_path: Path, if_allowed: bool) -> None:
    az = tmp_path / "az"
    az.write_text(REFUSING_AZ.format(python=sys.executable))
    az.chmod(0o755)
    flags = ("--if-allowed",) if if_allowed else ()
    done = run_script(
        *("--manifest", str(HERE / "permissions-manifest.json"), "--principal-id", "object-id", *flags),
        path=f"{tmp_path}:/usr/bin:/bin",
    )
    if not if_allowed:
        assert done.returncode == 1
        assert "Authorization_RequestDenied" in done.stderr
        return
    # azd's hook goes on: a subscription owner's `azd up` deploys, and an administrator grants later.
    assert (done.returncode, done.stderr) == (0, "")
    assert "not granted: the signed-in account may not assign Microsoft Graph app roles" in done.stdout
    assert "Privileged Role Administrator (or Global Administrator)" in done.stdout
    assert "--principal-id object-id" in done.stdout
