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
    ingest-rejects             the log-stream records refused, with their reasons (last 7 days)
    tenants      the customer tenants watched: add, list, remove, check, status (docs/msp.md)

Exit codes: 0 the command ran (whatever it found); 1 it could not finish (Graph or storage failed);
2 bad arguments, bad configuration or an unreadable snapshot, with a one-line error on stderr.
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import sys
import textwrap
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any, NoReturn

import orjson

from monitor import report
from monitor.ingest.cli import add_ingest_commands, ingest_command
from monitor.settings import SettingsError
from monitor.soc.cli import add_review_command, review_command
from monitor.tenants.cli import HELP as TENANTS_HELP
from monitor.tenants.cli import add_tenants_command, tenants_command

if TYPE_CHECKING:
    from monitor.service.runtime import Runtime

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
    add_ingest_commands(commands, parse_now)
    add_tenants_command(commands)
    describe_commands(commands.choices)
    return parser


# Each command's --help page: what it does, what it needs, and an example to copy.
HELP_PAGES: dict[str, tuple[str, str]] = {
    "scan": (
        "Run one monitoring pass against a tenant snapshot directory, served on loopback by the Graph "
        "simulator and read through the real Graph client. Needs no Azure account, network or storage. "
        "Without --now, every time window is measured back from the current time, so an old snapshot's "
        "sign-ins may fall outside them: the command warns when that happens.",
        "python -m monitor scan --snapshot examples/tenants/consent-missing --now 2026-11-20T12:00:00Z "
        "--format table",
    ),
    "run": (
        "Run one monitoring pass against the configured tenant, as the timer does. Settings it reads "
        "from the environment: MONITOR_STORAGE_CONNECTION_STRING or "
        "MONITOR_STORAGE_ENDPOINT (required: where state is kept); MONITOR_GRAPH_ENDPOINT (default "
        "https://graph.microsoft.com); MONITOR_GRAPH_CREDENTIAL (managed-identity, default or "
        "simulator; default managed-identity); AZURE_CLIENT_ID for a user-assigned identity; "
        "MONITOR_ALERT_DESTINATIONS and MONITOR_ALERT_<NAME>_* to send alerts (docs/deploy.md lists "
        "every setting).",
        "MONITOR_STORAGE_CONNECTION_STRING=UseDevelopmentStorage=true MONITOR_GRAPH_CREDENTIAL=default "
        "python -m monitor run",
    ),
    "findings": (
        "The findings ledger kept in Table Storage (needs MONITOR_STORAGE_CONNECTION_STRING or "
        "MONITOR_STORAGE_ENDPOINT).",
        "python -m monitor findings --status open --format table",
    ),
    "status": (
        "The health report GET /api/health returns: configured, store reachable, last passes recent.",
        "python -m monitor status --format table",
    ),
    "alerts": (
        "Alerts with their state, and what a person does to one: ack (no more reminders while it lasts), "
        "snooze (no notices until a time), outbox (each notification and its delivery).",
        "python -m monitor alerts --state open\n  python -m monitor alerts ack 3f9c0a1b2c4d --by alex",
    ),
    "rules": ("The rule catalog; --format markdown renders docs/rules.md.", "python -m monitor rules"),
    "permissions": (
        "The least-privilege Graph application permissions, each with the rules and features that need it.",
        "python -m monitor permissions --format json",
    ),
    "weekly": (
        "The weekly compliance snapshot: report.html (one self-contained page), report.json and CSV files "
        "in --output. With --snapshot it is built offline; without it, from Table Storage, and sent to "
        "the alert destinations as the weekly timer sends it.",
        "python -m monitor weekly --snapshot examples/tenants/tap-suspicious --now 2026-11-20T12:00:00Z "
        "--output .run/weekly",
    ),
    "tap-signins": (
        "The SOC's list of Temporary Access Pass sign-ins: who issued the pass, who used it, from where, "
        "with what risk, and what the rules found. --flagged keeps the sign-ins a rule named, failed "
        "ones of a burst included.",
        "python -m monitor tap-signins --snapshot examples/tenants/tap-suspicious "
        "--now 2026-11-20T12:00:00Z --flagged --format csv",
    ),
    "ingest-device-report": (
        "Store a device's dsregcmd /status report and judge it (what POST /api/device-reports does).",
        "python -m monitor ingest-device-report report.json",
    ),
    "ingest-log-records": (
        "Store Entra log-stream records and judge them at once (what the Event Hub trigger does).",
        "python -m monitor ingest-log-records event.json --now 2026-11-20T12:00:00Z",
    ),
    "ingest-rejects": (
        "The Entra log-stream records the Event Hub trigger refused, each with its reason (a bad tenant, "
        "time, result code or size), so a person can see what the stream lost; health counts the last day.",
        "python -m monitor ingest-rejects --since 2026-11-20T00:00:00Z",
    ),
    "queue-alert": (
        "Queue the pass an Azure Monitor alert asks for (what POST /api/azure-monitor-alerts does).",
        "python -m monitor queue-alert alert.json",
    ),
    "run-queued-passes": (
        "Run the queued passes, debounced (what the queue trigger does).",
        "python -m monitor run-queued-passes",
    ),
    "tenants": TENANTS_HELP,
}


