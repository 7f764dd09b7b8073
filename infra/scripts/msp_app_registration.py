#!/usr/bin/env python3
"""Create (or bring up to date) the multi-tenant app registration the monitor reads customer tenants as,
and its federated identity credential that trusts the Function app's user-assigned managed identity.

A provider watching many customer tenants from one deployment cannot give its managed identity
permissions in another tenant. Instead (docs/msp.md): an app registration in the provider's tenant,
multi-tenant (`signInAudience` AzureADMultipleOrgs), asking for the Microsoft Graph application
permissions of the monitor's manifest that a customer grants (all but those only a setting turns on,
such as Mail.Send); and a federated identity credential on it whose issuer is the provider tenant
(`https://login.microsoftonline.com/{tenant}/v2.0`), whose subject is the managed identity's object
(principal) ID and whose audience is `api://AzureADTokenExchange` (Microsoft's "Configure an application
to trust a managed identity"). No secret and no certificate exist anywhere. Each customer's admin then
consents to the app in their own tenant (the URL is printed at the end).

Bicep could declare both with the Microsoft Graph Bicep extension, but the person running `azd up` is
often a subscription owner with no Entra role, and a failed Graph resource fails the whole deployment:
so, like the Graph permission grants, this runs in the postprovision hook (when MONITOR_ENABLE_MSP is
true) and, with `--if-allowed`, an account that may not create app registrations is told who can and the
deployment goes on.

Idempotent: the app is addressed by its `uniqueName` and the credential by its name, both upserted
with `Prefer: create-if-missing` (Microsoft Graph v1.0: `PATCH /applications(uniqueName='...')` and
`PATCH /applications/{id}/federatedIdentityCredentials(name='...')`), so running it again changes only
what drifted.
Through `az rest`, with the signed-in account's token. Who may run it: any member user while "Users can
register applications" is on (the default), else an Application Developer, Application Administrator or
Cloud Application Administrator; to update the app later, its owner or one of the two administrators.

Standard library only. Exit codes: 0 done (or, with --if-allowed, left to someone allowed), 1 Azure CLI
or Graph failed, 2 bad arguments or manifest.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote

# The sibling script's manifest reader and az rest client; this file's directory is on sys.path when
# it runs as a script.
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from grant_graph_permissions import (
    GRAPH,
    AzRestGraph,
    GraphCallError,
    ManifestError,
    PermissionManifest,
    application_roles,
    parse_manifest,
    read_manifest,
)

TOKEN_EXCHANGE_AUDIENCE = "api://AzureADTokenExchange"
CREDENTIAL_NAME = "function-app-managed-identity"
DEFAULT_DISPLAY_NAME = "PIN reset and TAP monitor (customer tenants)"
WHO_CAN = (
    "an Application Developer, Application Administrator or Cloud Application Administrator (or any member "
    'user while "Users can register applications" is on)'
)
_GUID = re.compile(r"^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$")
# uniqueName: the client-provided alternate key of an application (Graph's "Upsert application").
_UNIQUE_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,119}$")


@dataclass(frozen=True)
class Registration:
    """What the app registration and its credential should be."""

    unique_name: str
    display_name: str
    tenant_id: str  # the provider's tenant: the managed identity's issuer
    principal_id: str  # the managed identity's object (principal) ID: the credential's subject
    redirect_uris: tuple[str, ...] = ()


def customer_permissions(manifest: PermissionManifest) -> list[str]:
    """The permissions each customer grants: the manifest's, less those a setting turns on."""
    return [p.name for p in manifest.permissions if p.condition is None]


