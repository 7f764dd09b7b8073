"""infra/ read as text (the Bicep CLI cannot be installed here): the app settings against the settings
the code reads, the role assignments against Azure's built-in roles, and no key anywhere.

The settings the code reads are discovered, not listed: every "MONITOR_…", "AZURE_…",
"APPLICATIONINSIGHTS_…" and "OTEL_…" string in monitor/settings.py, `MONITOR_<THRESHOLD>` for each
Thresholds field, and the `%NAME%` expressions and `connection=` names of function_app.py. A setting
someone adds to the code fails here until infra/app/api.bicep sets it or docs/deploy.md lists it as
optional: that is this test's job.
"""

from __future__ import annotations

import ast
import json
import re
from pathlib import Path

from monitor.thresholds import Thresholds

REPO = Path(__file__).resolve().parents[2]
INFRA = REPO / "infra"
API = INFRA / "app" / "api.bicep"
SETTING_NAME = re.compile(r"(?:MONITOR|AZURE|APPLICATIONINSIGHTS|OTEL)_[A-Z0-9_]+")
ROLE_ASSIGNMENT = re.compile(r"^resource \w+ 'Microsoft\.Authorization/roleAssignments@[^']+'", re.MULTILINE)
BICEP_KEY = re.compile(r"^\s*'?([A-Za-z_][A-Za-z0-9_.-]*)'?\s*:", re.MULTILINE)

# Azure built-in roles, IDs as Microsoft lists them on "Azure built-in roles"
# (learn.microsoft.com/azure/role-based-access-control/built-in-roles).
STORAGE_BLOB_DATA_OWNER = "b7e6dc6d-f1e8-4753-8033-0f276bb0955b"
STORAGE_QUEUE_DATA_CONTRIBUTOR = "974c5e8b-45b9-4653-ba55-5f855dd0fb88"
STORAGE_TABLE_DATA_CONTRIBUTOR = "0a9a7e1f-b9d0-4cc4-a60d-0319b160aaa3"
MONITORING_METRICS_PUBLISHER = "3913510d-42f4-4e42-8a64-420c390055eb"
KEY_VAULT_SECRETS_USER = "4633458b-17de-408a-b874-0445c86b69e6"
KEY_VAULT_SECRETS_OFFICER = "b86a8fe4-44ce-4948-aee5-eccb2c155cd7"
AZURE_EVENT_HUBS_DATA_RECEIVER = "a638d3c7-ab3a-418d-83e6-5f17a39d4fde"


# monitor/settings.py, the modules it hands a group of settings to (the alerts', the SOC's), and the
# many-tenant settings (monitor/tenants/settings.py) and the report budget's (monitor/graph/budget.py).
SETTINGS_MODULES = (
    REPO / "monitor" / "settings.py",
    REPO / "monitor" / "alerts" / "settings.py",
    REPO / "monitor" / "soc" / "settings.py",
    REPO / "monitor" / "tenants" / "settings.py",
    REPO / "monitor" / "graph" / "budget.py",
)


def settings_the_code_reads() -> set[str]:
    names: set[str] = set()
    for module in SETTINGS_MODULES:
        tree = ast.parse(module.read_text())
        in_fstrings = {id(n) for j in ast.walk(tree) if isinstance(j, ast.JoinedStr) for n in ast.walk(j)}
        names |= {
            node.value
            for node in ast.walk(tree)
            if isinstance(node, ast.Constant)
            and isinstance(node.value, str)
            and id(node) not in in_fstrings
            and SETTING_NAME.fullmatch(node.value)
        }
    return names | {f"MONITOR_{name.upper()}" for name in Thresholds.names()}


def function_app_bindings() -> tuple[set[str], set[str]]:
    """(%NAME% app settings, connection names) that function_app.py's triggers resolve."""
    tree = ast.parse((REPO / "function_app.py").read_text())
    expressions = {
        match
        for node in ast.walk(tree)
        if isinstance(node, ast.Constant) and isinstance(node.value, str)
        for match in re.findall(r"%([A-Za-z0-9_]+)%", node.value)
    }
    connections = {
        keyword.value.value
        for node in ast.walk(tree)
        if isinstance(node, ast.Call)
        for keyword in node.keywords
        if keyword.arg == "connection"
        and isinstance(keyword.value, ast.Constant)
        and isinstance(keyword.value.value, str)
    }
    return expressions, connections


def bicep_block(text: str, start: int) -> str:
    """The `{ ... }` block that opens at or after `start`, braces balanced."""
    opening = text.index("{", start)
    depth = 0
    for position in range(opening, len(text)):
        depth += {"{": 1, "}": -1}.get(text[position], 0)
        if depth == 0:
            return text[opening : position + 1]
    raise AssertionError(f"unbalanced braces after offset {start}")