def describe_commands(parsers: Any) -> None:
    for name, (description, example) in HELP_PAGES.items():
        command = parsers.get(name)
        if command is None:
            continue
        command.description = textwrap.fill(description, 100, break_on_hyphens=False)
        command.epilog = f"example:\n  {example}"
        command.formatter_class = argparse.RawDescriptionHelpFormatter


def _runtime(*, require_storage: bool = True) -> Runtime:
    """The command's Runtime, from the environment (a SettingsError is a usage error: exit 2)."""
    from monitor.service.runtime import Runtime

    return Runtime.from_env(require_storage=require_storage)


class IngestFailed(Exception):
    """Storage refused what ingestion would store: exit 1."""


def _emit(text: str, output: Path | None, csv: bool = False) -> None:
    if output is None:
        sys.stdout.write(text)
        sys.stdout.flush()
        return
    try:
        output.parent.mkdir(parents=True, exist_ok=True)
        # A CSV file starts with a UTF-8 byte order mark: without it Excel reads "Müller" as "MÃ¼ller".
        output.write_text(text, encoding="utf-8-sig" if csv else "utf-8")
    except OSError as exc:
        raise UsageError(f"cannot write {output}: {exc.strerror}") from exc


def _json(document: Any) -> str:
    return orjson.dumps(document, option=orjson.OPT_INDENT_2).decode() + "\n"


def _render(result: Any, fmt: str) -> str:
    return _json(report.to_json(result)) if fmt == "json" else report.to_table(result)


async def _scan(args: argparse.Namespace) -> str:
    from graphsim import SnapshotError
    from monitor.collectors.directory import TenantUnreadable
    from monitor.service.offline import scan_snapshot

    if args.now is None:
        warn_if_snapshot_is_old(args.snapshot, datetime.now(UTC))
    try:
        with _runtime(require_storage=False) as runtime:
            result = await scan_snapshot(runtime, args.snapshot, now=args.now)
    except (SnapshotError, TenantUnreadable) as exc:
        raise UsageError(f"unreadable snapshot: {exc}") from exc
    return _render(result, args.format)


# Sign-in rules look back 24 hours at the least: a snapshot whose newest record is older than this,
# judged against the current time, has findings that silently fall out of their windows.
OLD_SNAPSHOT = timedelta(hours=24)


def newest_record(snapshot: Path) -> datetime | None:
    """The newest sign-in or directory audit in a snapshot: a snapshot does not record when it was
    taken, and its logs are the time-bound data."""
    newest: datetime | None = None
    for path, field in (
        (snapshot / "beta" / "auditLogs" / "signIns.json", "createdDateTime"),
        (snapshot / "v1.0" / "auditLogs" / "directoryAudits.json", "activityDateTime"),
    ):
        try:
            items = orjson.loads(path.read_bytes()).get("value", [])
        except (OSError, orjson.JSONDecodeError, AttributeError):
            continue
        for item in items if isinstance(items, list) else []:
            raw = item.get(field) if isinstance(item, dict) else None
            try:
                moment = datetime.fromisoformat(str(raw).replace("Z", "+00:00"))
            except ValueError:
                continue
            moment = moment if moment.tzinfo else moment.replace(tzinfo=UTC)
            newest = moment if newest is None or moment > newest else newest
    return newest


