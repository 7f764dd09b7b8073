#!/usr/bin/env bash
# Installs what the project needs on a fresh machine, and nothing twice:
#   .venv/                     Python packages from requirements-dev.txt
#   tools/azurite/node_modules Azurite, the Table Storage emulator (npm)
#   tools/adaptivecards/node_modules  Microsoft's Adaptive Cards renderer, which draws every Teams card
#                              in a rendering test (npm)
#   /usr/bin/chromium          Debian's chromium, which renders the weekly report in a test (apt)
#   .venv-checkov/             checkov, the static checker of infra/ (its own venv: its pins differ)
# Safe to run again: each part is skipped when its inputs have not changed.
set -euo pipefail
cd "$(dirname "$0")/.."

python=${PYTHON:-python3}
if [ ! -x .venv/bin/python ]; then
  echo "bootstrap: creating .venv" >&2
  "$python" -m venv .venv
fi

stamp=.venv/.requirements.sha256
want=$(cat requirements.txt requirements-dev.txt | sha256sum | cut -d' ' -f1)
if [ "$(cat "$stamp" 2>/dev/null)" != "$want" ]; then
  echo "bootstrap: installing Python packages" >&2
  .venv/bin/python -m pip install --quiet --disable-pip-version-check -r requirements-dev.txt
  echo "$want" > "$stamp"
fi

lock=tools/azurite/node_modules/.package-lock.json
if [ ! -f "$lock" ] || ! cmp -s <(sed -n '/"node_modules\/azurite"/,/}/p' tools/azurite/package-lock.json) \
                                <(sed -n '/"node_modules\/azurite"/,/}/p' "$lock"); then
  echo "bootstrap: installing Azurite (npm)" >&2
  (cd tools/azurite && npm ci --no-audit --no-fund --loglevel=error >/dev/null)
fi

lock=tools/adaptivecards/node_modules/.package-lock.json
if [ ! -f "$lock" ] || ! cmp -s <(sed -n '/"node_modules\/adaptivecards"/,/}/p' tools/adaptivecards/package-lock.json) \
                                <(sed -n '/"node_modules\/adaptivecards"/,/}/p' "$lock"); then
  echo "bootstrap: installing the Adaptive Cards renderer (npm)" >&2
  (cd tools/adaptivecards && npm ci --no-audit --no-fund --loglevel=error >/dev/null)
fi

# The weekly report's browser test renders report.html in headless chromium. Only when it is missing, and
# only where apt-get can install it (root on Debian or Ubuntu); elsewhere that one test says what to do.
if ! command -v chromium >/dev/null 2>&1 && command -v apt-get >/dev/null 2>&1 && [ "$(id -u)" = 0 ]; then
  echo "bootstrap: installing chromium (apt)" >&2
  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends chromium >/dev/null
fi

checkov_stamp=.venv-checkov/.requirements.sha256
want=$(sha256sum requirements-checkov.txt | cut -d' ' -f1)
if [ ! -x .venv-checkov/bin/checkov ] || [ "$(cat "$checkov_stamp" 2>/dev/null)" != "$want" ]; then
  echo "bootstrap: installing checkov into .venv-checkov" >&2
  [ -x .venv-checkov/bin/python ] || "$python" -m venv .venv-checkov
  .venv-checkov/bin/python -m pip install --quiet --disable-pip-version-check -r requirements-checkov.txt
  echo "$want" > "$checkov_stamp"
fi
