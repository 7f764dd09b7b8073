"""`python -m monitor tenants add|list|remove|check|status|poll|run-queued`: the tenants table from a
terminal (monitor/service/tenants.py does the work; docs/msp.md walks through it), and locally what the
poll timer and the tenant-pass queue trigger do in Azure (monitor/service/fanout.py)."""

from __future__ import annotations

import argparse
import asyncio
from typing import TYPE_CHECKING, Any

import orjson

if TYPE_CHECKING:
    from monitor.service.runtime import Runtime
    from monitor.tenants.onboarding import TenantCheck
    from monitor.tenants.settings import MspSettings

HELP = (
    "The customer tenants a deployment watches (docs/msp.md): add one (with its tags, its own alert "
    "destinations and thresholds; the customer's admin-consent URL is printed when MONITOR_MSP_APP_ID "
    "is set), list them, remove one (what its passes stored is kept), check which permissions a tenant "
    "granted and what is skipped without the others, and the status of each: last pass, open findings "
    "by severity, quarantine and share of the Graph report budget. Needs MONITOR_STORAGE_CONNECTION_STRING "
    "or MONITOR_STORAGE_ENDPOINT.",
    'python -m monitor tenants add 11111111-1111-4111-8111-111111111111 --name "Contoso" --tag eu\n'
    "  python -m monitor tenants status --format table",
)


def add_tenants_command(commands: Any) -> None:
    tenants = commands.add_parser(
        "tenants", help="the customer tenants watched: add, list, remove, check, status, poll, run-queued"
    )
    actions = tenants.add_subparsers(dest="tenant_action", required=True, parser_class=type(tenants))
    add = actions.add_parser("add", help="add a tenant, or change one (prints the admin-consent URL)")
    add.add_argument("tenant_id", metavar="ID", help="the customer's directory (tenant) ID, a GUID")
    add.add_argument("--name", help="display name (default: the tenant's name, read from Graph)")
    add.add_argument("--tag", action="append", dest="tags", metavar="T", help="a tag; repeat for several")
    add.add_argument(
        "--destination",
        action="append",
        dest="destinations",
        metavar="NAME",
        help="a configured alert destination for this tenant's alerts; repeat for several",
    )
    add.add_argument(
        "--threshold",
        action="append",
        dest="thresholds",
        metavar="NAME=VALUE",
        help="this tenant's own threshold, e.g. spike_ratio=8; repeat for several",
    )
    add.add_argument("--format", choices=("text", "json"), default="text", help="default: text")
    listing = actions.add_parser("list", help="the tenants in the tenants table")
    listing.add_argument("--format", choices=("table", "json"), default="table", help="default: table")
    remove = actions.add_parser("remove", help="stop watching a tenant (its stored findings are kept)")
    remove.add_argument("tenant_id", metavar="ID")
    check = actions.add_parser("check", help="which permissions a tenant granted, and what is skipped")
    check.add_argument("tenant_id", metavar="ID", nargs="?", help="default: every tenant in the table")
    check.add_argument("--format", choices=("text", "json"), default="text", help="default: text")
    status = actions.add_parser(
        "status", help="per tenant: last pass, open findings, quarantine, budget share"
    )
    status.add_argument("--format", choices=("table", "json"), default="table", help="default: table")
    poll = actions.add_parser(
        "poll", help="what the poll timer does: queue each due tenant's pass, within the report budget"
    )
    poll.add_argument("--now", type=_now, help="the timer's time (default: now)")
    queued = actions.add_parser(
        "run-queued", help="what the tenant-pass queue trigger does, for every message waiting now"
    )
    queued.add_argument("--now", type=_now, help="fix the clock of the passes (default: now)")
    tenants.set_defaults(output=None)


def _now(value: str) -> Any:
    from monitor.cli import parse_now

    return parse_now(value)


def tenants_command(args: argparse.Namespace) -> str:
    """Run one `tenants` action; bad input is a usage error (exit 2)."""
    from monitor.cli import IngestFailed, UsageError
    from monitor.errors import BadRequest, NotFound
    from monitor.service.runtime import Runtime
    from monitor.store.tenants import TenantConflict

    # Checking a named tenant reads Graph only: it works before any storage is set up (docs/msp.md).
    storage = not (args.tenant_action == "check" and args.tenant_id is not None)
    try:
        with Runtime.from_env(require_storage=storage) as runtime:
            msp = runtime.settings.msp
            action = args.tenant_action
            if action == "add":
                return _add(runtime, args, msp)
            if action == "remove":
                return _remove(runtime, args.tenant_id)
            if action == "check":
                return _check(runtime, args, msp)
            if action == "list":
                return _list(runtime, args.format)
            if action == "poll":
                from monitor.service.fanout import enqueue_due

                return _json(enqueue_due(runtime, args.now).to_json())
            if action == "run-queued":
                from monitor.service.fanout import run_queued_tenant_passes

                return _json({"passes": asyncio.run(run_queued_tenant_passes(runtime, args.now))})
            return _status(runtime, args.format)
    except BadRequest as exc:
        raise UsageError(str(exc)) from exc
    except NotFound as exc:
        raise UsageError(str(exc).strip("'\"")) from exc
    except TenantConflict as exc:
        raise IngestFailed(str(exc)) from exc


def _json(document: Any) -> str:
    return orjson.dumps(document, option=orjson.OPT_INDENT_2).decode() + "\n"


