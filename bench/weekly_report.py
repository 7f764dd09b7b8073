"""What the weekly report and the SOC view cost on a large tenant's stored state.

    .venv/bin/python bench/weekly_report.py [--devices 20000] [--tap-signins 50000]

Fills a MemoryStore as passes would (device inventory with verdicts, 14 days of hourly PIN reset counts
for both apps and five result codes, TAP issuances and sign-ins), then times: computing the snapshot,
comparing it with the previous one, rendering report.html / report.json / the CSVs, and the SOC view's
first page and a filtered page over every TAP sign-in. Prints seconds, peak Python memory (tracemalloc)
and the sizes written. No Graph and no Table Storage: this is the report's own cost.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
import tracemalloc
from collections.abc import Callable
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import TypeVar

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from monitor.entra import PIN_RESET_CLIENT_APP_ID, PIN_RESET_SERVICE_APP_ID  # noqa: E402
from monitor.records import SignInHour, Tenant  # noqa: E402
from monitor.rules.cases._builders import issuance, tap_signin  # noqa: E402
from monitor.store.base import StateStore  # noqa: E402
from monitor.store.memory import MemoryStore  # noqa: E402
from monitor.store.reports import MemoryReportStore  # noqa: E402
from monitor.views.tap_signins import page, parse_filters  # noqa: E402
from monitor.weekly.alerts import LedgerAlerts  # noqa: E402
from monitor.weekly.compare import compare  # noqa: E402
from monitor.weekly.report import WeeklyReport, write_report  # noqa: E402
from monitor.weekly.snapshot import read_snapshot  # noqa: E402

T = TypeVar("T")
NOW = datetime(2026, 11, 20, 12, 0, tzinfo=UTC)
TENANT = Tenant("4b1c5b67-3f1e-4e38-9d5e-2a2f3c1d0e9a", "Contoso")
BUILDS = ("10.0.22631.4460", "10.0.19045.5131", "10.0.17763.6414", "10.0.16299.15", "10.0.14393.7428")
EDITIONS = (("Enterprise", 4), ("Professional", 48), ("Core", 101))


def fill(store: StateStore, devices: int, tap_signins: int, spread: timedelta | None = None) -> None:
    """A large tenant's stored state. TAP sign-ins fall in 60 hours of the week, or, with `spread`,
    evenly over that time before NOW (newest first, one every spread / tap_signins)."""
    states = {}
    for n in range(devices):
        build = BUILDS[n % len(BUILDS)]
        edition = EDITIONS[n % len(EDITIONS)][0]
        states[f"d{n:08d}"] = {
            "name": f"PC-{n:06d}",
            "osVersion": build,
            "release": build,
            "edition": edition,
            "nonDestructiveReset": None
            if n % 97 == 0
            else (build < "10.0.18" and edition != "Enterprise") is False,
        }
    store.save_inventory(TENANT.id, "device", states, NOW - timedelta(days=1))
    hours = []
    for h in range(14 * 24):
        hour = (NOW - timedelta(hours=h)).replace(minute=0, second=0)
        for app in (PIN_RESET_CLIENT_APP_ID, PIN_RESET_SERVICE_APP_ID):
            for code, count in ((0, 40), (50126, 3), (53003, 1), (700016, 2), (65001, 1)):
                hours.append(SignInHour(hour, app, code, count, hour, hour + timedelta(minutes=50)))
    store.replace_signin_hours(TENANT.id, NOW - timedelta(days=15), NOW + timedelta(hours=1), hours)
    users = [f"u{n:07d}-0000-4000-8000-000000000000" for n in range(tap_signins // 10)]
    store.save_tap_issuances(TENANT.id, [issuance(u, 100 + n % 60, n=n) for n, u in enumerate(users)])
    signins = [
        replace(
            tap_signin(users[n % len(users)], 99 + (n % 60), n=n, country="NG" if n % 50 == 0 else "DE"),
            issuance=issuance(users[n % len(users)], 100 + (n % len(users)) % 60, n=n % len(users)),
        )
        for n in range(tap_signins)
    ]
    if spread is not None:
        step = spread / max(tap_signins, 1)
        signins = [replace(s, created=NOW - step * n - timedelta(seconds=1)) for n, s in enumerate(signins)]
    store.save_tap_signins(TENANT.id, signins)


def timed(label: str, action: Callable[[], T]) -> T:
    """Run `action` twice: timed alone, then under tracemalloc for its peak (which slows it down)."""
    start = time.perf_counter()
    value = action()
    seconds = time.perf_counter() - start
    tracemalloc.start()
    action()
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    print(f"{label:<44} {seconds:8.3f} s   peak {peak / 2**20:7.1f} MiB")
    return value


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--devices", type=int, default=20_000)
    parser.add_argument("--tap-signins", type=int, default=50_000)
    args = parser.parse_args()
    print(
        "runs on: the memory store, filled as passes would fill it; no Graph and no Table Storage "
        "(the figures are the report's and the SOC view's own cost, not the store's)"
    )
    state, reports = MemoryStore(), MemoryReportStore()
    fill(state, args.devices, args.tap_signins)
    print(f"{args.devices} devices, 14 days of hourly PIN reset counts, {args.tap_signins} TAP sign-ins")
    snapshot = timed(
        "snapshot from the store", lambda: read_snapshot(TENANT, NOW, state, reports, LedgerAlerts(state))
    )
    changes = timed("compared with last week's", lambda: compare(snapshot, snapshot.to_json()))
    report = WeeklyReport(snapshot, changes, NOW)
    with tempfile.TemporaryDirectory() as folder:
        written = timed("report.html + report.json + 7 CSVs", lambda: write_report(report, Path(folder)))
        sizes = ", ".join(f"{p.name} {p.stat().st_size:,} bytes" for p in written[:3])
        print(f"{'':<44} {sizes}")
    signins = state.tap_signins(TENANT.id, NOW - timedelta(days=14), NOW)
    timed("SOC view: first page of 100", lambda: page(signins, {}, {}, parse_filters({})))
    timed(
        "SOC view: one country, page of 1000",
        lambda: page(signins, {}, {}, parse_filters({"country": "NG", "limit": "1000"})),
    )


if __name__ == "__main__":
    main()
