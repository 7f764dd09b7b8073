"""`python -m monitor`: the same passes the Functions app runs, from a terminal.

    scan         one pass against a tenant snapshot directory, served by the Graph simulator
    run          one pass against the configured Graph and Table Storage (what the timer runs)
    findings     the findings ledger kept in Table Storage
    status       the health report (what GET /api/health returns)
    alerts       alerts with their state; `alerts ack ID`, `alerts snooze ID --for 2h|--until T`,
                 `alerts outbox [--status dead]` (docs/alerts.md)
    rules        the rule catalog (--format markdown writes docs/rules.md)
    permissions  the least-privilege Graph permissions, each with the rules and features that need it
    weekly       the weekly compliance snapshot: report.html, report.json and CSV files in --output
    tap-signins  the SOC's list of TAP sign-ins with their pass, findings and recovery chain
    ingest-device-report FILE  store a device's dsregcmd /status report (POST /api/device-reports)
    ingest-log-records FILE    store Entra log-stream records and judge them (the Event Hub trigger)
    queue-alert FILE           queue the pass an Azure Monitor alert asks for (POST /api/azure-monitor-alerts)
    run-queued-passes          run the queued passes, debounced (the queue trigger)

Exit codes: 0 the command ran (whatever it found); 1 it could not finish (Graph or storage failed);
2 bad arguments, bad configuration or an unreadable snapshot, with a one-line error on stderr.
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import sys
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, NoReturn

import orjson

from monitor import report
from monitor.settings import SettingsError
from monitor.soc.cli import add_review_command, review_command

log = logging.getLogger("monitor")


class UsageError(Exception):
    """Bad arguments or input: exit 2 with this one-line message."""


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> NoReturn:
        raise UsageError(message)


def parse_now(value: str) -> datetime:
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"not an ISO 8601 time: {value!r} (example: 2026-11-20T12:00:00Z)"
        ) from None
    return (moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)).replace(
        microsecond=0
    )


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(
        prog="python -m monitor", description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("-v", "--verbose", action="store_true", help="log progress to stderr")
    commands = parser.add_subparsers(dest="command", required=True, parser_class=_Parser)

    def output_options(command: argparse.ArgumentParser, default: str) -> None:
        command.add_argument(
            "--format", choices=("json", "table"), default=default, help=f"default: {default}"
        )
        command.add_argument("--output", type=Path, help="write the result to this file instead of stdout")

    scan = commands.add_parser("scan", help="one pass against a tenant snapshot directory (no Azure needed)")
    scan.add_argument(
        "--snapshot", type=Path, required=True, help="tenant snapshot directory (mirrors Graph's URL space)"
    )
    scan.add_argument("--now", type=parse_now, help="fix the clock, e.g. 2026-11-20T12:00:00Z (default: now)")
    output_options(scan, "json")

    run = commands.add_parser("run", help="one pass against the configured Graph and Table Storage")
    run.add_argument("--now", type=parse_now, help="fix the clock (default: now)")
    output_options(run, "table")

    findings = commands.add_parser("findings", help="the findings kept in Table Storage")
    findings.add_argument("--tenant", help="tenant ID (default: every tenant with a recorded run)")
    findings.add_argument("--status", choices=("open", "resolved", "all"), default="open")
    output_options(findings, "table")

    status = commands.add_parser("status", help="the health report (GET /api/health)")
    output_options(status, "json")

    alerts = commands.add_parser("alerts", help="alerts with their state; ack, snooze, outbox")
    alerts.add_argument("--tenant", help="tenant ID (default: every tenant)")
    alerts.add_argument("--state", choices=("open", "resolved", "all"), default="all", help="default: all")
    output_options(alerts, "table")
    alert_actions = alerts.add_subparsers(dest="alert_action", parser_class=_Parser)
    ack = alert_actions.add_parser("ack", help="acknowledge one alert: no more reminders while it lasts")
    ack.add_argument("alert_id", metavar="ID")
    ack.add_argument("--by", default="", help="who acknowledges (kept with the alert)")
    snooze = alert_actions.add_parser(
        "snooze", help="no notices for one alert until a time (it still resolves)"
    )
    snooze.add_argument("alert_id", metavar="ID")
    how_long = snooze.add_mutually_exclusive_group(required=True)
    how_long.add_argument("--for", dest="duration", help="a duration: 30m, 2h, 7d")
    how_long.add_argument("--until", help="a time, e.g. 2026-11-21T08:00:00Z")
    box = alert_actions.add_parser("outbox", help="notifications and their delivery")
    box.add_argument("--status", choices=("pending", "delivered", "dead"), help="default: every status")

    weekly = commands.add_parser("weekly", help="the weekly compliance snapshot and its report")
    weekly.add_argument("--snapshot", type=Path, help="tenant snapshot directory: build it offline")
    weekly.add_argument("--now", type=parse_now, help="end of the week, e.g. 2026-11-20T12:00:00Z")
    weekly.add_argument("--output", type=Path, required=True, help="folder for report.html, .json, CSVs")
    weekly.add_argument(
        "--previous", type=Path, help="an earlier report.json to compare with (default: the last one kept)"
    )

    soc = commands.add_parser("tap-signins", help="TAP sign-ins for SOC review, with filters and paging")
    soc.add_argument("--snapshot", type=Path, help="tenant snapshot directory: read it offline")
    soc.add_argument("--now", type=parse_now, help="fix the clock (default: now)")
    soc.add_argument("--format", choices=("json", "csv"), default="json", help="default: json")
    soc.add_argument("--output", type=Path, help="write to this file instead of stdout")
    for name, what in (
        ("since", "sign-ins at or after this time"),
        ("until", "sign-ins at or before this time"),
        ("user", "UPN or user ID"),
        ("result", "success or failure"),
        ("risk", "none, low, medium, high or hidden"),
        ("country", "two-letter country code"),
        ("issuer", "UPN of who issued the pass"),
        ("review", "new, reviewed, or a verdict (true-positive, benign-positive, ...)"),
        ("limit", "rows per page (default 100, at most 1000)"),
        ("continuation", "the token the previous page returned"),
    ):
        soc.add_argument(f"--{name}", help=what)
    soc.add_argument("--flagged", action="store_true", help="only sign-ins a rule found something about")
    add_review_command(soc)

    rules = commands.add_parser("rules", help="the rule catalog (markdown: docs/rules.md)")
    rules.add_argument("--format", choices=("table", "markdown"), default="table", help="default: table")
    rules.add_argument("--output", type=Path, help="write to this file instead of stdout")

    permissions = commands.add_parser(
        "permissions", help="the Graph application permissions the monitor needs, and what needs each"
    )
    output_options(permissions, "table")
    add_ingest_commands(commands)
    return parser


def add_ingest_commands(commands: Any) -> None:
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
    for command in (report, records, alert, queued):
        command.set_defaults(output=None)


def _read_input(path: Path) -> bytes:
    try:
        return path.read_bytes()
    except OSError as exc:
        raise UsageError(f"cannot read {path}: {exc.strerror}") from exc


def _answered(answer: Any) -> str:
    """An HTTP route's answer as the CLI's result: 4xx is bad input (exit 2), 5xx storage (exit 1)."""
    if answer.status >= 500:
        raise IngestFailed(answer.body.get("error", "storage failed"))
    if answer.status >= 400:
        raise UsageError(answer.body.get("error", "rejected"))
    return _json(dict(answer.body))


class IngestFailed(Exception):
    """Storage refused what ingestion would store: exit 1."""


def _ingest(args: argparse.Namespace) -> str:
    from monitor import service

    if args.command == "ingest-device-report":
        return _answered(service.ingest_device_report(_read_input(args.file)))
    if args.command == "queue-alert":
        return _answered(service.queue_alert(_read_input(args.file)))
    if args.command == "run-queued-passes":
        return _json({"passes": asyncio.run(service.run_queued_passes(now=args.now))})
    from monitor.ingest.errors import RejectedBody
    from monitor.ingest.resource_logs import event_records

    body = _read_input(args.file)
    try:
        event_records(body)
    except RejectedBody as exc:
        raise UsageError(f"{args.file}: {exc}") from exc
    return _json(service.ingest_log_events([body], now=args.now).to_json())


def _emit(text: str, output: Path | None) -> None:
    if output is None:
        sys.stdout.write(text)
        sys.stdout.flush()
        return
    try:
        output.parent.mkdir(parents=True, exist_ok=True)
        output.write_text(text, encoding="utf-8")
    except OSError as exc:
        raise UsageError(f"cannot write {output}: {exc.strerror}") from exc


def _json(document: Any) -> str:
    return orjson.dumps(document, option=orjson.OPT_INDENT_2).decode() + "\n"


def _render(result: Any, fmt: str) -> str:
    return _json(report.to_json(result)) if fmt == "json" else report.to_table(result)


async def _scan(args: argparse.Namespace) -> str:
    from graphsim import SnapshotError
    from monitor.collectors.directory import TenantUnreadable
    from monitor.service import scan_snapshot

    try:
        result = await scan_snapshot(args.snapshot, now=args.now)
    except (SnapshotError, TenantUnreadable) as exc:
        raise UsageError(f"unreadable snapshot: {exc}") from exc
    return _render(result, args.format)


async def _run(args: argparse.Namespace) -> str:
    from monitor.service import run_configured_pass

    result = await run_configured_pass(now=args.now)
    return _render(result, args.format)


def _findings(args: argparse.Namespace) -> str:
    from monitor.service import stored_findings

    findings = stored_findings(args.tenant, args.status)
    if args.format == "json":
        return _json([report.stored_finding_json(f) for f in findings])
    return report.stored_findings_table(findings)


def _alerts(args: argparse.Namespace) -> str:
    from monitor import service
    from monitor.alerts import listing
    from monitor.alerts.actions import ActionError
    from monitor.records import utcnow

    fmt = getattr(args, "format", "table")
    try:
        if args.alert_action in ("ack", "snooze"):
            if args.alert_action == "ack":
                alert = service.acknowledge_alert(args.alert_id, by=args.by)
            else:
                alert = service.snooze_alert(args.alert_id, duration=args.duration, until=args.until)
            return _json(alert.to_json()) if fmt == "json" else listing.alerts_table([alert], utcnow())
    except (ActionError, service.UnknownAlert) as exc:
        raise UsageError(str(exc).strip("'\"")) from exc
    if args.alert_action == "outbox":
        rows = service.outbox(args.tenant, args.status)
        return _json([n.to_json() for n in rows]) if fmt == "json" else listing.outbox_table(rows)
    alerts = service.list_alerts(args.tenant, args.state)
    if fmt == "json":
        return _json([a.to_json() for a in alerts])
    dead = len(service.outbox(args.tenant, "dead"))
    return listing.alerts_table(alerts, utcnow(), dead)


def _status(args: argparse.Namespace) -> str:
    from monitor.service import health

    return _json(health().to_json())


async def _weekly(args: argparse.Namespace) -> str:
    from graphsim import SnapshotError
    from monitor.collectors.directory import TenantUnreadable
    from monitor.service import ReportMismatch, send_weekly_reports, weekly_from_snapshot, weekly_from_store

    previous = None
    if args.previous is not None:
        try:
            previous = orjson.loads(args.previous.read_bytes())
        except (OSError, orjson.JSONDecodeError) as exc:
            raise UsageError(f"cannot read the previous report {args.previous}: {exc}") from exc
        if not isinstance(previous, dict) or "periodEnd" not in previous:
            raise UsageError(f"{args.previous} is not a weekly report.json")
    try:
        if args.snapshot is not None:
            runs = [await weekly_from_snapshot(args.snapshot, args.now, args.output, previous)]
        else:
            if previous is not None:
                raise UsageError("--previous needs --snapshot (with storage the last kept snapshot is used)")
            runs = weekly_from_store(args.now, args.output)
    except (SnapshotError, TenantUnreadable) as exc:
        raise UsageError(f"unreadable snapshot: {exc}") from exc
    except ReportMismatch as exc:
        raise UsageError(str(exc)) from exc
    except OSError as exc:
        raise UsageError(f"cannot write the report into {args.output}: {exc.strerror}") from exc
    if not runs:
        return "No monitoring pass is recorded yet: there is nothing to report.\n"
    # Kept in Table Storage: also sent to the alert destinations, as the weekly timer sends it.
    sent = await send_weekly_reports(runs) if args.snapshot is None else []
    return "".join(
        f"{run.report.snapshot.tenant.display_name or run.report.snapshot.tenant.id}: "
        f"{run.report.changes.summary}\n" + "".join(f"  wrote {path}\n" for path in run.written)
        for run in runs
    ) + "".join(f"{line}\n" for line in sent)


async def _tap_signins(args: argparse.Namespace) -> str:
    from graphsim import SnapshotError
    from monitor.collectors.directory import TenantUnreadable
    from monitor.service import tap_signins_from_snapshot, tap_signins_from_store
    from monitor.views.tap_signins import FilterError, parse_filters, to_csv

    if getattr(args, "soc_action", None) == "review":
        return review_command(args)
    raw = {
        name: value
        for name in (
            "since",
            "until",
            "user",
            "result",
            "risk",
            "country",
            "issuer",
            "review",
            "limit",
            "continuation",
        )
        if (value := getattr(args, name)) is not None
    }
    if args.flagged:
        raw["flagged"] = "true"
    try:
        request = parse_filters(raw)
    except FilterError as exc:
        raise UsageError(str(exc)) from exc
    try:
        if args.snapshot is not None:
            result = await tap_signins_from_snapshot(args.snapshot, args.now, request)
        else:
            result = tap_signins_from_store(request, args.now)
    except (SnapshotError, TenantUnreadable) as exc:
        raise UsageError(f"unreadable snapshot: {exc}") from exc
    if args.format == "csv":
        if result.continuation:
            print(f"continuation: {result.continuation}", file=sys.stderr)
        return to_csv(result)
    return _json(result.to_json())


def main(argv: Sequence[str] | None = None) -> int:
    from azure.core.exceptions import AzureError

    from monitor.collectors.directory import TenantUnreadable
    from monitor.graph.errors import GraphReadError
    from monitor.store.alerts import AlertConflict
    from monitor.store.base import StoreConfigError, StoreError

    parser = build_parser()
    try:
        args = parser.parse_args(argv)
    except UsageError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    logging.basicConfig(
        level=logging.INFO if args.verbose else logging.WARNING,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
        stream=sys.stderr,
    )
    try:
        if args.command == "scan":
            text = asyncio.run(_scan(args))
        elif args.command == "run":
            text = asyncio.run(_run(args))
        elif args.command == "findings":
            text = _findings(args)
        elif args.command == "alerts":
            text = _alerts(args)
        elif args.command == "weekly":
            text = asyncio.run(_weekly(args))
        elif args.command == "tap-signins":
            text = asyncio.run(_tap_signins(args))
        elif args.command in (
            "ingest-device-report",
            "ingest-log-records",
            "queue-alert",
            "run-queued-passes",
        ):
            text = _ingest(args)
        elif args.command == "rules":
            from monitor.rules.reference import render, render_table

            text = render() if args.format == "markdown" else render_table()
        elif args.command == "permissions":
            from monitor import permissions

            text = _json(permissions.manifest()) if args.format == "json" else permissions.render_table()
        else:
            text = _status(args)
        _emit(text, None if args.command == "weekly" else args.output)
    except (UsageError, SettingsError, StoreConfigError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    except IngestFailed as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    except (TenantUnreadable, GraphReadError, StoreError, AlertConflict, AzureError) as exc:
        print(f"error: the pass could not finish: {exc}", file=sys.stderr)
        return 1
    return 0