def warn_if_snapshot_is_old(snapshot: Path, now: datetime) -> None:
    newest = newest_record(snapshot)
    if newest is not None and now - newest > OLD_SNAPSHOT:
        at = (newest + timedelta(minutes=2)).replace(second=0, microsecond=0).strftime("%Y-%m-%dT%H:%M:%SZ")
        print(
            f"warning: the snapshot's newest log record is from {newest:%Y-%m-%d %H:%M} UTC, "
            f"{(now - newest).days} day(s) ago; without --now its sign-ins fall outside the rules' windows "
            f"and their findings are not reported. Judge it at its own time: --now {at}",
            file=sys.stderr,
        )


async def _run(args: argparse.Namespace) -> str:
    from monitor.service.passes import run_configured_pass

    with _runtime() as runtime:
        result = await run_configured_pass(runtime, now=args.now)
    return _render(result, args.format)


def _findings(args: argparse.Namespace) -> str:
    with _runtime() as runtime:
        store = runtime.state
        tenants = [args.tenant] if args.tenant else [run.tenant_id for run in store.latest_runs()]
        findings = [
            f for t in tenants for f in store.findings(t) if args.status == "all" or f.status == args.status
        ]
    if args.format == "json":
        return _json([report.stored_finding_json(f) for f in findings])
    return report.stored_findings_table(findings)


def _alerts(args: argparse.Namespace) -> str:
    from monitor.alerts import listing
    from monitor.errors import BadRequest, NotFound
    from monitor.records import utcnow
    from monitor.service import alerts as service

    fmt = getattr(args, "format", "table")
    with _runtime() as runtime:
        try:
            if args.alert_action in ("ack", "snooze"):
                if args.alert_action == "ack":
                    alert = service.acknowledge_alert(runtime, args.alert_id, by=args.by)
                else:
                    alert = service.snooze_alert(
                        runtime, args.alert_id, duration=args.duration, until=args.until
                    )
                return _json(alert.to_json()) if fmt == "json" else listing.alerts_table([alert], utcnow())
        except (BadRequest, NotFound) as exc:
            raise UsageError(str(exc).strip("'\"")) from exc
        if args.alert_action == "outbox":
            rows = service.outbox(runtime, args.tenant, args.status)
            return _json([n.to_json() for n in rows]) if fmt == "json" else listing.outbox_table(rows)
        alerts = service.list_alerts(runtime, args.tenant, args.state)
        if fmt == "json":
            return _json([a.to_json() for a in alerts])
        dead = len(service.outbox(runtime, args.tenant, "dead"))
        return listing.alerts_table(alerts, utcnow(), dead)


def _status(args: argparse.Namespace) -> str:
    from monitor.service.health import health

    document = health().to_json()
    return _json(document) if args.format == "json" else status_table(document)


def status_table(document: dict[str, Any]) -> str:
    """The health report as a person reads it in a terminal."""
    lines = [f"status: {document['status']} (checked {document['checkedAt']})"]
    lines += [f"  problem: {p}" for p in document["problems"]]
    runs = document["lastRuns"]
    if not runs:
        return "\n".join([*lines, "no monitoring pass recorded yet"]) + "\n"
    header = ("tenant", "finished", "outcome", "findings", "problems")
    rows = [
        (r["tenantId"], r["finished"], r["outcome"], str(r["findings"]), str(r["problems"])) for r in runs
    ]
    widths = [max(len(str(x)) for x in column) for column in zip(header, *rows, strict=False)]
    lines += ["", "  ".join(h.ljust(w) for h, w in zip(header, widths, strict=True)).rstrip()]
    lines += ["  ".join(c.ljust(w) for c, w in zip(row, widths, strict=True)).rstrip() for row in rows]
    return "\n".join(lines) + "\n"


