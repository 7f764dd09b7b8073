#!/usr/bin/env bash
# The test command (README, CI): installs what it needs, then lint, types and the whole test suite.
# Tests start their own Azurite and Graph simulators on loopback. Extra arguments go to pytest.
set -euo pipefail
cd "$(dirname "$0")/.."
started=$SECONDS
trap 'echo "scripts/test.sh: $((SECONDS - started)) s" >&2' EXIT
scripts/bootstrap.sh
.venv/bin/ruff check .
.venv/bin/ruff format --check .
.venv/bin/mypy
# The Bicep CLI cannot be installed here, so infra/ is checked statically (offline: --skip-download).
# infra/app/easyauth.bicep holds only the site's authsettingsV2 child, to which checkov applies every check
# of a whole site (HTTP logging, .NET version, Azure Files...); the site itself is checked in api.bicep.
.venv-checkov/bin/checkov -d infra --framework bicep secrets --skip-download --quiet --compact \
  --skip-path infra/app/easyauth.bicep
# One worker per core (pytest-xdist); each worker starts its own Azurite and simulators on free ports.
.venv/bin/python -m pytest -n auto "$@"
