"""What only the CLI runs: a pass, a weekly report or the SOC view of a tenant snapshot, served by the
Graph simulator on loopback (`monitor scan`, `monitor weekly --snapshot`, `monitor tap-signins
--snapshot`). Nothing here is deployed behind a trigger."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from monitor.records import utcnow
from monitor.service.passes import keep_recoveries, one_pass
from monitor.service.runtime import Runtime
from monitor.service.weekly import WeeklyRun, weekly_report

if TYPE_CHECKING:
    from monitor.pipeline import PassResult
    from monitor.views.tap_signins import PageRequest, TapSignInPage


async def scan_snapshot(runtime: Runtime, snapshot: Path, now: datetime | None = None) -> PassResult:
    """One pass against a tenant snapshot served by the Graph simulator on loopback, into the runtime's
    stores (memory unless storage is configured).

    Raises SnapshotError for a directory that is not a snapshot, TenantUnreadable when it holds no
    organization.
    """
    from graphsim import GraphSimulator

    with GraphSimulator(snapshot) as simulator:
        served = runtime.with_settings(runtime.settings.with_graph(simulator.url, "simulator"))
        return await one_pass(served, now)


async def weekly_from_snapshot(
    runtime: Runtime,
    snapshot: Path,
    now: datetime | None,
    output: Path,
    previous: Mapping[str, Any] | None = None,
) -> WeeklyRun:
    """The weekly report of a tenant snapshot: one pass through the simulator into memory stores, then
    the snapshot of what it stored. `previous` is an earlier report.json to compare with."""
    moment = now or utcnow()
    with Runtime.in_memory(runtime.settings) as memory:
        result = await scan_snapshot(memory, snapshot, moment)
        keep_recoveries(memory.reports, result)
        return weekly_report(memory, result.tenant, moment, output, previous)


async def tap_signins_from_snapshot(
    runtime: Runtime, snapshot: Path, now: datetime | None, request: PageRequest
) -> TapSignInPage:
    """The SOC view of a tenant snapshot (one pass, like scan)."""
    from monitor.views.tap_signins import finding_notes, page

    result = await scan_snapshot(runtime, snapshot, now)
    recoveries = {c.issuance.audit_id: c.to_json() for c in result.recoveries}
    return page(result.tap_signins, finding_notes(result.findings), recoveries, request)