def application_body(
    registration: Registration, manifest: PermissionManifest, roles: Mapping[str, str]
) -> dict[str, Any]:
    """The application object: multi-tenant, asking for the customer permissions as app roles."""
    names = customer_permissions(manifest)
    unknown = [name for name in names if name not in roles]
    if unknown:
        listed = ", ".join(unknown)
        raise ManifestError(f"not an application permission of {manifest.resource_app_id}: {listed}")
    body: dict[str, Any] = {
        "displayName": registration.display_name,
        "signInAudience": "AzureADMultipleOrgs",
        "requiredResourceAccess": [
            {
                "resourceAppId": manifest.resource_app_id,
                "resourceAccess": [{"id": roles[name], "type": "Role"} for name in names],
            }
        ],
    }
    if registration.redirect_uris:
        body["web"] = {"redirectUris": list(registration.redirect_uris)}
    return body


def credential_body(registration: Registration) -> dict[str, Any]:
    """The federated identity credential that trusts the managed identity."""
    return {
        "issuer": f"https://login.microsoftonline.com/{registration.tenant_id}/v2.0",
        "subject": registration.principal_id,
        "audiences": [TOKEN_EXCHANGE_AUDIENCE],
        "description": "The monitor's Function app (its user-assigned managed identity) reads customer "
        "tenants.",
    }


def consent_url_template(app_id: str) -> str:
    return f"https://login.microsoftonline.com/<customer-tenant-id>/adminconsent?client_id={app_id}"


class AzRestGraphWriter(AzRestGraph):
    """`az rest` with PATCH and extra headers (upserts need `Prefer: create-if-missing`)."""

    def patch(self, url: str, body: Mapping[str, Any], *headers: str) -> dict[str, Any]:
        with tempfile.NamedTemporaryFile("w", suffix=".json", delete=False) as handle:
            json.dump(body, handle)
        try:
            sent = ["Content-Type=application/json", *headers]
            return self._call("patch", url, "--body", f"@{handle.name}", "--headers", *sent)
        finally:
            os.unlink(handle.name)


def register(graph: AzRestGraphWriter, registration: Registration, manifest: PermissionManifest) -> str:
    """Upsert the app and its credential; return the app's application (client) ID."""
    by_app_id = quote(f"appId eq '{manifest.resource_app_id}'")
    resources = graph.get_all(f"{GRAPH}/servicePrincipals?$filter={by_app_id}&$select=id,appRoles")
    if len(resources) != 1:
        raise GraphCallError(f"no service principal for {manifest.resource_app_id} in this tenant")
    body = application_body(registration, manifest, application_roles(resources[0]))
    key = f"{GRAPH}/applications(uniqueName='{quote(registration.unique_name, safe='')}')"
    created = graph.patch(key, body, "Prefer=create-if-missing")
    print(f"app registration {registration.unique_name}: {'created' if created else 'updated'}")
    application = graph.get(f"{key}?$select=id,appId")
    object_id, app_id = application.get("id"), application.get("appId")
    if not isinstance(object_id, str) or not isinstance(app_id, str):
        raise GraphCallError(f"applications(uniqueName='{registration.unique_name}') has no id or appId")
    credential = f"{GRAPH}/applications/{object_id}/federatedIdentityCredentials(name='{CREDENTIAL_NAME}')"
    graph.patch(credential, credential_body(registration), "Prefer=create-if-missing")
    print(
        f"federated credential {CREDENTIAL_NAME}: trusts managed identity {registration.principal_id} "
        f"(issuer https://login.microsoftonline.com/{registration.tenant_id}/v2.0)"
    )
    return app_id


def save_to_azd(app_id: str) -> bool:
    """`azd env set MONITOR_MSP_APP_ID <id>` when azd is here, so the next provision sets the app setting."""
    azd = shutil.which("azd")
    if azd is None:
        return False
    done = subprocess.run([azd, "env", "set", "MONITOR_MSP_APP_ID", app_id], capture_output=True, text=True)
    return done.returncode == 0


