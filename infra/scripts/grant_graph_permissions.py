#!/usr/bin/env python3
"""Grant the monitor's managed identity the Microsoft Graph application permissions it needs.

Bicep cannot grant Graph app roles without the Graph Bicep extension, so the azd postprovision hook runs
this. It reads the manifest that `python -m monitor permissions --format json` prints (or a saved copy,
`--manifest FILE`), looks each permission's app role up on the Microsoft Graph service principal of the
tenant (no role ID is written down here), and assigns the ones the identity does not hold yet:
`POST /servicePrincipals/{graph}/appRoleAssignedTo`, through `az rest` with the signed-in admin's token
(Privileged Role Administrator or Global Administrator). Safe to run again.

A permission with a condition (`"condition": "MONITOR_ALERT_EMAIL_TRANSPORT=graph"`) is granted only when that
setting has that value (from the environment or `--setting KEY=VALUE`). Mail.Send is not granted in
Entra ID unless `--mail-send tenant-wide` says so: a Graph grant lets the app send as every mailbox, and
Exchange RBAC for Applications cannot narrow it. The script prints the Exchange Online commands that grant
it for one mailbox instead (docs/deploy.md).

With `--if-allowed` (what the azd hook passes), an account that may not assign app roles (a subscription
owner with no Entra role) is not an error: the script says which role can, prints the command that person
runs, and exits 0, so `azd up` still deploys; until then the monitor reports the rules that need the
missing permissions as skipped.

Standard library only: it runs before, and apart from, the app's own virtual environment.
Exit codes: 0 done (or, with --if-allowed, left to an administrator), 1 Azure CLI or Graph failed,
2 bad arguments or manifest.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import quote

GRAPH = "https://graph.microsoft.com/v1.0"
# Permissions whose Entra ID grant reaches every mailbox; Exchange RBAC for Applications scopes them.
MAILBOX_SCOPED = frozenset({"Mail.Send"})


class ManifestError(ValueError):
    """The permissions manifest is not what `monitor permissions --format json` prints."""


class GraphCallError(RuntimeError):
    """`az rest` failed; the message has what it said (never a token)."""

    @property
    def refused(self) -> bool:
        """Graph refused the signed-in account (403), as opposed to failing."""
        marks = ("Authorization_RequestDenied", "Forbidden", "Insufficient privileges")
        return any(mark in str(self) for mark in marks)


ADMIN_ROLE = "Privileged Role Administrator (or Global Administrator)"


@dataclass(frozen=True)
class RequiredPermission:
    name: str
    condition: tuple[str, str] | None = None  # (setting, value) that makes it needed
    rules: tuple[str, ...] = ()
    features: tuple[str, ...] = ()


@dataclass(frozen=True)
class PermissionManifest:
    resource_app_id: str
    permissions: tuple[RequiredPermission, ...]


@dataclass
class GrantPlan:
    grant: list[tuple[str, str]] = field(default_factory=list)  # (permission, app role ID)
    held: list[str] = field(default_factory=list)
    skipped: list[tuple[str, str]] = field(default_factory=list)  # (permission, why)
    mailbox_scoped: list[str] = field(default_factory=list)


def parse_manifest(text: str) -> PermissionManifest:
    """The manifest, checked: one application-permission list for one resource, each name once."""
    try:
        document = json.loads(text)
    except json.JSONDecodeError as exc:
        raise ManifestError(f"manifest is not JSON: {exc.msg} at line {exc.lineno}") from exc
    if not isinstance(document, dict):
        raise ManifestError("manifest must be a JSON object")
    if document.get("type") != "application":
        raise ManifestError(f"manifest type must be 'application', got {document.get('type')!r}")
    resource = document.get("resourceAppId")
    if not isinstance(resource, str) or not resource:
        raise ManifestError("manifest has no resourceAppId")
    entries = document.get("permissions")
    if not isinstance(entries, list) or not entries:
        raise ManifestError("manifest lists no permissions")
    permissions: list[RequiredPermission] = []
    for position, entry in enumerate(entries):
        if not isinstance(entry, dict) or not isinstance(entry.get("name"), str) or not entry["name"]:
            raise ManifestError(f"permission {position} has no name")
        name = entry["name"]
        if any(p.name == name for p in permissions):
            raise ManifestError(f"permission {name} is listed twice")
        permissions.append(
            RequiredPermission(
                name=name,
                condition=_condition(name, entry.get("condition")),
                rules=_strings(name, "rules", entry.get("rules", [])),
                features=_strings(name, "features", entry.get("features", [])),
            )
        )
    return PermissionManifest(resource, tuple(permissions))


def _condition(name: str, raw: Any) -> tuple[str, str] | None:
    if raw is None:
        return None
    setting, sep, value = raw.partition("=") if isinstance(raw, str) else ("", "", "")
    if not sep or not setting.strip() or not value.strip():
        raise ManifestError(f"permission {name}: condition must be SETTING=value or null, got {raw!r}")
    return setting.strip(), value.strip()


def _strings(name: str, key: str, raw: Any) -> tuple[str, ...]:
    if not isinstance(raw, list) or not all(isinstance(item, str) for item in raw):
        raise ManifestError(f"permission {name}: {key} must be a list of strings")
    return tuple(raw)


def application_roles(service_principal: Mapping[str, Any]) -> dict[str, str]:
    """Permission name -> app role ID, for the enabled roles an application can hold."""
    return {
        role["value"]: role["id"]
        for role in service_principal.get("appRoles", [])
        if "Application" in role.get("allowedMemberTypes", []) and role.get("isEnabled", True)
    }


def plan_grants(
    manifest: PermissionManifest,
    roles: Mapping[str, str],
    held_role_ids: set[str],
    settings: Mapping[str, str],
    mail_send_tenant_wide: bool = False,
) -> GrantPlan:
    """What to assign, what is held already, and what is left out and why. Raises ManifestError if a
    needed permission is not an application role of the resource (a typo, or another API)."""
    plan = GrantPlan()
    unknown: list[str] = []
    for permission in manifest.permissions:
        if permission.condition is not None:
            setting, wanted = permission.condition
            actual = settings.get(setting, "")
            if actual != wanted:
                why = f"needed only when {setting}={wanted} (it is {actual!r})"
                plan.skipped.append((permission.name, why))
                continue
        if permission.name in MAILBOX_SCOPED and not mail_send_tenant_wide:
            plan.mailbox_scoped.append(permission.name)
            plan.skipped.append(
                (permission.name, "grant it for one mailbox with Exchange RBAC for Applications (below)")
            )
            continue
        role_id = roles.get(permission.name)
        if role_id is None:
            unknown.append(permission.name)
        elif role_id in held_role_ids:
            plan.held.append(permission.name)
        else:
            plan.grant.append((permission.name, role_id))
    if unknown:
        names = ", ".join(unknown)
        raise ManifestError(f"not an application permission of {manifest.resource_app_id}: {names}")
    return plan


def exchange_rbac_commands(permission: str, client_id: str, principal_id: str) -> list[str]:
    """Exchange Online PowerShell that grants `permission` for one mailbox (RBAC for Applications)."""
    scope = '"PIN reset monitor mailbox"'
    mailbox = "<sender@contoso.com>"
    return [
        "Connect-ExchangeOnline",
        f'New-ServicePrincipal -AppId {client_id} -ObjectId {principal_id} -DisplayName "PIN reset monitor"',
        f"New-ManagementScope -Name {scope} "
        f"-RecipientRestrictionFilter \"PrimarySmtpAddress -eq '{mailbox}'\"",
        f'New-ManagementRoleAssignment -App {client_id} -Role "Application {permission}" '
        f"-CustomResourceScope {scope}",
        f"Test-ServicePrincipalAuthorization -Identity {client_id} -Resource {mailbox}",
    ]


class AzRestGraph:
    """Microsoft Graph through `az rest`, which signs in with the Azure CLI's account."""

    def __init__(self, az: str) -> None:
        self._az = az

    def get(self, url: str) -> dict[str, Any]:
        return self._call("get", url)

    def get_all(self, url: str) -> list[dict[str, Any]]:
        items: list[dict[str, Any]] = []
        next_url: str | None = url
        while next_url:
            page = self.get(next_url)
            items += page.get("value", [])
            next_url = page.get("@odata.nextLink")
        return items

    def post(self, url: str, body: Mapping[str, Any]) -> dict[str, Any]:
        with tempfile.NamedTemporaryFile("w", suffix=".json", delete=False) as handle:
            json.dump(body, handle)
        try:
            headers = "Content-Type=application/json"
            return self._call("post", url, "--body", f"@{handle.name}", "--headers", headers)
        finally:
            os.unlink(handle.name)

    def _call(self, method: str, url: str, *extra: str) -> dict[str, Any]:
        done = subprocess.run(
            [self._az, "rest", "--method", method, "--url", url, "--output", "json", *extra],
            capture_output=True,
            text=True,
            check=False,
        )
        if done.returncode != 0:
            said = done.stderr.strip().splitlines()
            reason = said[-1] if said else f"exit code {done.returncode}"
            raise GraphCallError(f"az rest {method} {url.split('?')[0]} failed: {reason}")
        if not done.stdout.strip():
            return {}
        where = f"az rest {method} {url.split('?')[0]}"
        try:
            answer = json.loads(done.stdout)
        except json.JSONDecodeError as exc:
            raise GraphCallError(f"{where} answered something that is not JSON") from exc
        if not isinstance(answer, dict):
            raise GraphCallError(f"{where} answered a JSON {type(answer).__name__}, not an object")
        return answer


