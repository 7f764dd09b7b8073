#!/usr/bin/env bash
# The main job end to end on a fresh machine: a simulated tenant with broken PIN reset consent, Table
# Storage in Azurite, monitoring passes (what the Functions timer runs) with their alerts captured by
# loopback receivers, the findings and alerts read back from storage, then the same tenant after the fix
# and its resolved notices. Usage: scripts/demo.sh [tenant under examples/tenants] (default: consent-missing)
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/bootstrap.sh

tenant=${1:-consent-missing}
fixed=examples/tenants/$tenant-fixed   # the same tenant after the fix, where one is bundled
now=2026-11-20T12:00:00Z   # the bundled tenants' reference time
run=.run/demo
alerts=$run/alerts
mkdir -p "$run"
rm -rf "$alerts"
mkdir -p "$alerts/teams" "$alerts/webhook" "$alerts/email"
py=.venv/bin/python
port() { "$py" -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }

pids=()
cleanup() { for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done; wait 2>/dev/null || true; }
trap cleanup EXIT

wait_for() {  # wait_for LOG: until LOG says "listening on URL"; print the URL
  for _ in $(seq 1 100); do
    grep -q "listening on" "$1" 2>/dev/null && break
    sleep 0.2
  done
  sed -n 's/^listening on \(http[^ ]*\).*/\1/p' "$1" | head -n 1
}

table_port=$(port)
(cd "$run" && exec ../../tools/azurite/node_modules/.bin/azurite-table --tableHost 127.0.0.1 \
  --tablePort "$table_port" --inMemoryPersistence --disableTelemetry --skipApiVersionCheck --silent) \
  > "$run/azurite.log" 2>&1 &
pids+=($!)
queue_port=$(port)
(cd "$run" && exec ../../tools/azurite/node_modules/.bin/azurite-queue --queueHost 127.0.0.1 \
  --queuePort "$queue_port" --inMemoryPersistence --disableTelemetry --skipApiVersionCheck --silent) \
  > "$run/azurite-queue.log" 2>&1 &
pids+=($!)

# Stand-ins for the Teams Workflows webhook and the SIEM webhook: every post kept as the exact body.
"$py" -m graphsim.receiver --dir "$alerts" --port 0 > "$run/receiver.log" 2>&1 &
pids+=($!)
receiver=$(wait_for "$run/receiver.log")
[ -n "$receiver" ] || { echo "demo: the alert receiver did not start:" >&2; cat "$run/receiver.log" >&2; exit 1; }

simulator=""
serve() {  # serve SNAPSHOT: (re)start the Graph simulator on it; sendMail lands in $alerts/email as .eml
  if [ -n "$simulator" ]; then kill "$simulator" 2>/dev/null || true; wait "$simulator" 2>/dev/null || true; fi
  "$py" -m graphsim --snapshot "$1" --port 0 --mail-dir "$alerts/email" > "$run/simulator.log" 2>&1 &
  simulator=$!
  pids+=($simulator)
  graph=$(wait_for "$run/simulator.log")
  [ -n "$graph" ] || { echo "demo: the Graph simulator did not start:" >&2; cat "$run/simulator.log" >&2; exit 1; }
  export MONITOR_GRAPH_ENDPOINT=$graph
}
serve "examples/tenants/$tenant"
for p in "$table_port" "$queue_port"; do
  for _ in $(seq 1 100); do (echo > "/dev/tcp/127.0.0.1/$p") 2>/dev/null && break; sleep 0.2; done
done

