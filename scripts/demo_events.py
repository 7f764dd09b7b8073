"""The demo's event-driven inputs for the tenant it runs on, at the time it has reached.

The bundled examples under docs/schemas/ (a device's dsregcmd report, Entra log-stream records, an Azure
Monitor alert) are one tenant's, dated just before 2026-11-20T12:00:00Z. `scripts/demo.sh` tells one story in
time order for whichever tenant it is given, so it writes copies of them here with that tenant's ID, name,
domain and first Intune device, every time moved by the same offset so that they come after the passes
already shown. Development only (the deployed app never runs it).

Usage: python scripts/demo_events.py --tenant examples/tenants/NAME --at 2026-11-20T12:30:00Z --out DIR
"""

from __future__ import annotations

import argparse
import json
import re
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
EXAMPLES = ROOT / "docs" / "schemas"
FILES = {
    "device-report.json": "device-report.example.json",
    "log-records.json": "resource-log-records.example.json",
    "alert.json": "azure-monitor-alert.example.json",
}
# What the examples were written against: their tenant, their device, and the time they lead up to.
EXAMPLE_TENANT = "f58ba582-7488-5c32-b359-56c1355b78b0"
EXAMPLE_NAME = "Northwind Traders"
EXAMPLE_DOMAIN = "northwindtraders.com"
EXAMPLE_INTUNE_DEVICE = "aae7c774-62ce-5f61-9bf2-c4c73657dc07"
EXAMPLE_ENTRA_DEVICE = "1277bfa0-0664-548a-9355-dbf4190a3249"
EXAMPLE_DEVICE_NAME = "NWT-PC001"
EXAMPLE_TIME = datetime(2026, 11, 20, 12, 0, tzinfo=UTC)
# ISO times as the examples write them: "2026-11-20T11:55:04.1234567Z", "...+00:00", dsregcmd's
# "2026-11-20 08:15:26.000 UTC".
STAMP = re.compile(r"(\d{4}-\d{2}-\d{2})[T ](\d{2}:\d{2}:\d{2})")


def read(path: Path) -> Any:
    return json.loads(path.read_text(encoding="utf-8")) if path.is_file() else {}


def tenant_facts(snapshot: Path) -> dict[str, str]:
    organization = (read(snapshot / "v1.0" / "organization.json").get("value") or [{}])[0]
    domains = read(snapshot / "v1.0" / "domains.json").get("value") or []
    default = next((d["id"] for d in domains if d.get("isDefault")), EXAMPLE_DOMAIN)
    devices = read(snapshot / "beta" / "deviceManagement" / "managedDevices.json").get("value") or []
    windows = [d for d in devices if str(d.get("operatingSystem", "")).lower() == "windows"]
    device = (windows or [{}])[0]
    return {
        EXAMPLE_TENANT: organization.get("id", EXAMPLE_TENANT),
        EXAMPLE_NAME: organization.get("displayName", EXAMPLE_NAME),
        EXAMPLE_DOMAIN: default,
        EXAMPLE_INTUNE_DEVICE: device.get("id", EXAMPLE_INTUNE_DEVICE),
        EXAMPLE_ENTRA_DEVICE: device.get("azureADDeviceId", EXAMPLE_ENTRA_DEVICE),
        EXAMPLE_DEVICE_NAME: device.get("deviceName", EXAMPLE_DEVICE_NAME),
    }


def moved(text: str, offset: timedelta) -> str:
    def shift(match: re.Match[str]) -> str:
        then = datetime.fromisoformat(f"{match.group(1)}T{match.group(2)}") + offset
        separator = match.group(0)[10]
        return then.strftime(f"%Y-%m-%d{separator}%H:%M:%S")

    return STAMP.sub(shift, text)


def write_events(snapshot: Path, at: datetime, out: Path) -> list[Path]:
    replacements = tenant_facts(snapshot)
    offset = at - EXAMPLE_TIME
    out.mkdir(parents=True, exist_ok=True)
    written = []
    for name, source in FILES.items():
        text = (EXAMPLES / source).read_text(encoding="utf-8")
        for old, new in replacements.items():
            text = text.replace(old, new)
        target = out / name
        target.write_text(moved(text, offset), encoding="utf-8")
        written.append(target)
    return written


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--tenant", type=Path, required=True, help="a tenant snapshot directory")
    parser.add_argument("--at", required=True, help="the time the records lead up to (ISO 8601)")
    parser.add_argument("--out", type=Path, required=True)
    args = parser.parse_args()
    at = datetime.fromisoformat(args.at.replace("Z", "+00:00"))
    for path in write_events(args.tenant, at, args.out):
        print(path)


if __name__ == "__main__":
    main()
