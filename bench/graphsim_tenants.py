"""The Graph simulator serving many tenants, with both report throttles on.

    .venv/bin/python bench/graphsim_tenants.py [--tenants 1000] [--requests 6] [--threads 4]

Writes `--tenants` small tenant snapshots, starts one simulator over them (`GraphSimulator(tenants=...)`)
with the throttle model on a frozen clock (so every request falls in one 10-second window), gets one
token per tenant from the simulator's token endpoint, then sends `--requests` sign-in reads per tenant
from `--threads` threads, twice: tenants interleaved (one read per tenant, round after round), then
tenant by tenant (each tenant's reads in a row), the windows emptied between. Prints the start-up time,
token and Graph requests per second, and per order the answers: 200, and 429 by the limit that refused
them. With a frozen window the model must admit min(5 x tenants, 122) report requests and refuse the
rest: that is checked, and the run exits 1 if it does not hold. Ends with one JSON line.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import httpx
import orjson

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from graphsim import GraphSimulator, ThrottleModel  # noqa: E402 - after the path is set
from graphsim.throttle import REPORT_REQUESTS_PER_APP_WINDOW, REPORT_REQUESTS_PER_WINDOW  # noqa: E402

SIGNINS = "/beta/auditLogs/signIns"


def write_tenants(parent: Path, count: int) -> list[str]:
    ids = []
    for n in range(count):
        tenant_id = f"{n:08x}-0000-4000-8000-000000000000"
        for relative, document in (
            ("v1.0/organization.json", {"value": [{"id": tenant_id, "displayName": f"Tenant {n}"}]}),
            ("beta/auditLogs/signIns.json", {"value": []}),
        ):
            path = parent / tenant_id / relative
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_bytes(orjson.dumps(document))
        ids.append(tenant_id)
    return ids


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tenants", type=int, default=1000)
    parser.add_argument("--requests", type=int, default=6, help="sign-in reads per tenant")
    parser.add_argument("--threads", type=int, default=4)
    args = parser.parse_args()
    print("runs on: graphsim in this process over HTTP (loopback), many tenants, both throttles; no store")
    total = args.tenants * args.requests
    orders = {
        "interleaved": [(t, r) for r in range(args.requests) for t in range(args.tenants)],
        "tenant by tenant": [(t, r) for t in range(args.tenants) for r in range(args.requests)],
    }
    results: dict[str, tuple[list[int], float, dict[str, int]]] = {}

    with tempfile.TemporaryDirectory() as temp:
        ids = write_tenants(Path(temp), args.tenants)
        started = time.perf_counter()
        simulator = GraphSimulator(tenants=temp, throttle=ThrottleModel(clock=lambda: 0.0))
        startup = time.perf_counter() - started
        with simulator as sim, ThreadPoolExecutor(args.threads) as pool:
            clients = [httpx.Client(base_url=sim.url, timeout=30) for _ in range(args.threads)]
            try:

                def token(index: int) -> str:
                    answer = clients[index % len(clients)].post(
                        f"/{ids[index]}/oauth2/v2.0/token", data={"grant_type": "client_credentials"}
                    )
                    return str(answer.json()["access_token"])

                started = time.perf_counter()
                tokens = list(pool.map(token, range(len(ids))))
                token_seconds = time.perf_counter() - started

                def read(position: tuple[int, int]) -> int:
                    tenant, count = position
                    bearer = {"Authorization": f"Bearer {tokens[tenant]}"}
                    return clients[(tenant + count) % len(clients)].get(SIGNINS, headers=bearer).status_code

                for name, positions in orders.items():
                    sim.reset()
                    started = time.perf_counter()
                    statuses = list(pool.map(read, positions))
                    seconds = time.perf_counter() - started
                    results[name] = (statuses, seconds, dict(sim.throttle_stats()["by_limit"]))
            finally:
                for client in clients:
                    client.close()

    expected = min(REPORT_REQUESTS_PER_WINDOW * args.tenants, REPORT_REQUESTS_PER_APP_WINDOW, total)
    graph_seconds = sum(seconds for _, seconds, _ in results.values())
    print(f"{args.tenants:,} tenants, {args.requests} sign-in reads each, {args.threads} threads")
    print(
        f"start-up {startup:.2f} s; token requests {len(ids) / token_seconds:,.0f}/s; "
        f"Graph requests {len(orders) * total / graph_seconds:,.0f}/s"
    )
    ok = True
    figures: dict[str, Any] = {
        "tenants": args.tenants,
        "requests_per_order": total,
        "startup_seconds": round(startup, 3),
        "token_requests_per_second": round(len(ids) / token_seconds),
        "graph_requests_per_second": round(len(orders) * total / graph_seconds),
    }
    for name, (statuses, _, by_limit) in results.items():
        admitted = statuses.count(200)
        right = admitted == expected and statuses.count(429) == total - admitted
        right &= by_limit["tenant"] + by_limit["app"] == total - admitted
        ok &= right
        print(
            f"{name}: {admitted:,} x 200 (expected {expected:,}), "
            f"{by_limit['tenant']:,} x 429 per app per tenant (5 / 10 s), "
            f"{by_limit['app']:,} x 429 per app across tenants (122 / 10 s): "
            + ("as modelled" if right else "WRONG")
        )
        key = name.replace(" ", "_")
        figures[key] = {
            "200": admitted,
            "429_tenant_limit": by_limit["tenant"],
            "429_app_limit": by_limit["app"],
        }
    print(json.dumps(figures))
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
