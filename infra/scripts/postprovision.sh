#!/usr/bin/env sh
# azd postprovision hook, after the resources exist:
#   1. grant the managed identity its Microsoft Graph permissions (Bicep cannot), from the manifest the
#      monitor itself prints;
#   2. with the Entra log stream on, create Entra ID's diagnostic setting that feeds the event hub;
#   3. with MONITOR_ENABLE_MSP=true (many customer tenants, docs/msp.md), create or update the multi-tenant
#      app registration and its federated credential trusting the managed identity.
# Each step needs an Entra role the person running azd may not hold (docs/deploy.md, "Who needs which
# role"): without it the step says who can and prints their command, and `azd up` goes on to deploy.
# Needs the project's .venv (scripts/bootstrap.sh) and `az login`. Safe to run again.
set -eu
cd "$(dirname "$0")/../.."
if [ ! -x .venv/bin/python ]; then
  echo "postprovision: run scripts/bootstrap.sh first (the manifest comes from python -m monitor)" >&2
  exit 1
fi
manifest=$(mktemp)
trap 'rm -f "$manifest"' EXIT
.venv/bin/python -m monitor permissions --format json > "$manifest"
.venv/bin/python infra/scripts/grant_graph_permissions.py --manifest "$manifest" --if-allowed
if [ "${MONITOR_ENABLE_MSP:-false}" = "true" ]; then
  .venv/bin/python infra/scripts/msp_app_registration.py --manifest "$manifest" --save-to-azd --if-allowed
fi
if [ "${MONITOR_ENABLE_ENTRA_LOG_STREAM:-false}" = "true" ]; then
  .venv/bin/python infra/scripts/entra_log_stream.py --if-allowed
fi