def bicep_var_keys(text: str, var: str) -> set[str]:
    """Top-level keys of `var <var> = { ... }` (or of the non-empty branch of `cond ? {} : { ... }`)."""
    match = re.search(rf"^var {var} = (.*)$", text, re.MULTILINE)
    assert match, f"var {var} not found"
    start = match.start(1) + (match.group(1).index(": {") if "? {} :" in match.group(1) else 0)
    block = bicep_block(text, start)[1:-1]
    top_level = re.sub(r"\{[^{}]*\}", "", block)
    return set(BICEP_KEY.findall(top_level))


def app_settings_in_bicep() -> dict[str, set[str]]:
    text = API.read_text()
    union = re.search(r"name: 'appsettings'\s*properties: union\(([^)]*)\)", text)
    assert union, "the appsettings resource should be a union of the setting vars"
    parts = [p.strip() for p in union.group(1).split(",")]
    assert parts[0] == "extraAppSettings", "extraAppSettings must come first so that nothing overrides ours"
    return {var: bicep_var_keys(text, var) for var in parts[1:]}


def documented_optional_settings() -> set[str]:
    text = (REPO / "docs" / "deploy.md").read_text()
    section = text.split("## Optional app settings", 1)[1].split("\n## ", 1)[0]
    return set(re.findall(r"^\| `([A-Za-z0-9_]+)` \|", section, re.MULTILINE))


def test_every_setting_the_code_reads_is_set_by_bicep_or_documented_as_optional() -> None:
    set_by_bicep = set().union(*app_settings_in_bicep().values())
    expressions, connections = function_app_bindings()
    needed = settings_the_code_reads() | expressions
    missing = sorted(needed - set_by_bicep - documented_optional_settings())
    unconnected = sorted(c for c in connections if not any(k.startswith(f"{c}__") for k in set_by_bicep))
    assert missing == [], "set these in infra/app/api.bicep or list them in docs/deploy.md"
    assert unconnected == [], "give these connections identity-based settings in infra/app/api.bicep"


def test_documented_optional_settings_are_ones_the_code_reads_and_bicep_leaves_unset() -> None:
    set_by_bicep = set().union(*app_settings_in_bicep().values())
    optional = documented_optional_settings()
    assert sorted(optional - settings_the_code_reads()) == []
    assert sorted(optional & set_by_bicep) == []


# Set by the Bicep for features other branches are building; each leaves this list once the code reads
# it under that name. A name here that the code ends up spelling differently is a setting nobody reads.
AHEAD_OF_THE_CODE: set[str] = set()


def test_every_monitor_setting_bicep_sets_is_one_the_code_reads() -> None:
    set_by_bicep = set().union(*app_settings_in_bicep().values())
    expressions, _ = function_app_bindings()
    read = settings_the_code_reads() | expressions
    # Each destination in MONITOR_ALERT_DESTINATIONS is configured by settings named after it
    # (its channel in monitor/alerts/channels/ reads MONITOR_ALERT_<NAME>_URL, _HMAC_KEY, _RECIPIENTS).
    destinations = re.findall(r"MONITOR_ALERT_DESTINATIONS:\s*'([^']*)'", API.read_text())
    names = {
        entry.split("=")[0].strip().upper().replace("-", "_") for d in destinations for entry in d.split(",")
    }
    per_destination = {
        f"MONITOR_ALERT_{n}_{part}" for n in names for part in ("URL", "HMAC_KEY", "RECIPIENTS")
    }
    unread = {name for name in set_by_bicep if name.startswith("MONITOR_")} - read - per_destination
    assert sorted(unread - AHEAD_OF_THE_CODE) == []


def test_the_function_app_reaches_storage_and_application_insights_with_its_managed_identity() -> None:
    host = bicep_var_keys(API.read_text(), "hostSettings")
    assert host == {
        "AzureWebJobsStorage__accountName",
        "AzureWebJobsStorage__credential",
        "AzureWebJobsStorage__clientId",
        "APPLICATIONINSIGHTS_CONNECTION_STRING",
        "APPLICATIONINSIGHTS_AUTHENTICATION_STRING",
        "PYTHON_ENABLE_OPENTELEMETRY",
    }
    text = API.read_text()
    assert "AzureWebJobsStorage__credential: 'managedidentity'" in text
    entra_auth = "'ClientId=${identityClientId};Authorization=AAD'"
    assert f"APPLICATIONINSIGHTS_AUTHENTICATION_STRING: {entra_auth}" in text
    assert "MONITOR_GRAPH_CREDENTIAL: 'managed-identity'" in text
    assert "AZURE_CLIENT_ID: identityClientId" in text
    assert "MONITOR_STORAGE_ENDPOINT: storage.properties.primaryEndpoints.table" in text
    assert "keyVaultReferenceIdentity: identityId" in text
    assert "type: 'UserAssignedIdentity'" in text  # the deployment package container


