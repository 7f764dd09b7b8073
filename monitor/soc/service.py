"""The SOC's entry points over the stores, shared by the CLI, the JSON route and the review page:
record a review, read each sign-in's history, count the backlog, and the late-review alert entries."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any

from monitor.errors import BadRequest
from monitor.records import TapSignIn
from monitor.service.answer import Answer, refused
from monitor.settings import Settings
from monitor.soc.review import TapSignInReview, by_signin, new_review
from monitor.soc.workflow import (
    REVIEW_WINDOW,
    ReviewBacklog,
    UnknownSignIn,
    backlog,
    find_signin,
    overdue_findings,
)
from monitor.store.base import StateStore, StoredFinding
from monitor.store.reviews import ReviewStore

if TYPE_CHECKING:
    from monitor.service.runtime import Runtime
    from monitor.weekly.snapshot import WeeklySnapshot

log = logging.getLogger(__name__)


def histories(reviews: ReviewStore, tenant_ids: Sequence[str]) -> dict[str, list[TapSignInReview]]:
    """Each sign-in's reviews, oldest first, over the tenants given."""
    return by_signin([r for t in tenant_ids for r in reviews.reviews(t)])


def review_signin(
    runtime: Runtime,
    signin_id: str,
    verdict: str,
    reviewer: str,
    note: str = "",
    *,
    reviewer_id: str = "",
    via: str = "cli",
    now: datetime | None = None,
) -> dict[str, Any]:
    """Record one review of a stored TAP sign-in and answer its SOC row (with the whole history).
    Raises ReviewError (bad verdict, note or reviewer), UnknownSignIn, StoreError."""
    from monitor.views.tap_signins import finding_notes, row_json

    moment = now or datetime.now(UTC)
    wanted = signin_id.strip()
    if not wanted or len(wanted) > 256:
        raise UnknownSignIn(f"no stored TAP sign-in {signin_id[:64]!r}")
    state, reviews = runtime.state, runtime.reviews
    tenants = [run.tenant_id for run in state.latest_runs()]
    stored = {t: state.tap_signins(t, moment - REVIEW_WINDOW, moment + timedelta(days=1)) for t in tenants}
    tenant_id, signin = find_signin(stored, wanted)
    review = new_review(tenant_id, signin.id, verdict, reviewer, moment, note, reviewer_id, via)
    before = by_signin(reviews.reviews(tenant_id)).get(signin.id, [])
    review = replace(review, sequence=max((r.sequence for r in before), default=0) + 1)
    reviews.add_review(review)
    log.info("TAP sign-in reviewed: signin=%s verdict=%s via=%s", signin.id, review.verdict, via)
    history = [*before, review]
    findings = state.findings(tenant_id)
    _keep_backlog(reviews, tenant_id, stored[tenant_id], findings, moment, runtime.settings.soc.review_hours)
    notes = finding_notes(findings)
    recoveries = runtime.reports.recoveries(tenant_id)
    chain = recoveries.get(signin.issuance.audit_id) if signin.issuance else None
    return row_json(signin, notes.get(signin.id, ()), chain, history)


def review_request(runtime: Runtime, signin_id: str, body: bytes) -> Answer:
    """POST /api/tap-signins/{id}/review (function key), body {"verdict", "note"?, "by"}.
    The function key names no person, so the caller says who reviews (`by`); the review page records
    the signed-in principal instead. A bad body raises BadRequest (400), an unknown sign-in NotFound."""
    import orjson

    if len(body) > 16_384:
        return refused(413, "the body is larger than 16384 bytes")
    try:
        document = orjson.loads(body) if body.strip() else None
    except orjson.JSONDecodeError as exc:
        raise BadRequest(f"the body is not JSON: {exc}") from exc
    if not isinstance(document, dict):
        raise BadRequest('the body must be a JSON object: {"verdict": "...", "note": "...", "by": "..."}')
    unknown = sorted(set(document) - {"verdict", "note", "by"})
    fields = {k: document.get(k, "") for k in ("verdict", "note", "by")}
    if unknown:
        raise BadRequest(f"unknown field(s): {', '.join(map(str, unknown))} (known: verdict, note, by)")
    if not all(isinstance(v, str) for v in fields.values()):
        raise BadRequest("verdict, note and by must be strings")
    row = review_signin(runtime, signin_id, fields["verdict"], fields["by"], fields["note"], via="api")
    return Answer(200, row)


def tenant_backlog(
    state: StateStore, reviews: ReviewStore, tenant_id: str, now: datetime, review_hours: float
) -> ReviewBacklog:
    signins = state.tap_signins(tenant_id, now - REVIEW_WINDOW, now)
    return backlog(signins, state.findings(tenant_id), histories(reviews, [tenant_id]), now, review_hours)


def review_backlog(reviews: ReviewStore, tenant_ids: Sequence[str]) -> dict[str, Any]:
    """Unreviewed TAP sign-ins over every tenant (GET /api/health), as last counted by a pass or a
    review: a point read per deployment rather than a month of sign-ins on every health check."""
    kept = reviews.backlogs()
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


def late_review_findings(runtime: Runtime, tenant_id: str, now: datetime) -> list[StoredFinding]:
    """The alert step's entries for flagged sign-ins whose review is late (monitor.soc.workflow)."""
    state, reviews, hours = runtime.state, runtime.reviews, runtime.settings.soc.review_hours
    signins: list[TapSignIn] = state.tap_signins(tenant_id, now - REVIEW_WINDOW, now)
    findings = state.findings(tenant_id)
    late = overdue_findings(signins, findings, histories(reviews, [tenant_id]), now, hours)
    _keep_backlog(reviews, tenant_id, signins, findings, now, hours)
    return late


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


def ship_pass(runtime: Runtime, tenant_id: str, now: datetime, uploader: Any = None) -> list[Any]:
    """Ship the tenant's TAP sign-in rows of the lookback window and its findings to Log Analytics
    (monitor.soc.sentinel); only rows that changed since their last upload are sent."""
    from monitor.soc.sentinel import UploadError, finding_row, open_uploader, ship, signin_row
    from monitor.views.tap_signins import finding_notes, row_json

    settings, state = runtime.settings, runtime.state
    soc = settings.soc
    client = uploader or open_uploader(
        soc.sentinel_endpoint, soc.sentinel_dcr_id, _sentinel_credential(settings)
    )
    try:
        signins = state.tap_signins(tenant_id, now - timedelta(days=settings.signin_lookback_days), now)
        findings = state.findings(tenant_id)
        notes = finding_notes(findings)
        chains = runtime.reports.recoveries(tenant_id)
        history = histories(runtime.reviews, [tenant_id])
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
                shipped.append(ship(client, runtime.upload_ledger, tenant_id, stream, stream_rows))
            except UploadError as exc:
                log.warning("sentinel: upload failed, the next pass retries: %s", exc)
        return shipped
    finally:
        if uploader is None:
            client.close()
