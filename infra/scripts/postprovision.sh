#!/usr/bin/env sh
# azd postprovision hook: grant the managed identity its Microsoft Graph permissions (Bicep cannot),
# from the manifest the monitor itself prints. Needs the project's .venv (scripts/bootstrap.sh) and an
# `az login` as Privileged Role Administrator or Global Administrator. Safe to run again.
set -eu
cd "$(dirname "$0")/../.."
if [ ! -x .venv/bin/python ]; then
  echo "postprovision: run scripts/bootstrap.sh first (the manifest comes from python -m monitor)" >&2
  exit 1
fi
manifest=$(mktemp)
trap 'rm -f "$manifest"' EXIT
.venv/bin/python -m monitor permissions --format json > "$manifest"
.venv/bin/python infra/scripts/grant_graph_permissions.py --manifest "$manifest"
