"""Sign-in read throughput and peak memory: the monitor's path against msgraph-sdk's typed models.

    .venv/bin/python bench/signin_throughput.py [--signins 120000] [--typed-pages 3]

Writes a load tenant (examples/tenantgen.write_load_tenant) with that many PIN reset sign-ins over 14
days, serves it with the Graph simulator in its own process, and measures, each in a fresh process:

Each path first reads once untimed, so that the simulator has parsed its log and the timed read measures
the client (real Graph serves pages from its own stores; the simulator parses a 500 MB file).

- monitor: `collectors.signins.read_pin_reset_signins` over the whole window: the four queries, pages
  taken as bytes through msgraph-sdk's request adapter, parsed with orjson, mapped into PinResetSignIn
  and tallied by hour (the pass's sign-in path, without the store);
- monitor, 1/8 window: the same over the last 1.75 days, to show that memory does not grow with the
  number of sign-ins read;
- typed: the same pages through msgraph-sdk's typed request builder (`sign_ins.with_url(...).get()`,
  kiota's SignIn models), mapped into the same records. At about 4 ms a sign-in it reads the first
  `--typed-pages` pages only; its rate is per sign-in, so the comparison holds.

Both paths read whole sign-ins: "List signIns" documents `$filter`, `$top` and `$skiptoken` only, and the
simulator refuses `$select` there as Graph did in 2022; the monitor's session drops it after the first
refusal (before the timed read), and the typed path never sends it.

Prints sign-ins per second by wall clock and per second of the client process's CPU, peak RSS (and its
growth over the process after imports), and whether the monitor's path reads at least 100 times more
sign-ins per CPU second than the typed path (the target; exit code 1 if not). CPU time is the
measure of the client that does not depend on the simulator, which shares this machine's two cores;
the wall-clock ratio is printed too.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import resource
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench._simulator import serve  # noqa: E402 - after the path is set

NOW = datetime(2026, 11, 20, 12, 0, tzinfo=UTC)
TARGET = 100.0


def rss_mb() -> float:
    """This process's peak RSS. Linux keeps getrusage's ru_maxrss across fork and exec, so a child of the
    parent that wrote a 120,000 sign-in tenant would report the parent's peak: VmHWM is this process's
    own (it starts again at exec)."""
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def settings_for(url: str) -> Any:
    from monitor.settings import Settings

    return Settings(graph_endpoint=url, graph_credential="simulator", graph_pacing=False)


async def measure_monitor(url: str, days: float) -> dict[str, Any]:
    from monitor.collectors.signins import HourlyTally, read_pin_reset_signins
    from monitor.graph.session import GraphSession
    from monitor.records import PinResetSignIn

    async with GraphSession(settings_for(url)) as graph:
        tally = HourlyTally()
        start = NOW - timedelta(days=days)
        before = rss_mb()
        # One untimed read first: the simulator keeps the query results and the pages' items as
        # selected, so the timed read measures the client, not the server's first parse of its log.
        await read_pin_reset_signins(graph, start, NOW, lambda page: None)
        clock, cpu = time.perf_counter(), time.process_time()

        def keep(page: list[PinResetSignIn]) -> None:
            for signin in page:
                tally.add(signin)

        read = await read_pin_reset_signins(graph, start, NOW, keep)
        seconds, cpu = time.perf_counter() - clock, time.process_time() - cpu
    return {
        "received": read.received,
        "seconds": seconds,
        "cpu": cpu,
        "rss_before": before,
        "rss_peak": rss_mb(),
    }


async def measure_typed(url: str, pages: int) -> dict[str, Any]:
    from msgraph.generated.models.sign_in import SignIn

    from monitor.collectors.signins import HourlyTally, signin_queries
    from monitor.graph.session import GraphSession
    from monitor.records import PinResetSignIn

    def record(s: SignIn) -> PinResetSignIn:
        status, device, location = s.status, s.device_detail, s.location
        return PinResetSignIn(
            id=s.id or "",
            created=s.created_date_time or NOW,
            app_id=s.app_id or "",
            app_display_name=s.app_display_name or "",
            resource_id=s.resource_id or "",
            resource_display_name=s.resource_display_name or "",
            user_id=s.user_id or "",
            user_principal_name=s.user_principal_name or "",
            error_code=(status.error_code if status else 0) or 0,
            failure_reason=(status.failure_reason if status else "") or "",
            device_id=(device.device_id if device else "") or "",
            device_name=(device.display_name if device else "") or "",
            operating_system=(device.operating_system if device else "") or "",
            ip_address=s.ip_address or "",
            country=(location.country_or_region if location else "") or "",
            interactive=bool(s.is_interactive),
            correlation_id=s.correlation_id or "",
        )

    async with GraphSession(settings_for(url)) as graph:
        _, _, query = signin_queries(NOW - timedelta(days=14), NOW)[1]  # appId = the client app
        # "List signIns" documents $filter, $top and $skiptoken only, and the simulator (like Graph in
        # 2022) refuses $select there: the monitor's session drops it after the first refusal, so the
        # typed path asks without it from the start and both paths read whole sign-ins.
        query = {name: value for name, value in query.items() if name != "$select"}
        builder = graph.client.audit_logs.sign_ins
        # Prime imports and the simulator's cache with one typed page, untimed.
        await builder.with_url(graph.url("beta", "auditLogs/signIns", {**query, "$top": 1})).get()
        before = rss_mb()
        tally = HourlyTally()
        received = 0
        url_next: str | None = graph.url("beta", "auditLogs/signIns", query)
        clock, cpu = time.perf_counter(), time.process_time()
        for _ in range(pages):
            if url_next is None:
                break
            answer = await builder.with_url(url_next).get()
            for signin in (answer.value if answer else None) or []:
                tally.add(record(signin))
                received += 1
            url_next = answer.odata_next_link if answer else None
        seconds, cpu = time.perf_counter() - clock, time.process_time() - cpu
    return {"received": received, "seconds": seconds, "cpu": cpu, "rss_before": before, "rss_peak": rss_mb()}


def child(args: argparse.Namespace) -> None:
    if args.measure == "typed":
        result = asyncio.run(measure_typed(args.url, args.typed_pages))
    else:
        result = asyncio.run(measure_monitor(args.url, args.days))
    print(json.dumps(result))


def run_child(url: str, *extra: str) -> dict[str, Any]:
    done = subprocess.run(
        [sys.executable, __file__, "--url", url, *extra], capture_output=True, text=True, check=True
    )
    result: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    return result


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--signins", type=int, default=120_000)
    parser.add_argument("--typed-pages", type=int, default=3)
    parser.add_argument("--tenant", type=Path, help="reuse a load tenant written before")
    parser.add_argument("--url", help=argparse.SUPPRESS)
    parser.add_argument("--measure", choices=("monitor", "typed"), default="monitor", help=argparse.SUPPRESS)
    parser.add_argument("--days", type=float, default=14.0, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.url:
        child(args)
        return 0

    from examples.tenantgen import write_load_tenant

    tenant = args.tenant or Path(tempfile.mkdtemp(prefix="bench-tenant-"))
    if not (tenant / "beta").exists():
        clock = time.perf_counter()
        write_load_tenant(tenant, signins=args.signins)
        took = time.perf_counter() - clock
        print(f"load tenant: {args.signins:,} PIN reset sign-ins written to {tenant} in {took:.1f} s")
    print(
        "runs on: the Graph simulator in its own process over HTTP on loopback (graphsim, no throttle), "
        "read through msgraph-sdk; no store"
    )
    with serve(tenant) as url:
        monitor = run_child(url, "--measure", "monitor", "--days", "14")
        eighth = run_child(url, "--measure", "monitor", "--days", "1.75")
        typed = run_child(url, "--measure", "typed", "--typed-pages", str(args.typed_pages))

    rows = [
        ("monitor (bytes + orjson)", monitor),
        ("monitor, 1/8 of the window", eighth),
        ("typed kiota models", typed),
    ]
    line = "{:<28} {:>9} {:>8} {:>11} {:>12} {:>16} {:>12} {:>10}"
    print(
        "\n"
        + line.format(
            "path",
            "sign-ins",
            "seconds",
            "sign-ins/s",
            "client CPU s",
            "per client CPU s",
            "peak RSS MB",
            "growth MB",
        )
    )
    for name, r in rows:
        figures = (
            f"{r['received']:,}",
            f"{r['seconds']:.2f}",
            f"{r['received'] / r['seconds']:,.0f}",
            f"{r['cpu']:.2f}",
            f"{r['received'] / r['cpu']:,.0f}",
            f"{r['rss_peak']:.1f}",
            f"{r['rss_peak'] - r['rss_before']:.1f}",
        )
        print(line.format(name, *figures))
    wall = (monitor["received"] / monitor["seconds"]) / (typed["received"] / typed["seconds"])
    ratio = (monitor["received"] / monitor["cpu"]) / (typed["received"] / typed["cpu"])
    verdict = "met" if ratio >= TARGET else "NOT MET"
    print(
        f"\nper second of the client's CPU the monitor path reads {ratio:,.0f}x what the typed path reads "
        f"(target: at least {TARGET:.0f}x): {verdict}"
    )
    print(f"by wall clock: {wall:,.0f}x")
    print(
        f"peak RSS reading {monitor['received']:,} sign-ins: {monitor['rss_peak']:.1f} MB; "
        f"reading {eighth['received']:,}: {eighth['rss_peak']:.1f} MB"
    )
    return 0 if ratio >= TARGET else 1


if __name__ == "__main__":
    sys.exit(main())
