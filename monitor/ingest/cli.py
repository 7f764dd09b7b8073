"""The ingestion commands: what the ingestion routes and triggers do, from a file on this machine
(`monitor ingest-device-report`, `ingest-log-records`, `queue-alert`, `run-queued-passes`,
`ingest-rejects`). A local file needs no key."""

from __future__ import annotations

import argparse
import asyncio
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any


def add_ingest_commands(commands: Any, parse_now: Callable[[str], datetime]) -> None:
    report = commands.add_parser(
        "ingest-device-report", help="store a device's dsregcmd /status report (POST /api/device-reports)"
    )
    report.add_argument("file", type=Path, help="the JSON body (docs/schemas/device-report.json)")
    records = commands.add_parser(
        "ingest-log-records", help="store Entra log-stream records and judge them (the Event Hub trigger)"
    )
    records.add_argument("file", type=Path, help='an Event Hub event body: {"records": [...]}')
    records.add_argument("--now", type=parse_now, help="fix the clock the rules judge by (default: now)")
    alert = commands.add_parser(
        "queue-alert", help="queue the pass an Azure Monitor alert asks for (POST /api/azure-monitor-alerts)"
    )
    alert.add_argument("file", type=Path, help="the alert in the common alert schema")
    queued = commands.add_parser(
        "run-queued-passes", help="run the queued passes, debounced (the queue trigger)"
    )
    queued.add_argument("--now", type=parse_now, help="fix the clock of the passes (default: now)")
    rejects = commands.add_parser(
        "ingest-rejects", help="the log-stream records refused, with their reasons (default: last 7 days)"
    )
    rejects.add_argument("--since", type=parse_now, help="list what was refused since this time")
    for command in (report, records, alert, queued, rejects):
        command.set_defaults(output=None)


def _read_input(path: Path) -> bytes:
    from monitor.cli import UsageError

    try:
        return path.read_bytes()
    except OSError as exc:
        raise UsageError(f"cannot read {path}: {exc.strerror}") from exc


def _answered(answer: Any) -> str:
    """An HTTP route's answer as the CLI's result: 4xx is bad input (exit 2), 5xx storage (exit 1)."""
    from monitor.cli import IngestFailed, UsageError, _json

    if answer.status >= 500:
        raise IngestFailed(answer.json().get("error", "storage failed"))
    if answer.status >= 400:
        raise UsageError(answer.json().get("error", "rejected"))
    return _json(dict(answer.json()))


def ingest_command(args: argparse.Namespace) -> str:
    """Run one of the ingestion commands; bad input is a UsageError (exit 2), storage IngestFailed (1)."""
    from monitor.cli import UsageError, _json, _runtime
    from monitor.service import ingest, passes

    with _runtime() as runtime:
        if args.command == "ingest-device-report":
            return _answered(ingest.store_device_report(runtime, {}, _read_input(args.file)))
        if args.command == "queue-alert":
            return _answered(ingest.queue_alert(runtime, {}, _read_input(args.file)))
        if args.command == "run-queued-passes":
            return _json({"passes": asyncio.run(passes.run_queued_passes(runtime, now=args.now))})
        if args.command == "ingest-rejects":
            since = args.since or datetime.now(UTC) - timedelta(days=7)
            return _json({"rejects": ingest.ingest_rejects(runtime, since)})
        from monitor.ingest.errors import RejectedBody
        from monitor.ingest.resource_logs import event_records

        body = _read_input(args.file)
        try:
            event_records(body)
        except RejectedBody as exc:
            raise UsageError(f"{args.file}: {exc}") from exc
        return _json(ingest.ingest_log_events(runtime, [body], now=args.now).to_json())