def test_no_account_key_or_shared_key_access_anywhere_in_infra() -> None:
    storage = (INFRA / "app" / "storage.bicep").read_text()
    assert "allowSharedKeyAccess: false" in storage
    assert "DisableLocalAuth: true" in (INFRA / "app" / "monitoring.bicep").read_text()
    for path in INFRA.rglob("*.bicep"):
        text = path.read_text()
        for forbidden in ("listKeys(", "AccountKey=", "listConnectionStrings(", "InstrumentationKey="):
            assert forbidden not in text, f"{path.relative_to(REPO)} uses {forbidden}"


def test_secret_settings_are_key_vault_references() -> None:
    text = API.read_text()
    block = bicep_block(text, text.index("var secretSettings = "))
    values = re.findall(r":\s*'([^']*)'", block)
    assert values, "secretSettings holds at least the Teams webhook URL"
    assert all(v.startswith("${secretReference}") for v in values)
    assert "var secretReference = '@Microsoft.KeyVault(VaultName=${keyVaultName};SecretName='" in text


def role_assignments() -> list[tuple[str, str, str, str]]:
    """(file, role definition ID, scope, principal) of every role assignment in infra/."""
    found = []
    for path in sorted(INFRA.rglob("*.bicep")):
        text = path.read_text()
        role_ids = dict(re.findall(r"^var (\w+) = '([0-9a-f-]{36})'", text, re.MULTILINE))
        for match in ROLE_ASSIGNMENT.finditer(text):
            block = bicep_block(text, match.end())
            role = re.search(r"roleDefinitions', (\w+)\)", block)
            scope = re.search(r"^\s*scope: (\w+)$", block, re.MULTILINE)
            principal = re.search(r"principalId: (\w+)", block)
            assert role, f"role assignment without a role variable in {path.name}"
            assert scope, f"role assignment without a scope in {path.name}"
            assert principal, f"role assignment without a principal in {path.name}"
            found.append((path.name, role_ids[role.group(1)], scope.group(1), principal.group(1)))
    return found


def test_the_managed_identity_holds_only_the_data_roles_it_needs_each_on_its_resource() -> None:
    assert sorted(role_assignments()) == sorted(
        [
            ("rbac.bicep", STORAGE_BLOB_DATA_OWNER, "storage", "managedIdentityPrincipalId"),
            ("rbac.bicep", STORAGE_QUEUE_DATA_CONTRIBUTOR, "storage", "managedIdentityPrincipalId"),
            ("rbac.bicep", STORAGE_TABLE_DATA_CONTRIBUTOR, "storage", "managedIdentityPrincipalId"),
            ("rbac.bicep", MONITORING_METRICS_PUBLISHER, "applicationInsights", "managedIdentityPrincipalId"),
            ("rbac.bicep", KEY_VAULT_SECRETS_USER, "vault", "managedIdentityPrincipalId"),
            ("rbac.bicep", KEY_VAULT_SECRETS_OFFICER, "vault", "deployerPrincipalId"),
            ("eventhub.bicep", AZURE_EVENT_HUBS_DATA_RECEIVER, "hub", "managedIdentityPrincipalId"),
            # Logs Ingestion API uploads, on the data collection rule only (optional Sentinel module).
            ("sentinel.bicep", MONITORING_METRICS_PUBLISHER, "rule", "managedIdentityPrincipalId"),
        ]
    )


def test_no_deployment_needs_rights_at_the_tenant_root() -> None:
    """A subscription owner runs `azd up`: nothing in infra/ deploys at tenant scope (that needs deployment
    rights at "/"); Entra ID's diagnostic setting is made by the postprovision hook instead."""
    for bicep in INFRA.rglob("*.bicep"):
        text = bicep.read_text()
        assert "targetScope = 'tenant'" not in text, bicep.name
        assert "scope: tenant()" not in text, bicep.name
    main = (INFRA / "main.bicep").read_text()
    assert "param enableEntraLogStream bool = false" in main
    for output in ("AUTHORIZATION_RULE_ID", "HUB", "SETTING_NAME"):
        assert f"output ENTRA_LOG_STREAM_{output} string = enableEntraLogStream ?" in main


def test_azd_supplies_every_main_bicep_parameter_without_a_default() -> None:
    main = (INFRA / "main.bicep").read_text()
    required = set(re.findall(r"^param (\w+) \w+$", main, re.MULTILINE))
    parameters = json.loads((INFRA / "main.parameters.json").read_text())["parameters"]
    assert sorted(required - set(parameters)) == []
    declared = set(re.findall(r"^param (\w+) ", main, re.MULTILINE))
    assert sorted(set(parameters) - declared) == []


def test_main_bicep_uses_every_module_in_infra_app_and_no_other() -> None:
    main = (INFRA / "main.bicep").read_text()
    modules = re.findall(r"^module \w+ '([^']+)'", main, re.MULTILINE)
    assert sorted(modules) == sorted(f"app/{p.name}" for p in (INFRA / "app").glob("*.bicep"))