export MONITOR_GRAPH_CREDENTIAL=simulator
export MONITOR_STORAGE_CONNECTION_STRING="DefaultEndpointsProtocol=http;AccountName=devstoreaccount1;AccountKey=Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw==;TableEndpoint=http://127.0.0.1:$table_port/devstoreaccount1;QueueEndpoint=http://127.0.0.1:$queue_port/devstoreaccount1;"
export MONITOR_TABLE_PREFIX=demo
export MONITOR_POLL_SCHEDULE="0 */15 * * * *"   # the timer's schedule in Azure; health judges staleness by it
# Alert destinations (in Azure: app settings, the URLs and the key as Key Vault references).
export MONITOR_ALERT_DESTINATIONS="identity-team=teams,soc=webhook,admins=email"
export MONITOR_ALERT_IDENTITY_TEAM_URL="$receiver/teams/identity-team"
export MONITOR_ALERT_SOC_URL="$receiver/webhook/soc"
export MONITOR_ALERT_SOC_HMAC_KEY="demo-only-hmac-key-0123456789"
export MONITOR_ALERT_ADMINS_RECIPIENTS="identity-admins@example.com,helpdesk-lead@example.com"
# Graph sendMail needs a mailbox of the tenant; the demo sends from its technical contact's.
MONITOR_ALERT_EMAIL_SENDER=$("$py" -c 'import json,sys; print(json.load(open(sys.argv[1]))["value"][0]["userPrincipalName"])' "examples/tenants/$tenant/v1.0/users.json" 2>/dev/null || echo "monitor@example.com")
export MONITOR_ALERT_EMAIL_SENDER
export MONITOR_ALERT_ROUTES='[{"severities": ["critical", "high"], "to": ["identity-team", "admins"]}, {"rules": ["consent.*", "signin.*", "tap.*"], "to": ["soc"]}]'
export MONITOR_ALERT_DEFAULT_ROUTE=admins

captured() { find "$alerts" -type f | wc -l | tr -d ' '; }
pass() {  # pass NOW [brief]: one monitoring pass (python -m monitor run) and what it alerted
  local before
  before=$(captured)
  if [ "${2:-}" = brief ]; then
    "$py" -m monitor run --now "$1" | sed '/^\[/,$d' | sed '/^Rules:/,$d'   # the findings, not the whole report
  else
    "$py" -m monitor run --now "$1"
  fi
  echo "-- alerts captured by this pass: $(( $(captured) - before )) (Teams posts, webhook posts, emails)"
}

echo "== Tenant examples/tenants/$tenant served by the Graph simulator at $MONITOR_GRAPH_ENDPOINT; Table Storage in Azurite on port $table_port"
echo "== Alerts: Teams and webhook posts captured by $receiver, email by the simulator's sendMail"
echo
echo "== Monitoring pass at $now (python -m monitor run, what the timer trigger runs):"
pass "$now"
echo
echo "== The same tenant 15 minutes later: still failing, so nothing new is sent (reminders come after 24 h):"
pass 2026-11-20T12:15:00Z brief
echo
# -- Event-driven ingestion (docs/ingest.md), half an hour on: a device report, the log stream, and alerts
# that ask for a pass. No Functions host runs here, so each is the CLI command that runs the trigger's code.
# The inputs are the bundled examples, rewritten for this tenant and dated just before 12:30.
events=$run/events
"$py" scripts/demo_events.py --tenant "examples/tenants/$tenant" --at 2026-11-20T12:30:00Z --out "$events" > /dev/null
echo "== 12:30: a device's dsregcmd /status report (python -m monitor ingest-device-report, what POST /api/device-reports stores):"
"$py" -m monitor ingest-device-report "$events/device-report.json"
echo
echo "== Entra log-stream records of the last half hour (python -m monitor ingest-log-records, what the Event Hub trigger runs):"
before=$(captured)
"$py" -m monitor ingest-log-records "$events/log-records.json" --now 2026-11-20T12:30:00Z
echo "-- alerts captured: $(( $(captured) - before ))"
echo
echo "== Three Azure Monitor alerts within a minute (python -m monitor queue-alert, what POST /api/azure-monitor-alerts queues):"
for _ in 1 2 3; do "$py" -m monitor queue-alert "$events/alert.json" > /dev/null; done
echo "queued 3; the queue trigger's code (python -m monitor run-queued-passes) runs one pass for them:"
before=$(captured)
"$py" -m monitor run-queued-passes --now 2026-11-20T12:30:00Z
echo "-- alerts captured: $(( $(captured) - before ))"
echo
echo "== Findings stored in Table Storage (python -m monitor findings):"
"$py" -m monitor findings
echo
echo "== Alerts (python -m monitor alerts):"
"$py" -m monitor alerts
echo
echo "== Weekly compliance snapshot (python -m monitor weekly, what the weekly timer runs), kept in Table Storage:"
"$py" -m monitor weekly --now 2026-11-20T12:45:00Z --output "$run/weekly-before"

