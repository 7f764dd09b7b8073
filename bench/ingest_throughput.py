"""What event-driven ingestion costs per item, without storage: parsing a dsregcmd report, mapping
log-stream records, and a route refusing a bad body (which never reaches storage).

    .venv/bin/python bench/ingest_throughput.py [--records N]
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

import azure.functions as func
import orjson

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from monitor.ingest.device_reports import device_report
from monitor.ingest.resource_logs import LogBatch, event_records, read_records
from tests.ingest.samples import device_report_body, signin_record, tap_issuance_record
from tests.support import indexed_functions

RECEIVED = datetime(2026, 11, 20, 12, tzinfo=UTC)


def rate(label: str, count: int, work: Callable[[], None]) -> None:
    work()  # once untimed: caches (compiled schemas, imports) are not what is measured
    started, cpu = time.perf_counter(), time.process_time()
    work()
    wall, used = time.perf_counter() - started, time.process_time() - cpu
    print(f"{label:<44} {count / wall:>10,.0f}/s  ({count / used:,.0f} per CPU second)")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--records", type=int, default=20_000)
    args = parser.parse_args()
    print(
        "runs on: no storage and no HTTP; parsing and mapping in this process, and the route's function "
        "called through the azure-functions library (a refused body never reaches storage)"
    )

    body = device_report_body()
    rate(
        "dsregcmd reports parsed and mapped",
        2_000,
        lambda: [device_report(body, RECEIVED) for _ in range(2_000)],
    )

    records = []
    for n in range(args.records):
        kind = n % 10
        if kind == 0:
            records.append(tap_issuance_record(f"Directory_{n}"))
        elif kind < 3:
            records.append(signin_record(f"5f0c0000-0000-4000-8000-{n:012d}", error_code=65001))
        else:  # most of a tenant's stream is other apps' sign-ins: read, then ignored
            other = signin_record(
                f"5f0c0000-0000-4000-8000-{n:012d}", app_id="c44b4083-3bb0-49c1-b47d-974e53cbdf3c"
            )
            other["properties"]["resourceId"] = "797f4846-ba00-4fd7-ba43-dac1f8f63013"
            records.append(other)
    # A diagnostic setting sends events of up to 1 MB (Event Hubs' event size limit): about 600 records.
    events = [orjson.dumps({"records": records[i : i + 600]}) for i in range(0, len(records), 600)]
    print(f"{len(events)} event bodies of up to 600 records, {max(map(len, events)) / 1e6:.2f} MB at most")

    def stream() -> None:
        batch = LogBatch()
        for event in events:
            read_records(event_records(event), batch)
        assert batch.malformed == 0

    rate("log-stream records parsed, checked, mapped", len(records), stream)

    # The settings a route reads; no storage is reached for a refused body.
    os.environ.setdefault(
        "MONITOR_STORAGE_CONNECTION_STRING",
        "DefaultEndpointsProtocol=http;AccountName=devstoreaccount1;AccountKey=a2V5;"
        "TableEndpoint=http://127.0.0.1:9/devstoreaccount1;",
    )
    route = indexed_functions()["device_reports"].get_user_function()
    bad = orjson.dumps(device_report_body(extra=1))
    key = {"x-functions-key": "k"}

    def refuse() -> None:
        for _ in range(5_000):
            assert (
                route(func.HttpRequest("POST", "/api/device-reports", headers=key, body=bad)).status_code
                == 400
            )

    rate("route: schema-invalid body refused (400)", 5_000, refuse)


if __name__ == "__main__":
    main()
