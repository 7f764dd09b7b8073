"""Crash-anywhere at scale: kill a pass at many store operations and check each recovery.

    .venv/bin/python bench/crash_anywhere.py [--memory 160] [--tables 40] [--seed 20261201]

For each sampled kill point k, a pass dies just before its k-th store operation (memory, or Table
Storage in an Azurite started here), a clean pass runs on the same store, and the store must hold what
one clean pass leaves. Prints the points tried, the failures (none expected) and the seconds taken.
The test suite runs a smaller seeded sample of the same thing (tests/test_crash_anywhere.py).
"""

from __future__ import annotations

import argparse
import random
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from graphsim import GraphSimulator  # noqa: E402 - after the path is set
from monitor.store.memory import MemoryStore  # noqa: E402
from monitor.store.tables import open_table_store  # noqa: E402
from tests.conftest import AzuriteTables  # noqa: E402
from tests.crash import crash_then_recover, one_pass, operations_of_a_clean_pass, state, write_crash_tenant  # noqa: E402


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--memory", type=int, default=160)
    parser.add_argument("--tables", type=int, default=40)
    parser.add_argument("--seed", type=int, default=20261201)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp, GraphSimulator(write_crash_tenant(Path(tmp) / "t")) as sim:
        print(
            "runs on: the Graph simulator over HTTP on loopback in this process, msgraph-sdk, and the memory "
            "store, then Table Storage in Azurite"
        )
        reference = MemoryStore()
        one_pass(sim, reference)
        clean = state(reference)
        total = operations_of_a_clean_pass(sim, MemoryStore)
        rng = random.Random(args.seed)
        print(f"a clean pass makes {total} store operations")
        failures = 0
        started = time.monotonic()
        for _ in range(args.memory):
            k = rng.randint(1, total)
            store = MemoryStore()
            crash_then_recover(sim, store, k)
            if state(store) != clean:
                failures += 1
                print(f"memory: killed at operation {k}: the store differs from a clean pass")
        print(f"memory: {args.memory} kills, {failures} failures, {time.monotonic() - started:.1f} s")
        azurite = AzuriteTables().start()
        try:
            table_failures = 0
            started = time.monotonic()
            for n in range(args.tables):
                k = rng.randint(1, total)
                store = open_table_store(azurite.connection_string, prefix=f"crash{n}")
                crash_then_recover(sim, store, k)
                if state(store) != clean:
                    table_failures += 1
                    print(f"tables: killed at operation {k}: the store differs from a clean pass")
                store.close()
            print(
                f"tables: {args.tables} kills, {table_failures} failures, {time.monotonic() - started:.1f} s"
            )
        finally:
            azurite.stop()
    return 1 if failures or table_failures else 0


if __name__ == "__main__":
    raise SystemExit(main())
