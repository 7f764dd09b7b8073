"""What the SOC's review paths cost on Table Storage (Azurite): the first page of the review queue,
one review through the CLI path, health's backlog read, and where a read of the window's TAP sign-ins
spends its time (the Table client's query and entity conversion against our record mapping).

    .venv/bin/python bench/soc_review.py [--tap-signins 5000] [--reviewed 0.1]

Writes `--tap-signins` TAP sign-ins spread over 14 days into an in-memory Azurite, reviews a share of
them, records one pass, and prints seconds per call.
"""

from __future__ import annotations

import argparse
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

NOW = datetime(2026, 11, 20, 12, 0, tzinfo=UTC)
AZURITE = ROOT / "tools" / "azurite" / "node_modules" / ".bin" / "azurite-table"
KEY = "Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw=="
TENANT = "4b1c5b67-3f1e-4e38-9d5e-2a2f3c1d0e9a"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def timed(label: str, call: object) -> object:
    started = time.perf_counter()
    result = call()  # type: ignore[operator]
    print(f"{label}: {time.perf_counter() - started:.2f} s")
    return result


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--tap-signins", type=int, default=5000)
    parser.add_argument("--reviewed", type=float, default=0.1)
    args = parser.parse_args()
    print("runs on: Table Storage in Azurite (TAP sign-ins, reviews); no Graph")

    from monitor import service
    from monitor.records import TapSignIn, utcnow
    from monitor.rules.cases._builders import tap_signin
    from monitor.settings import Settings
    from monitor.soc.review import new_review
    from monitor.soc.service import review_signin
    from monitor.store.base import RunRecord
    from monitor.store.entities import from_entity
    from monitor.store.reviews import open_review_store
    from monitor.store.tables import open_table_store
    from monitor.views.tap_signins import parse_filters

    port = free_port()
    workspace = tempfile.mkdtemp(prefix="azurite-")
    azurite = subprocess.Popen(
        [str(AZURITE), "--tableHost", "127.0.0.1", "--tablePort", str(port), "--inMemoryPersistence",
         "--disableTelemetry", "--skipApiVersionCheck", "--silent"],
        cwd=workspace, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip
    try:
        for _ in range(300):
            with socket.socket() as probe:
                if probe.connect_ex(("127.0.0.1", port)) == 0:
                    break
            time.sleep(0.1)
        connection = (
            "DefaultEndpointsProtocol=http;AccountName=devstoreaccount1;"
            f"AccountKey={KEY};TableEndpoint=http://127.0.0.1:{port}/devstoreaccount1;"
        )
        environ = {
            "MONITOR_STORAGE_CONNECTION_STRING": connection,
            "MONITOR_TABLE_PREFIX": "bench",
            "MONITOR_POLL_SCHEDULE": "0 */15 * * * *",
        }
        settings = Settings.from_env(environ)
        state = open_table_store(connection, prefix="bench")
        # Now is the wall clock: the stored window must hold the sign-ins for the health and page reads.
        now = utcnow()
        step = timedelta(days=14) / max(args.tap_signins, 1)
        signins = [
            replace(tap_signin(n=n), created=now - step * n - timedelta(seconds=1))
            for n in range(args.tap_signins)
        ]
        timed(f"write {len(signins)} TAP sign-ins", lambda: state.save_tap_signins(TENANT, signins))
        state.save_run(RunRecord(TENANT, "bench", now, now, now, "ok", {}))
        reviews = open_review_store(settings)
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
            "SOC view, first page of 100 (GET /api/tap-signins)",
            lambda: service.tap_signins_from_store(parse_filters({}), environ=environ),
        )
        timed(
            "review queue, flagged or not, new only",
            lambda: service.tap_signins_from_store(parse_filters({"review": "new"}), environ=environ),
        )
        timed(
            "one review (tap-signins review ID)",
            lambda: review_signin(signins[1].id, "true-positive", "bench", "checked", environ=environ),
        )
        timed("health (GET /api/health)", lambda: service.health(environ))
        state.close()
    finally:
        azurite.terminate()
        azurite.wait(timeout=10)
        shutil.rmtree(workspace, ignore_errors=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
