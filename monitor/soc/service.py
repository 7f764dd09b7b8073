"""The SOC's entry points over the stores, shared by the CLI, the JSON route and the review page:
record a review, read each sign-in's history, count the backlog, and the late-review alert entries."""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any

from monitor.records import TapSignIn
from monitor.settings import Settings, SettingsError
from monitor.soc.review import ReviewError, TapSignInReview, by_signin, new_review
from monitor.soc.workflow import (
    REVIEW_WINDOW,
    ReviewBacklog,
    UnknownSignIn,
    backlog,
    find_signin,
    overdue_findings,
)
from monitor.store.base import StateStore, StoredFinding, StoreError
from monitor.store.reviews import ReviewStore, open_review_store

if TYPE_CHECKING:
    from monitor.weekly.snapshot import WeeklySnapshot

log = logging.getLogger(__name__)


def histories(reviews: ReviewStore, tenant_ids: Sequence[str]) -> dict[str, list[TapSignInReview]]:
    """Each sign-in's reviews, oldest first, over the tenants given."""
    return by_signin([r for t in tenant_ids for r in reviews.reviews(t)])


def review_signin(
    signin_id: str,
    verdict: str,
    reviewer: str,
    note: str = "",
    *,
    reviewer_id: str = "",
    via: str = "cli",
    now: datetime | None = None,
    environ: Mapping[str, str] | None = None,
) -> dict[str, Any]:
    """Record one review of a stored TAP sign-in and answer its SOC row (with the whole history).
    Raises ReviewError (bad verdict, note or reviewer), UnknownSignIn, SettingsError, StoreError."""
    from monitor.service import _finding_notes
    from monitor.store import open_store
    from monitor.store.reports import open_report_store
    from monitor.views.tap_signins import row_json

    settings = Settings.from_env(environ, require_storage=True)
    moment = now or datetime.now(UTC)
    wanted = signin_id.strip()
    if not wanted or len(wanted) > 256:
        raise UnknownSignIn(f"no stored TAP sign-in {signin_id[:64]!r}")
    state, reports, reviews = open_store(settings), open_report_store(settings), open_review_store(settings)
    try:
        tenants = [run.tenant_id for run in state.latest_runs()]
        stored = {
            t: state.tap_signins(t, moment - REVIEW_WINDOW, moment + timedelta(days=1)) for t in tenants
        }
        tenant_id, signin = find_signin(stored, wanted)
        review = new_review(tenant_id, signin.id, verdict, reviewer, moment, note, reviewer_id, via)
        before = by_signin(reviews.reviews(tenant_id)).get(signin.id, [])
        review = replace(review, sequence=max((r.sequence for r in before), default=0) + 1)
        reviews.add_review(review)
        log.info("TAP sign-in reviewed: signin=%s verdict=%s via=%s", signin.id, review.verdict, via)
        history = [*before, review]
        findings = state.findings(tenant_id)
        _keep_backlog(reviews, tenant_id, stored[tenant_id], findings, moment, settings.soc.review_hours)
        notes = _finding_notes(findings)
        recoveries = reports.recoveries(tenant_id)
        chain = recoveries.get(signin.issuance.audit_id) if signin.issuance else None
        return row_json(signin, notes.get(signin.id, ()), chain, history)
    finally:
        state.close()
        reports.close()
        reviews.close()


def review_request(
    signin_id: str, body: bytes, environ: Mapping[str, str] | None = None
) -> tuple[int, dict[str, Any]]:
    """POST /api/tap-signins/{id}/review (function key), body {"verdict", "note"?, "by"}: (status, JSON).
    The function key names no person, so the caller says who reviews (`by`); the review page records
    the signed-in principal instead. Never a 500."""
    import orjson
    from azure.core.exceptions import AzureError

    if len(body) > 16_384:
        return 413, {"error": "the body is larger than 16384 bytes"}
    try:
        document = orjson.loads(body) if body.strip() else None
    except orjson.JSONDecodeError as exc:
        return 400, {"error": f"the body is not JSON: {exc}"}
    if not isinstance(document, dict):
        return 400, {
            "error": 'the body must be a JSON object: {"verdict": "...", "note": "...", "by": "..."}'
        }
    unknown = sorted(set(document) - {"verdict", "note", "by"})
    fields = {k: document.get(k, "") for k in ("verdict", "note", "by")}
    if unknown:
        return 400, {"error": f"unknown field(s): {', '.join(map(str, unknown))} (known: verdict, note, by)"}
    if not all(isinstance(v, str) for v in fields.values()):
        return 400, {"error": "verdict, note and by must be strings"}
    try:
        row = review_signin(
            signin_id, fields["verdict"], fields["by"], fields["note"], via="api", environ=environ
        )
    except ReviewError as exc:
        return 400, {"error": str(exc)}
    except UnknownSignIn as exc:
        return 404, {"error": str(exc).strip("'\"")}
    except SettingsError as exc:
        return 503, {"error": "the monitor is not configured", "problems": exc.problems}
    except StoreError as exc:
        log.warning("review: Table Storage failed: %s", exc)
        return 503, {"error": f"Table Storage unavailable: {exc}"}
    except AzureError as exc:
        log.warning("review: Table Storage failed: %s", type(exc).__name__)
        return 503, {"error": f"Table Storage unavailable: {type(exc).__name__}"}
    return 200, row


def tenant_backlog(
    state: StateStore, reviews: ReviewStore, tenant_id: str, now: datetime, review_hours: float
) -> ReviewBacklog:
    signins = state.tap_signins(tenant_id, now - REVIEW_WINDOW, now)
    return backlog(signins, state.findings(tenant_id), histories(reviews, [tenant_id]), now, review_hours)


