"""What the SOC's review paths and the weekly snapshot cost on Table Storage (Azurite): the first page
of the review queue, one review through the CLI path, health's backlog read, the weekly snapshot, and
where a read of the window's TAP sign-ins spends its time.

    .venv/bin/python bench/soc_review.py [--tap-signins 50000] [--devices 20000] [--reviewed 0.1]

Writes `--tap-signins` TAP sign-ins spread evenly over 14 days, `--devices` devices with verdicts, 14 days
of hourly PIN reset counts and the passes' TAP issuances (bench/weekly_report.py's tenant) into an
in-memory Azurite, reviews a share of the sign-ins, records one pass, and prints seconds per call.
Targets: the first page of GET /api/tap-signins within 1 s, the weekly snapshot within 5 s; exits 1 when
either is missed.
"""

from __future__ import annotations

import argparse
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

NOW = datetime(2026, 11, 20, 12, 0, tzinfo=UTC)
TENANT = "4b1c5b67-3f1e-4e38-9d5e-2a2f3c1d0e9a"


FIRST_PAGE_TARGET = 1.0
SNAPSHOT_TARGET = 5.0
took: dict[str, float] = {}


def timed(label: str, call: object) -> object:
    started = time.perf_counter()
    result = call()  # type: ignore[operator]
    took[label] = time.perf_counter() - started
    print(f"{label}: {took[label]:.2f} s")
    return result


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--tap-signins", type=int, default=50_000)
    parser.add_argument("--devices", type=int, default=20_000)
    parser.add_argument("--reviewed", type=float, default=0.1)
    parser.add_argument(
        "--bunched",
        action="store_true",
        help="TAP sign-ins in 60 hours of the week, 4 to 6.6 days old (bench/weekly_report.py's tenant), "
        "rather than spread over 14 days",
    )
    args = parser.parse_args()
    print("runs on: Table Storage in Azurite (state, reports, reviews); no Graph")

    from bench.weekly_report import NOW, fill
    from bench.weekly_report import TENANT as WEEKLY_TENANT
    from monitor.records import TapSignIn
    from monitor.service.health import health
    from monitor.service.runtime import Runtime
    from monitor.service.soc import tap_signins_from_store
    from monitor.settings import Settings
    from monitor.soc.review import new_review
    from monitor.soc.service import review_signin, soc_review_of
    from monitor.store.account import TableAccount
    from monitor.store.base import RunRecord
    from monitor.store.entities import from_entity
    from monitor.store.tables import open_table_store
    from monitor.views.tap_signins import parse_filters
    from monitor.weekly.alerts import LedgerAlerts
    from monitor.weekly.snapshot import read_snapshot
    from tests.conftest import AzuriteTables

    azurite = AzuriteTables().start()  # tests/conftest.py: Azurite's table service on loopback
    try:
        connection = azurite.connection_string
        environ = {
            "MONITOR_STORAGE_CONNECTION_STRING": connection,
            "MONITOR_TABLE_PREFIX": "bench",
            "MONITOR_POLL_SCHEDULE": "0 */15 * * * *",
        }
        settings = Settings.from_env(environ)
        state = open_table_store(connection, prefix="bench")
        now = NOW
        timed(
            f"write {args.devices} devices, 14 days of hourly counts, {args.tap_signins} TAP sign-ins",
            lambda: fill(
                state, args.devices, args.tap_signins, spread=None if args.bunched else timedelta(days=14)
            ),
        )
        signins = state.tap_signins(TENANT, now - timedelta(days=14), now)[::-1]
        state.save_run(RunRecord(TENANT, "bench", now, now, now, "ok", {}))
        reviews = TableAccount.from_settings(settings).reviews()
        chosen = signins[:: max(1, int(1 / args.reviewed))] if args.reviewed > 0 else []
        for signin in chosen:
            reviews.add_review(new_review(TENANT, signin.id, "benign-positive", "bench", now))
        reviews.close()
        print(f"reviews stored: {len(chosen)}")

        table = state._tables["tapsignins"]  # the raw query, to split the read's time
        started = time.perf_counter()
        entities = list(table.query_entities("PartitionKey eq @pk", parameters={"pk": TENANT}))
        queried = time.perf_counter() - started
        started = time.perf_counter()
        records = [from_entity(TapSignIn, e) for e in entities]
        mapped = time.perf_counter() - started
        print(
            f"read the window's {len(records)} sign-ins: Table client query and entities {queried:.2f} s, "
            f"our mapping to records {mapped:.2f} s"
        )
        started = time.perf_counter()
        keys = list(table.query_entities("PartitionKey eq @pk", parameters={"pk": TENANT}, select=["RowKey"]))
        print(f"the same {len(keys)} rows, RowKey only: {time.perf_counter() - started:.2f} s")
        timed(
            "the same window through the store (orjson page reader and record mapping)",
            lambda: state.tap_signins(TENANT, now - timedelta(days=15), now),
        )

        def view(filters: dict[str, str]) -> Any:
            """One request to the view, as the route serves it: its own Runtime."""
            with Runtime.from_env(environ) as runtime:
                return tap_signins_from_store(runtime, parse_filters(filters), now)

        def review() -> Any:
            with Runtime.from_env(environ) as runtime:
                return review_signin(runtime, signins[1].id, "true-positive", "bench", "checked", now=now)

        first = "SOC view, first page of 100 (GET /api/tap-signins)"
        timed(first, lambda: view({}))
        timed(
            "SOC view, first page then its next page (two requests)",
            lambda: view({"continuation": view({}).continuation or ""}),
        )
        timed("review queue, flagged or not, new only", lambda: view({"review": "new"}))
        timed("one review (tap-signins review ID)", review)
        timed("health (GET /api/health)", lambda: health(environ))
        reports = TableAccount.from_settings(settings).reports()
        snapshot_label = "weekly snapshot (read_snapshot)"
        snapshot = timed(
            snapshot_label,
            lambda: read_snapshot(WEEKLY_TENANT, now, state, reports, LedgerAlerts(state)),
        )
        reviews = TableAccount.from_settings(settings).reviews()
        timed(
            "the week's review backlog added to it (soc_review_of)",
            lambda: soc_review_of(snapshot, state, reviews, 24.0),  # type: ignore[arg-type]
        )
        reviews.close()
        reports.close()
        state.close()
        missed = [
            f"{label} {took[label]:.2f} s > {target:.0f} s"
            for label, target in ((first, FIRST_PAGE_TARGET), (snapshot_label, SNAPSHOT_TARGET))
            if took[label] > target
        ]
        print(
            "targets: "
            + ("; ".join(missed) + ": MISSED" if missed else "met (first page <= 1 s, snapshot <= 5 s)")
        )
        return 1 if missed else 0
    finally:
        azurite.stop()


if __name__ == "__main__":
    raise SystemExit(main())
