"""Crash-anywhere over the alert step at scale: kill the alert step at many points, recover, and count
what the receivers got.

    .venv/bin/python bench/alert_crash.py [--memory 400] [--tables 60] [--seed 20261204]

Each kill picks (seeded) a storm of 0 to 20 device findings beside three others, so the step sends
digests or single posts to two Teams channels and a webhook, and one email per recipient through Graph
sendMail (the Graph simulator); then a kill point: just before or just after one of the step's
alert-store operations (memory, or Table Storage in an Azurite started here). Two clean passes follow on
the same store. Every Teams post, webhook body and email the receivers accepted is read back (the card's
"Delivery ID" line, the webhook's deliveryId and X-Monitor-Delivery, the email's Message-ID and its
"Delivery ID" line) and prints, per store: kills, notices expected, notices lost, outbox rows left
undelivered, the most deliveries and notices repeated by one kill, repeats carrying another ID than the
first send, repeats that were Teams posts, and the seconds taken; then one JSON line of the totals.
The test suite runs every kill point of one storm in memory and a seeded sample in Table Storage
(tests/alerts/test_alert_crash.py).
"""

from __future__ import annotations

import argparse
import json
import random
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


from graphsim import GraphSimulator  # noqa: E402
from graphsim.receiver import CaptureReceiver  # noqa: E402
from monitor.store.account import TableAccount  # noqa: E402 - after the path is set
from monitor.store.alerts import AlertStore, MemoryAlertStore  # noqa: E402
from tests.alert_crash import (  # noqa: E402
    KillResult,
    crash_then_recover,
    endpoints,
    expected_notices,
    kill_points_of_a_clean_step,
)
from tests.conftest import AzuriteTables  # noqa: E402

MAX_STORM = 20


def run(
    name: str,
    kills: int,
    rng: random.Random,
    ends: tuple[CaptureReceiver, GraphSimulator],
    new_store: Callable[[int], AlertStore],
) -> dict[str, int | float]:
    receiver, sim = ends
    points: dict[int, int] = {}
    results: list[KillResult] = []
    notices = 0
    started = time.monotonic()
    for n in range(kills):
        storm = rng.randint(0, MAX_STORM)
        if storm not in points:
            points[storm] = kill_points_of_a_clean_step(receiver, sim, MemoryAlertStore, storm)
        store = new_store(n)
        results.append(crash_then_recover(store, rng.randint(1, points[storm]), receiver, sim, storm))
        store.close()
        notices += len(expected_notices(storm))
        if not results[-1].ok:
            print(f"{name}: {results[-1]}")
    figures: dict[str, int | float] = {
        "kills": sum(r.killed for r in results),
        "notices": notices,
        "lost": sum(r.lost for r in results),
        "undelivered": sum(r.undelivered for r in results),
        "kills_with_a_repeat": sum(1 for r in results if r.repeated_deliveries),
        "max_deliveries_repeated_per_kill": max((r.repeated_deliveries for r in results), default=0),
        "max_notices_repeated_per_kill": max((r.repeated_notices for r in results), default=0),
        "repeats_with_another_id": sum(r.repeats_with_another_id for r in results),
        "teams_notices_repeated": sum(r.teams_repeats for r in results),
        "failures": sum(1 for r in results if not r.ok),
        "seconds": round(time.monotonic() - started, 1),
    }
    print(f"{name}: " + ", ".join(f"{k} {v}" for k, v in figures.items()), flush=True)
    return figures


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--memory", type=int, default=400)
    parser.add_argument("--tables", type=int, default=60)
    parser.add_argument("--seed", type=int, default=20261204)
    args = parser.parse_args()
    rng = random.Random(args.seed)
    with tempfile.TemporaryDirectory() as tmp, endpoints(Path(tmp)) as ends:
        totals = {"memory": run("memory", args.memory, rng, ends, lambda n: MemoryAlertStore())}
        if args.tables:
            azurite = AzuriteTables().start()
            try:
                connection = azurite.connection_string

                def table_store(n: int) -> AlertStore:
                    return TableAccount.shared(connection, prefix=f"acrash{n}").alerts()

                totals["tables"] = run("tables", args.tables, rng, ends, table_store)
            finally:
                azurite.stop()
    print(json.dumps(totals))
    return 1 if any(t["failures"] for t in totals.values()) else 0


if __name__ == "__main__":
    raise SystemExit(main())