def review_backlog(settings: Settings, tenant_ids: Sequence[str]) -> dict[str, Any]:
    """Unreviewed TAP sign-ins over every tenant (GET /api/health), as last counted by a pass or a
    review: a point read per deployment rather than a month of sign-ins on every health check."""
    reviews = open_review_store(settings)
    try:
        kept = reviews.backlogs()
    finally:
        reviews.close()
    documents = [kept[t] for t in tenant_ids if t in kept]
    oldest = [d["oldestUnreviewed"] for d in documents if d.get("oldestUnreviewed")]
    return {
        "unreviewed": sum(int(d.get("unreviewed", 0)) for d in documents),
        "flaggedUnreviewed": sum(int(d.get("flaggedUnreviewed", 0)) for d in documents),
        "overdue": sum(int(d.get("overdue", 0)) for d in documents),
        "oldestUnreviewed": min(oldest, key=lambda o: str(o.get("createdDateTime", ""))) if oldest else None,
        "countedAt": min((str(d["countedAt"]) for d in documents if d.get("countedAt")), default=None),
    }


def _keep_backlog(
    reviews: ReviewStore,
    tenant_id: str,
    signins: Sequence[TapSignIn],
    findings: Sequence[StoredFinding],
    now: datetime,
    review_hours: float,
) -> None:
    from monitor.rules.evidence import iso

    count = backlog(signins, findings, histories(reviews, [tenant_id]), now, review_hours)
    reviews.save_backlog(tenant_id, count.to_json() | {"countedAt": iso(now)})


def late_review_findings(
    settings: Settings, state: StateStore, tenant_id: str, now: datetime
) -> list[StoredFinding]:
    """The alert step's entries for flagged sign-ins whose review is late (monitor.soc.workflow)."""
    reviews = open_review_store(settings)
    try:
        signins: list[TapSignIn] = state.tap_signins(tenant_id, now - REVIEW_WINDOW, now)
        findings = state.findings(tenant_id)
        late = overdue_findings(
            signins, findings, histories(reviews, [tenant_id]), now, settings.soc.review_hours
        )
        _keep_backlog(reviews, tenant_id, signins, findings, now, settings.soc.review_hours)
        return late
    finally:
        reviews.close()


def soc_review_of(
    snapshot: WeeklySnapshot, state: StateStore, reviews: ReviewStore, review_hours: float
) -> WeeklySnapshot:
    """The weekly snapshot with the tenant's review backlog at the end of its week."""
    count = tenant_backlog(state, reviews, snapshot.tenant.id, snapshot.period_end, review_hours)
    return replace(snapshot, review_backlog=count.to_json())


class LoopbackToken:
    """The token for a loopback Logs Ingestion stand-in (tests, local runs): never sent anywhere else."""

    def get_token(self, *scopes: str, **kwargs: Any) -> Any:
        from azure.core.credentials import AccessToken

        return AccessToken("loopback", 2**31 - 1)


def _sentinel_credential(settings: Settings) -> Any:
    from urllib.parse import urlsplit

    if urlsplit(settings.soc.sentinel_endpoint).hostname in ("127.0.0.1", "localhost", "::1"):
        return LoopbackToken()
    from azure.identity import DefaultAzureCredential, ManagedIdentityCredential

    if settings.managed_identity_client_id:
        return ManagedIdentityCredential(client_id=settings.managed_identity_client_id)
    return DefaultAzureCredential()


def ship_pass(
    settings: Settings, state: StateStore, tenant_id: str, now: datetime, uploader: Any = None
) -> list[Any]:
    """Ship the tenant's TAP sign-in rows of the lookback window and its findings to Log Analytics
    (monitor.soc.sentinel); only rows that changed since their last upload are sent."""
    from monitor.service import _finding_notes
    from monitor.soc.sentinel import UploadError, finding_row, open_uploader, ship, signin_row
    from monitor.store.reports import open_report_store
    from monitor.store.reviews import open_upload_ledger
    from monitor.views.tap_signins import row_json

    soc = settings.soc
    reports, reviews, ledger = (
        open_report_store(settings),
        open_review_store(settings),
        open_upload_ledger(settings),
    )
    client = uploader or open_uploader(
        soc.sentinel_endpoint, soc.sentinel_dcr_id, _sentinel_credential(settings)
    )
    try:
        signins = state.tap_signins(tenant_id, now - timedelta(days=settings.signin_lookback_days), now)
        findings = state.findings(tenant_id)
        notes = _finding_notes(findings)
        chains = reports.recoveries(tenant_id)
        history = histories(reviews, [tenant_id])
        rows = [
            signin_row(
                tenant_id,
                row_json(
                    s,
                    notes.get(s.id, ()),
                    chains.get(s.issuance.audit_id) if s.issuance else None,
                    history.get(s.id, ()),
                ),
            )
            for s in signins
        ]
        shipped = []
        findings_rows = [finding_row(tenant_id, f) for f in findings]
        for stream, stream_rows in (
            (soc.sentinel_signin_stream, rows),
            (soc.sentinel_finding_stream, findings_rows),
        ):
            # Each stream on its own: one refused does not hold the other back.
            try:
                shipped.append(ship(client, ledger, tenant_id, stream, stream_rows))
            except UploadError as exc:
                log.warning("sentinel: upload failed, the next pass retries: %s", exc)
        return shipped
    finally:
        if uploader is None:
            client.close()
        reports.close()
        reviews.close()
        ledger.close()
