"""The SOC's view of TAP sign-ins over what the passes stored (`GET /api/tap-signins`,
`monitor tap-signins`). Reviews are recorded by monitor.soc.service."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from monitor.records import utcnow
from monitor.service.answer import Answer

if TYPE_CHECKING:
    from monitor.service.runtime import Runtime
    from monitor.views.tap_signins import PageRequest, RuleNote, TapSignInPage


def tap_signins_from_store(
    runtime: Runtime, request: PageRequest, now: datetime | None = None
) -> TapSignInPage:
    """The SOC view of what the passes stored: sign-ins of the lookback unless the filters say
    otherwise."""
    from monitor.soc.service import histories
    from monitor.views.tap_signins import finding_notes, stored_page

    moment = now or utcnow()
    since = request.filters.since or moment - timedelta(days=runtime.settings.signin_lookback_days)
    until = request.filters.until or moment
    state, reports = runtime.state, runtime.reports
    notes: dict[str, list[RuleNote]] = {}
    recoveries: dict[str, Mapping[str, Any]] = {}
    tenants = [run.tenant_id for run in state.latest_runs()]
    for tenant_id in tenants:
        for signin_id, found in finding_notes(state.findings(tenant_id)).items():
            notes.setdefault(signin_id, []).extend(found)
        recoveries |= reports.recoveries(tenant_id)
    return stored_page(
        tenants,
        state.tap_signins,
        state.count_tap_signins,
        notes,
        recoveries,
        request,
        since,
        until,
        histories(runtime.reviews, tenants),
    )


def tap_signins_answer(runtime: Runtime, params: Mapping[str, str]) -> Answer:
    """GET /api/tap-signins: JSON or CSV (`format`). A bad filter raises FilterError (a 400)."""
    from monitor.views.tap_signins import FilterError, parse_filters, to_csv

    query = dict(params)
    fmt = query.pop("format", "json").lower()
    if fmt not in ("json", "csv"):
        raise FilterError(f"format must be json or csv, got {fmt!r}")
    result = tap_signins_from_store(runtime, parse_filters(query))
    if fmt == "csv":
        return Answer(200, to_csv(result).encode(), "text/csv")
    return Answer(200, result.to_json())