def _add(runtime: Runtime, args: argparse.Namespace, msp: MspSettings) -> str:
    from monitor.service import tenants as service

    key = service.tenant_key(args.tenant_id)
    destinations = args.destinations
    changes = service.TenantChanges(
        display_name=service.display_name_of(args.name) if args.name is not None else None,
        tags=service.tags_of(args.tags) if args.tags is not None else None,
        destinations=(
            service.destinations_of(destinations, runtime.settings) if destinations is not None else None
        ),
        thresholds=service.threshold_arguments(args.thresholds) if args.thresholds is not None else None,
    )
    notes: list[str] = []
    stored = runtime.tenants.tenant(key)
    if changes.display_name is None and not (stored and stored.display_name):
        name, note = _name_from_graph(runtime, key, msp)
        changes = service.TenantChanges(name or None, changes.tags, changes.destinations, changes.thresholds)
        notes += [note] if note else []
    record, created = service.save_tenant(runtime, key, changes)
    url = _consent_url(msp, key)
    if args.format == "json":
        return _json({"created": created, "tenant": record.to_json(), "consentUrl": url or None})
    name = f" ({record.display_name})" if record.display_name else ""
    lines = [f"{'added' if created else 'updated'} tenant {record.tenant_id}{name}"]
    lines.append(f"  tags: {', '.join(record.tags) or '-'}")
    lines.append(
        "  alerts to: " + (", ".join(record.destinations) or "the deployment's routes (MONITOR_ALERT_ROUTES)")
    )
    if record.thresholds:
        lines.append("  own thresholds: " + ", ".join(f"{k}={v}" for k, v in record.thresholds.items()))
    lines += [f"  {note}" for note in notes]
    if url:
        lines.append(
            "  the customer's admin (Privileged Role Administrator or Global Administrator) "
            "grants consent at:"
        )
        lines.append(f"  {url}")
    return "\n".join(lines) + "\n"


def _name_from_graph(runtime: Runtime, key: str, msp: MspSettings) -> tuple[str, str]:
    """The tenant's display name as the check reads it, or ("", why it could not be read)."""
    from azure.core.exceptions import AzureError

    from monitor.graph.errors import GraphReadError
    from monitor.settings import SettingsError
    from monitor.tenants.onboarding import check

    if not msp.enabled and runtime.settings.graph_credential != "simulator":
        return "", "display name not read: MONITOR_MSP_APP_ID is not set (give --name)"
    try:
        result = asyncio.run(check(runtime.settings, key, msp=msp))
    except (SettingsError, AzureError, GraphReadError) as exc:
        said = str(exc).splitlines()[0][:200] if str(exc) else type(exc).__name__
        return "", f"display name not read: {said}"
    if result.display_name:
        return result.display_name[:256], ""
    if result.problem is not None:
        return "", (
            f"display name not read: the tenant answered {result.access} "
            "(give --name, or run tenants add again after consent)"
        )
    return "", "display name not read: Graph did not return the organization's name (give --name)"


def _consent_url(msp: MspSettings, key: str) -> str:
    from monitor.tenants.onboarding import consent_url

    return consent_url(msp.app_id, key, msp.consent_redirect_uri or None) if msp.enabled else ""


def _remove(runtime: Runtime, tenant_id: str) -> str:
    from monitor.service import tenants as service

    key = service.tenant_key(tenant_id)
    service.remove_tenant(runtime, key)
    return (
        f"removed tenant {key}: no more passes; what its passes stored (findings, weekly reports) is kept\n"
    )


def _check(runtime: Runtime, args: argparse.Namespace, msp: MspSettings) -> str:
    from monitor.cli import UsageError
    from monitor.service import tenants as service

    if args.tenant_id is not None:
        keys = [service.tenant_key(args.tenant_id)]
    else:
        keys = [r.tenant_id for r in runtime.tenants.tenants()]
        if not keys:
            raise UsageError("no tenants are in the tenants table: name one (tenants check ID)")

    async def every() -> list[TenantCheck]:
        return [await service.check_tenant(runtime, key, msp) for key in keys]

    results = asyncio.run(every())
    if args.format == "json":
        if args.tenant_id is not None:
            return _json(results[0].to_json())
        return _json({"tenants": [r.to_json() for r in results]})
    return "".join(r.to_text() for r in results)


def _list(runtime: Runtime, fmt: str) -> str:
    from monitor.service.tenants import list_tenants

    records = list_tenants(runtime)
    if fmt == "json":
        return _json([r.to_json() for r in records])
    if not records:
        return "No tenants are in the tenants table (python -m monitor tenants add TENANT_ID adds one).\n"
    header = ("tenant", "name", "tags", "alerts to", "own thresholds", "state")
    rows = [
        (
            r.tenant_id,
            r.display_name or "-",
            ", ".join(r.tags) or "-",
            ", ".join(r.destinations) or "(deployment's routes)",
            ", ".join(f"{k}={v}" for k, v in r.thresholds.items()) or "-",
            r.state,
        )
        for r in records
    ]
    widths = [max(len(x) for x in column) for column in zip(header, *rows, strict=True)]
    lines = ["  ".join(h.ljust(w) for h, w in zip(header, widths, strict=True)).rstrip()]
    lines += ["  ".join(c.ljust(w) for c, w in zip(row, widths, strict=True)).rstrip() for row in rows]
    return "\n".join(lines) + "\n"


def _status(runtime: Runtime, fmt: str) -> str:
    from monitor.service.tenants import tenants_status

    status = tenants_status(runtime)
    return _json(status.to_json()) if fmt == "json" else status.to_table()
