#!/usr/bin/env python3
"""Create (or update) Microsoft Entra ID's diagnostic setting that streams the sign-in and audit logs to
the monitor's event hub.

A diagnostic setting of Entra ID is a tenant-level resource (`microsoft.aadiam/diagnosticSettings`). Through
an ARM deployment it would need deployment rights at the tenant root scope ("/"), which a subscription
owner does not have; Microsoft's "Stream Microsoft Entra logs to an event hub" has it made by a Security
Administrator or Global Administrator instead, and that is what this script does: one
`PUT https://management.azure.com/providers/microsoft.aadiam/diagnosticSettings/{name}?api-version=2017-04-01`
through `az rest`, with the signed-in account's token. The account also needs to read the keys of the
event hub namespace's authorization rule (Owner or Contributor on the resource group, or the Azure Event
Hubs Data Owner role), which the person who ran `azd up` has.

The azd postprovision hook runs it with `--if-allowed` when MONITOR_ENABLE_ENTRA_LOG_STREAM is true: an
account that may not create the setting is told who can, the command is printed, and `azd up` goes on.

Standard library only. Exit codes: 0 done (or, with --if-allowed, left to an administrator), 1 the Azure
CLI failed, 2 bad arguments.
"""

from __future__ import annotations

import argparse
import json
import os
import shlex
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Sequence
from typing import Any

API = "https://management.azure.com/providers/microsoft.aadiam/diagnosticSettings"
API_VERSION = "2017-04-01"
# What the monitor reads from the stream (docs/ingest.md); sign-in logs need Entra ID P1 or P2.
CATEGORIES = ("SignInLogs", "NonInteractiveUserSignInLogs", "AuditLogs")
WHO_CAN = "Security Administrator or Global Administrator"
REFUSED = ("AuthorizationFailed", "Forbidden", "does not have authorization", "LinkedAuthorizationFailed")


def setting_body(authorization_rule_id: str, hub: str) -> dict[str, Any]:
    return {
        "properties": {
            "eventHubAuthorizationRuleId": authorization_rule_id,
            "eventHubName": hub,
            "logs": [{"category": category, "enabled": True} for category in CATEGORIES],
        }
    }


def setting_url(name: str) -> str:
    return f"{API}/{name}?api-version={API_VERSION}"


def command_for_an_administrator(name: str, authorization_rule_id: str, hub: str) -> str:
    return " ".join(
        [
            "python3 infra/scripts/entra_log_stream.py",
            f"--name {shlex.quote(name)}",
            f"--authorization-rule-id {shlex.quote(authorization_rule_id)}",
            f"--hub {shlex.quote(hub)}",
        ]
    )


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--name", default=os.environ.get("ENTRA_LOG_STREAM_SETTING_NAME", ""))
    parser.add_argument(
        "--authorization-rule-id", default=os.environ.get("ENTRA_LOG_STREAM_AUTHORIZATION_RULE_ID", "")
    )
    parser.add_argument("--hub", default=os.environ.get("ENTRA_LOG_STREAM_HUB", ""))
    parser.add_argument("--dry-run", action="store_true", help="print the request, send nothing")
    parser.add_argument(
        "--if-allowed",
        action="store_true",
        help="when the signed-in account may not create the setting, say who can and exit 0",
    )
    args = parser.parse_args(argv)
    missing = [flag for flag, value in (("--name", args.name), ("--authorization-rule-id",
               args.authorization_rule_id), ("--hub", args.hub)) if not value]  # fmt: skip
    if missing:
        needed = ", ".join(missing)
        print(f"error: {needed} required (azd sets them when the log stream is on)", file=sys.stderr)
        return 2
    body = setting_body(args.authorization_rule_id, args.hub)
    url = setting_url(args.name)
    if args.dry_run:
        print(f"PUT {url}")
        print(json.dumps(body, indent=2))
        return 0
    az = shutil.which("az")
    if az is None:
        print("error: the Azure CLI (az) is not on PATH; sign in with `az login` first", file=sys.stderr)
        return 1
    with tempfile.NamedTemporaryFile("w", suffix=".json", delete=False) as handle:
        json.dump(body, handle)
    try:
        done = subprocess.run(
            [az, "rest", "--method", "put", "--url", url, "--body", f"@{handle.name}",
             "--headers", "Content-Type=application/json"],
            capture_output=True, text=True, check=False,
        )  # fmt: skip
    finally:
        os.unlink(handle.name)
    if done.returncode == 0:
        print(f"Entra ID diagnostic setting {args.name}: {', '.join(CATEGORIES)} to event hub {args.hub}")
        return 0
    said = [line for line in done.stderr.splitlines() if line.strip()]
    reason = said[-1] if said else f"exit code {done.returncode}"
    if args.if_allowed and any(mark in reason for mark in REFUSED):
        print(f"not created: the signed-in account may not create Entra ID's diagnostic setting ({reason})")
        print(f"A {WHO_CAN} of the tenant creates it, signed in with `az login`, from this folder:")
        print(f"  {command_for_an_administrator(args.name, args.authorization_rule_id, args.hub)}")
        print("Until then the monitor polls Microsoft Graph as usual; only the stream's records are missing.")
        return 0
    print(f"error: az rest put {API}/{args.name} failed: {reason}", file=sys.stderr)
    return 1


if __name__ == "__main__":
    sys.exit(main())
