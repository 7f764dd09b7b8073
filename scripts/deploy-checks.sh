#!/usr/bin/env bash
# The deployment checks that stand in for tools this machine cannot install (Core Tools, the Bicep CLI):
#   functions_index_check.py  the real Python worker indexes function_app.py and every binding's setting
#                             exists in infra/
#   bicep_typecheck.py        infra/ against Azure's published resource types and known service rules
# Both live outside the project, in the team's shared tools folder (SHARED_TOOLS, default ../shared/tools);
# a clone without it skips them. Nothing of them is copied into the repository: the worker is assembled
# under .run/ from the tools folder and the gRPC modules that Microsoft publishes for it on PyPI.
set -euo pipefail
cd "$(dirname "$0")/.."
tools=${SHARED_TOOLS:-../shared/tools}
if [ ! -f "$tools/functions_index_check.py" ]; then
  echo "deploy-checks: $tools not found; skipped (they run where the team's tools are)" >&2
  exit 0
fi
python=${PYTHON:-python3}
venv=.run/deploycheck/venv
stamp=$venv/.requirements.sha256
want=$(cat requirements.txt tools/deploycheck/requirements.txt | sha256sum | cut -d' ' -f1)
if [ "$(cat "$stamp" 2>/dev/null)" != "$want" ]; then
  echo "deploy-checks: installing the checks' packages into $venv" >&2
  [ -x $venv/bin/python ] || "$python" -m venv $venv
  $venv/bin/python -m pip install --quiet --disable-pip-version-check -r tools/deploycheck/requirements.txt
  echo "$want" > "$stamp"
fi

# The worker's generated gRPC modules (FunctionRpc_pb2 and friends) are not in the tools folder. The
# worker's own PyPI release for the v1 runtime ships the same generated modules; take them from its wheel.
worker=.run/deploycheck/worker
protos=$worker/azure_functions_worker/protos
if [ ! -f "$protos/FunctionRpc_pb2.py" ]; then
  echo "deploy-checks: assembling the Python worker under $worker" >&2
  rm -rf "$worker" && mkdir -p "$worker"
  cp -r "$tools/functions-worker/azure_functions_worker" "$worker/"
  chmod -R u+w "$worker"
  wheels=$(mktemp -d)
  $venv/bin/python -m pip download --quiet --disable-pip-version-check --no-deps --only-binary=:all: \
    --python-version 3.13 -d "$wheels" azure-functions-runtime-v1==1.2.0
  $venv/bin/python - "$wheels" "$protos" <<'PY'
import sys, zipfile
from pathlib import Path
wheel = next(Path(sys.argv[1]).glob("*.whl"))
out = Path(sys.argv[2])
with zipfile.ZipFile(wheel) as z:
    for name in z.namelist():
        if name.startswith("tests/protos/") and name.endswith(("_pb2.py", "_pb2_grpc.py")):
            target = out / name.removeprefix("tests/protos/")
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_bytes(z.read(name))
PY
  rm -rf "$wheels"
fi

status=0
echo "deploy-checks: functions_index_check.py" >&2
$venv/bin/python "$tools/functions_index_check.py" --app . --worker-dir "$worker" || status=1
echo "deploy-checks: bicep_typecheck.py" >&2
$venv/bin/python "$tools/bicep_typecheck.py" --root . || status=1
exit $status