async def _weekly(args: argparse.Namespace) -> str:
    from graphsim import SnapshotError
    from monitor.collectors.directory import TenantUnreadable
    from monitor.service.offline import weekly_from_snapshot
    from monitor.service.weekly import ReportMismatch, send_weekly_reports, weekly_from_store, weekly_rollup

    previous = None
    if args.previous is not None:
        try:
            previous = orjson.loads(args.previous.read_bytes())
        except (OSError, orjson.JSONDecodeError) as exc:
            raise UsageError(f"cannot read the previous report {args.previous}: {exc}") from exc
        if not isinstance(previous, dict) or "periodEnd" not in previous:
            raise UsageError(f"{args.previous} is not a weekly report.json")
    if args.snapshot is None and previous is not None:
        raise UsageError("--previous needs --snapshot (with storage the last kept snapshot is used)")
    rollup = None
    with _runtime(require_storage=args.snapshot is None) as runtime:
        try:
            if args.snapshot is not None:
                runs = [await weekly_from_snapshot(runtime, args.snapshot, args.now, args.output, previous)]
            else:
                runs = weekly_from_store(runtime, args.now, args.output)
                # Beside the tenants' own reports when the tenants table has rows (docs/msp.md).
                rollup = weekly_rollup(runtime, runs, args.output, args.now)
        except (SnapshotError, TenantUnreadable) as exc:
            raise UsageError(f"unreadable snapshot: {exc}") from exc
        except ReportMismatch as exc:
            raise UsageError(str(exc)) from exc
        except OSError as exc:
            raise UsageError(f"cannot write the report into {args.output}: {exc.strerror}") from exc
        if not runs and rollup is None:
            return "No monitoring pass is recorded yet: there is nothing to report.\n"
        # Kept in Table Storage: also sent to the alert destinations, as the weekly timer sends it.
        sent = await send_weekly_reports(runtime, runs, rollup) if args.snapshot is None else []
    rolled = (
        f"roll-up across tenants: {rollup.rollup.summary()}\n"
        + "".join(f"  wrote {p}\n" for p in rollup.written)
        if rollup is not None
        else ""
    )
    return (
        "".join(
            f"{run.report.snapshot.tenant.display_name or run.report.snapshot.tenant.id}: "
            f"{run.report.changes.summary}\n" + "".join(f"  wrote {path}\n" for path in run.written)
            for run in runs
        )
        + rolled
        + "".join(f"{line}\n" for line in sent)
    )


async def _tap_signins(args: argparse.Namespace) -> str:
    from graphsim import SnapshotError
    from monitor.collectors.directory import TenantUnreadable
    from monitor.service.offline import tap_signins_from_snapshot
    from monitor.service.soc import tap_signins_from_store
    from monitor.views.tap_signins import FILTERS, FilterError, parse_filters, to_csv

    if getattr(args, "soc_action", None) == "review":
        return review_command(args)
    raw = {
        name: value for name in FILTERS if name != "flagged" and (value := getattr(args, name)) is not None
    }
    if args.flagged:
        raw["flagged"] = "true"
    try:
        request = parse_filters(raw)
    except FilterError as exc:
        raise UsageError(str(exc)) from exc
    try:
        with _runtime(require_storage=args.snapshot is None) as runtime:
            if args.snapshot is not None:
                result = await tap_signins_from_snapshot(runtime, args.snapshot, args.now, request)
            else:
                result = tap_signins_from_store(runtime, request, args.now)
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
    from monitor.rules import RegistryError
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
            "ingest-rejects",
        ):
            text = ingest_command(args)
        elif args.command == "tenants":
            text = tenants_command(args)
        elif args.command == "rules":
            from monitor.rules.reference import render, render_table

            text = render() if args.format == "markdown" else render_table()
        elif args.command == "permissions":
            from monitor import permissions

            text = _json(permissions.manifest()) if args.format == "json" else permissions.render_table()
        else:
            text = _status(args)
        _emit(
            text,
            None if args.command == "weekly" else args.output,
            csv=getattr(args, "format", "") == "csv",
        )
    except (UsageError, SettingsError, StoreConfigError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    except (IngestFailed, RegistryError) as exc:  # a rule module without its cases is the code's fault
        print(f"error: {exc}", file=sys.stderr)
        return 1
    except (TenantUnreadable, GraphReadError, StoreError, AlertConflict, AzureError) as exc:
        print(f"error: the pass could not finish: {exc}", file=sys.stderr)
        return 1
    return 0