def read_manifest(path: str | None) -> str:
    if path:
        return Path(path).read_text(encoding="utf-8")
    done = subprocess.run(
        [sys.executable, "-m", "monitor", "permissions", "--format", "json"],
        capture_output=True,
        text=True,
        check=False,
        cwd=Path(__file__).resolve().parents[2],
    )
    if done.returncode != 0:
        raise ManifestError(f"`python -m monitor permissions --format json` failed: {done.stderr.strip()}")
    return done.stdout


def granting_command(principal_id: str) -> str:
    return (
        ".venv/bin/python -m monitor permissions --format json > permissions.json && "
        "python3 infra/scripts/grant_graph_permissions.py --manifest permissions.json "
        f"--principal-id {principal_id}"
    )


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--manifest", help="saved output of `python -m monitor permissions --format json`")
    parser.add_argument("--principal-id", default=os.environ.get("MONITOR_IDENTITY_PRINCIPAL_ID", ""))
    parser.add_argument("--client-id", default=os.environ.get("MONITOR_IDENTITY_CLIENT_ID", ""))
    parser.add_argument("--setting", action="append", default=[], metavar="KEY=VALUE")
    parser.add_argument("--mail-send", choices=("mailbox", "tenant-wide"), default="mailbox")
    parser.add_argument("--dry-run", action="store_true", help="print the plan, assign nothing")
    parser.add_argument(
        "--if-allowed",
        action="store_true",
        help="when the signed-in account may not assign app roles, say who can and exit 0",
    )
    args = parser.parse_args(argv)
    if not args.principal_id:
        print("error: --principal-id (or MONITOR_IDENTITY_PRINCIPAL_ID) is required", file=sys.stderr)
        return 2
    settings = dict(os.environ)
    for pair in args.setting:
        key, sep, value = pair.partition("=")
        if not sep:
            print(f"error: --setting must be KEY=VALUE, got {pair!r}", file=sys.stderr)
            return 2
        settings[key] = value
    try:
        manifest = parse_manifest(read_manifest(args.manifest))
    except (ManifestError, OSError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    az = shutil.which("az")
    if az is None:
        print("error: the Azure CLI (az) is not on PATH; sign in with `az login` first", file=sys.stderr)
        return 1
    graph = AzRestGraph(az)
    try:
        by_app_id = quote(f"appId eq '{manifest.resource_app_id}'")
        resources = graph.get_all(f"{GRAPH}/servicePrincipals?$filter={by_app_id}&$select=id,appRoles")
        if len(resources) != 1:
            print(f"error: no service principal for {manifest.resource_app_id} here", file=sys.stderr)
            return 1
        resource = resources[0]
        held = graph.get_all(f"{GRAPH}/servicePrincipals/{args.principal_id}/appRoleAssignments")
        held_ids = {a.get("appRoleId", "") for a in held if a.get("resourceId") == resource.get("id")}
        plan = plan_grants(
            manifest, application_roles(resource), held_ids, settings, args.mail_send == "tenant-wide"
        )
        for name in plan.held:
            print(f"held already: {name}")
        for name, why in plan.skipped:
            print(f"not granted: {name}: {why}")
        for name, role_id in plan.grant:
            if args.dry_run:
                print(f"would grant: {name}")
                continue
            body = {"principalId": args.principal_id, "resourceId": resource["id"], "appRoleId": role_id}
            graph.post(f"{GRAPH}/servicePrincipals/{resource['id']}/appRoleAssignedTo", body)
            print(f"granted: {name}")
    except ManifestError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    except GraphCallError as exc:
        if args.if_allowed and exc.refused:
            print(f"not granted: the signed-in account may not assign Microsoft Graph app roles ({exc})")
            print(f"A {ADMIN_ROLE} grants them, signed in with `az login`, from this folder:")
            print(f"  sh infra/scripts/postprovision.sh   (or: {granting_command(args.principal_id)})")
            return 0
        print(f"error: {exc}", file=sys.stderr)
        return 1
    for name in plan.mailbox_scoped:
        print(f"\nTo let the monitor use {name} for one mailbox only, an Exchange administrator runs:")
        for line in exchange_rbac_commands(name, args.client_id or "<client ID>", args.principal_id):
            print(f"  {line}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