def running_command(registration: Registration) -> str:
    return (
        ".venv/bin/python -m monitor permissions --format json > permissions.json && "
        "python3 infra/scripts/msp_app_registration.py --manifest permissions.json "
        f"--principal-id {registration.principal_id} --tenant-id {registration.tenant_id} "
        f"--unique-name {registration.unique_name}"
    )


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n\n")[0])
    parser.add_argument("--manifest", help="saved output of `python -m monitor permissions --format json`")
    parser.add_argument("--principal-id", default=os.environ.get("MONITOR_IDENTITY_PRINCIPAL_ID", ""))
    parser.add_argument("--tenant-id", default=os.environ.get("AZURE_TENANT_ID", ""))
    env_name = os.environ.get("AZURE_ENV_NAME", "").strip()
    parser.add_argument(
        "--unique-name",
        default=f"pin-reset-monitor-msp-{env_name}" if env_name else "",
        help="the app's alternate key (default: pin-reset-monitor-msp-<azd environment>)",
    )
    parser.add_argument("--display-name", default=DEFAULT_DISPLAY_NAME)
    parser.add_argument(
        "--redirect-uri",
        action="append",
        default=[],
        help="where Entra sends a customer's admin after consent (MONITOR_MSP_CONSENT_REDIRECT_URI)",
    )
    parser.add_argument("--save-to-azd", action="store_true", help="azd env set MONITOR_MSP_APP_ID <app ID>")
    parser.add_argument(
        "--if-allowed",
        action="store_true",
        help="when the signed-in account may not create app registrations, say who can and exit 0",
    )
    args = parser.parse_args(argv)
    missing = [
        flag
        for flag, value in (
            ("--principal-id", args.principal_id),
            ("--tenant-id", args.tenant_id),
            ("--unique-name", args.unique_name),
        )
        if not value
    ]
    if missing:
        print(f"error: {', '.join(missing)} required (azd sets them after provisioning)", file=sys.stderr)
        return 2
    for flag, value in (("--principal-id", args.principal_id), ("--tenant-id", args.tenant_id)):
        if not _GUID.match(value):
            print(f"error: {flag} must be a GUID, got {value[:60]!r}", file=sys.stderr)
            return 2
    if not _UNIQUE_NAME.match(args.unique_name):
        print(
            "error: --unique-name must be letters, digits, '.', '_' or '-' (up to 120), "
            f"got {args.unique_name[:60]!r}",
            file=sys.stderr,
        )
        return 2
    redirect = os.environ.get("MONITOR_MSP_CONSENT_REDIRECT_URI", "").strip()
    redirects = tuple(dict.fromkeys([*args.redirect_uri, *([redirect] if redirect else [])]))
    registration = Registration(
        args.unique_name, args.display_name, args.tenant_id.lower(), args.principal_id.lower(), redirects
    )
    try:
        manifest = parse_manifest(read_manifest(args.manifest))
    except (ManifestError, OSError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    az = shutil.which("az")
    if az is None:
        print("error: the Azure CLI (az) is not on PATH; sign in with `az login` first", file=sys.stderr)
        return 1
    try:
        app_id = register(AzRestGraphWriter(az), registration, manifest)
    except ManifestError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    except GraphCallError as exc:
        if args.if_allowed and exc.refused:
            print(f"not created: the signed-in account may not create or change the app registration ({exc})")
            print(f"Ask {WHO_CAN} to run, signed in with `az login`, from this folder:")
            print(f"  {running_command(registration)}")
            return 0
        print(f"error: {exc}", file=sys.stderr)
        return 1
    print(f"application (client) ID: {app_id}")
    print("permissions each customer's admin grants: " + ", ".join(customer_permissions(manifest)))
    if args.save_to_azd and save_to_azd(app_id):
        print("saved as MONITOR_MSP_APP_ID in the azd environment: run `azd provision` once more to set it")
    else:
        print(f"set MONITOR_MSP_APP_ID: azd env set MONITOR_MSP_APP_ID {app_id}, then azd provision")
    print(f"each customer's admin opens: {consent_url_template(app_id)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
