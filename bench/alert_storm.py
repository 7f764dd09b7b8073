"""What the alert step costs on a storm: many findings opening at once, in Table Storage (Azurite).

    .venv/bin/python bench/alert_storm.py [--findings 500]

A ledger of `--findings` failing findings, routed to one Teams and one webhook destination (loopback
receivers); the first pass opens every alert, queues two notices each and sends two digests; a pass
15 minutes later has nothing to do. Prints seconds per pass, the Table Storage rows written, and the
HTTP posts the receivers took.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

NOW = datetime(2026, 11, 20, 12, 0, tzinfo=UTC)


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--findings", type=int, default=500)
    args = parser.parse_args()

    from graphsim.receiver import CaptureReceiver
    from monitor.alerts.process import process_alerts
    from monitor.alerts.settings import AlertDestination, AlertSettings
    from monitor.records import Tenant
    from monitor.store.account import TableAccount
    from monitor.store.base import StoredFinding
    from tests.conftest import AzuriteTables

    azurite = AzuriteTables().start()  # tests/conftest.py: Azurite's table service on loopback
    print(
        "runs on: Table Storage in Azurite (alert and outbox tables), the Teams and webhook posts to a "
        "loopback capture receiver over HTTP"
    )
    try:
        connection = azurite.connection_string
        tenant = Tenant("4b1c5b67-3f1e-4e38-9d5e-2a2f3c1d0e9a", "Contoso")
        findings = [
            StoredFinding(
                "device.pin-reset.unsupported-os", f"device-{n:05d}", "medium", "Device cannot reset its PIN",
                f"PC-{n:05d} runs Windows 10 1607.", {"deviceName": f"PC-{n:05d}", "build": 14393},
                "open", NOW, NOW,
            )
            for n in range(args.findings)
        ]  # fmt: skip
        with CaptureReceiver() as receiver:
            settings = AlertSettings(
                destinations=(
                    AlertDestination("ops", "teams", url=f"{receiver.url}/teams/ops"),
                    AlertDestination("soc", "webhook", url=f"{receiver.url}/webhook/soc", hmac_key=b"k" * 32),
                ),
                default_route=("ops", "soc"),
            )
            store = TableAccount.shared(connection, prefix="bench").alerts()
            for label, minutes in (("first pass (storm opens)", 0), ("pass 15 min later (nothing due)", 15)):
                started = time.perf_counter()
                summary = asyncio.run(
                    process_alerts(store, findings, tenant, NOW + timedelta(minutes=minutes), settings, None)
                )
                seconds = time.perf_counter() - started
                print(
                    f"{label}: {seconds:.2f} s; opened {summary.opened}, queued {summary.queued}, "
                    f"sent {summary.sent} in {summary.digests} digest(s)"
                )
            rows = len(store.notifications(tenant.id))
            print(
                f"{args.findings} findings: {len(store.alerts(tenant.id))} alert rows, {rows} outbox rows; "
                f"receivers took {len(receiver.deliveries)} posts "
                f"({max(len(d.body) for d in receiver.deliveries) // 1024} KiB the largest)"
            )
            store.close()
    finally:
        azurite.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