if [ -d "$fixed" ]; then
  serve "$fixed"
  echo
  echo "== The fix: $fixed (an admin granted consent again); a pass the next day finds it passing:"
  pass 2026-11-21T13:00:00Z brief
  echo "-- the consent findings are resolved; their alerts wait ${MONITOR_ALERT_SETTLE_MINUTES:-30} minutes (the settle time) before the resolved notice."
  echo "   What the device report and the log stream found is still open, and a day on it gets its reminder."
  echo
  echo "== 45 minutes later, still passing: the resolved notices go out"
  pass 2026-11-21T13:45:00Z brief
  echo
  echo "== Alerts (python -m monitor alerts):"
  "$py" -m monitor alerts
  echo
  echo "== The next weekly snapshot, compared with the one before the fix:"
  "$py" -m monitor weekly --now 2026-11-21T13:45:00Z --output "$run/weekly"
fi
echo
echo "== Health (python -m monitor status, what GET /api/health answers):"
"$py" -m monitor status

# -- Many tenants from one deployment (docs/msp.md): three customer tenants in one simulator, each chosen
# by the tenant its token names; one of them disabled the monitor's app. The poll timer queues a pass per
# tenant, the queue trigger runs each in the tenant's own Runtime. Its own tables (prefix demomsp).
msp=$run/msp-tenants
rm -rf "$msp" && mkdir -p "$msp"
contoso=11111111-1111-4111-8111-111111111111 fabrikam=22222222-2222-4222-8222-222222222222
northwind=33333333-3333-4333-8333-333333333333
ln -s "$PWD/examples/tenants/$tenant" "$msp/$contoso"
ln -s "$PWD/examples/tenants/healthy" "$msp/$fabrikam"
ln -s "$PWD/examples/tenants/healthy" "$msp/$northwind"
"$py" -m graphsim --tenants "$msp" --port 0 > "$run/simulator-msp.log" 2>&1 &
pids+=($!)
msp_graph=$(wait_for "$run/simulator-msp.log")
[ -n "$msp_graph" ] || { echo "demo: the many-tenant simulator did not start:" >&2; cat "$run/simulator-msp.log" >&2; exit 1; }
"$py" - "$msp_graph/_simulator/tenants/$northwind" <<'PY'
import sys, urllib.request
request = urllib.request.Request(sys.argv[1], b'{"state": "disabled"}', {"Content-Type": "application/json"})
urllib.request.urlopen(request).read()
PY
(
  export MONITOR_GRAPH_ENDPOINT=$msp_graph MONITOR_TABLE_PREFIX=demomsp
  export MONITOR_MSP_APP_ID=6f1d3a52-0c3e-4c8e-9d7e-2b9a4f3c1e01   # the multi-tenant app (the simulator trusts any)
  echo
  echo "== Many tenants (docs/msp.md): three customers added; Contoso's alerts go to its own Teams channel"
  "$py" -m monitor tenants add "$contoso" --name Contoso --destination identity-team | head -n 1
  "$py" -m monitor tenants add "$fabrikam" --name Fabrikam | head -n 1
  "$py" -m monitor tenants add "$northwind" --name Northwind | head -n 1
  echo "== The poll timer queues one pass per due tenant (python -m monitor tenants poll):"
  "$py" -m monitor tenants poll --now "$now"
  echo "== The queue trigger runs each in its tenant's Runtime; Northwind disabled the app, so it is quarantined"
  echo "   (python -m monitor tenants run-queued):"
  before=$(captured)
  "$py" -m monitor tenants run-queued --now "$now"
  echo "-- alerts captured: $(( $(captured) - before ))"
  echo "== Per tenant (python -m monitor tenants status):"
  "$py" -m monitor tenants status
)
echo
echo "== Captured alerts under $alerts/, one file per delivery, in the order they were sent (Teams cards and"
echo "   webhook bodies exactly as posted, emails as .eml files any mail client opens):"
for kind in teams webhook email; do
  echo "   $kind/: $(ls "$alerts/$kind" | tr '\n' ' ')"
done
report=$run/weekly
[ -d "$report" ] || report=$run/weekly-before
echo
echo "== Weekly report: open $report/report.html in a browser (self-contained); report.json and the CSVs"
echo "   are beside it."
