#!/usr/bin/env bash
# The main job end to end on a fresh machine: a simulated tenant with broken PIN reset consent, Table
# Storage in Azurite, one monitoring pass (what the Functions timer runs), and the findings read back
# from storage. Usage: scripts/demo.sh [tenant under examples/tenants] (default: consent-missing)
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/bootstrap.sh

tenant=${1:-consent-missing}
now=2026-11-20T12:00:00Z   # the bundled tenants' reference time
run=.run/demo
mkdir -p "$run"
py=.venv/bin/python
port() { "$py" -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }

pids=()
cleanup() { for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done; wait 2>/dev/null || true; }
trap cleanup EXIT

table_port=$(port)
(cd "$run" && exec ../../tools/azurite/node_modules/.bin/azurite-table --tableHost 127.0.0.1 \
  --tablePort "$table_port" --inMemoryPersistence --disableTelemetry --skipApiVersionCheck --silent) \
  > "$run/azurite.log" 2>&1 &
pids+=($!)

"$py" -m graphsim --snapshot "examples/tenants/$tenant" --port 0 > "$run/simulator.log" 2>&1 &
pids+=($!)

for _ in $(seq 1 100); do
  grep -q "listening on" "$run/simulator.log" 2>/dev/null && (echo > "/dev/tcp/127.0.0.1/$table_port") 2>/dev/null && break
  sleep 0.2
done
graph=$(sed -n 's/^listening on \(http[^ ]*\).*/\1/p' "$run/simulator.log" | head -n 1)
[ -n "$graph" ] || { echo "demo: the Graph simulator did not start:" >&2; cat "$run/simulator.log" >&2; exit 1; }

export MONITOR_GRAPH_ENDPOINT=$graph
export MONITOR_GRAPH_CREDENTIAL=simulator
export MONITOR_STORAGE_CONNECTION_STRING="DefaultEndpointsProtocol=http;AccountName=devstoreaccount1;AccountKey=Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw==;TableEndpoint=http://127.0.0.1:$table_port/devstoreaccount1;"
export MONITOR_TABLE_PREFIX=demo

echo "== Tenant examples/tenants/$tenant served by the Graph simulator at $graph; Table Storage in Azurite on port $table_port"
echo "== One monitoring pass (python -m monitor run, what the timer trigger runs):"
"$py" -m monitor run --now "$now"
echo
echo "== Findings stored in Table Storage (python -m monitor findings):"
"$py" -m monitor findings
echo
echo "== Health (python -m monitor status, what GET /api/health answers):"
"$py" -m monitor status

# -- Event-driven ingestion (docs/ingest.md): a device report, the log stream, and an alert that asks
# for a pass. No Functions host runs here, so each is the CLI command that runs the trigger's code.
queue_port=$(port)
(cd "$run" && exec ../../tools/azurite/node_modules/.bin/azurite-queue --queueHost 127.0.0.1 \
  --queuePort "$queue_port" --inMemoryPersistence --disableTelemetry --skipApiVersionCheck --silent) \
  > "$run/azurite-queue.log" 2>&1 &
pids+=($!)
for _ in $(seq 1 100); do (echo > "/dev/tcp/127.0.0.1/$queue_port") 2>/dev/null && break; sleep 0.2; done
export MONITOR_STORAGE_CONNECTION_STRING="${MONITOR_STORAGE_CONNECTION_STRING}QueueEndpoint=http://127.0.0.1:$queue_port/devstoreaccount1;"
echo
echo "== A device's dsregcmd /status report (python -m monitor ingest-device-report, what POST /api/device-reports stores):"
"$py" -m monitor ingest-device-report docs/schemas/device-report.example.json
echo
echo "== Entra log-stream records (python -m monitor ingest-log-records, what the Event Hub trigger runs):"
"$py" -m monitor ingest-log-records docs/schemas/resource-log-records.example.json --now "$now"
echo
echo "== Three Azure Monitor alerts within a minute (python -m monitor queue-alert, what POST /api/azure-monitor-alerts queues):"
for _ in 1 2 3; do "$py" -m monitor queue-alert docs/schemas/azure-monitor-alert.example.json > /dev/null; done
echo "queued 3; the queue trigger's code (python -m monitor run-queued-passes) runs one pass for them:"
"$py" -m monitor run-queued-passes --now "$now"
echo
echo "== Device findings after that pass (python -m monitor findings):"
"$py" -m monitor findings | grep -E "^(rule|device\.)|destructive" || true
