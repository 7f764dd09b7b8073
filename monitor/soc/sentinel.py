"""Microsoft Sentinel / Log Analytics, optional: each pass ships its TAP sign-in rows (with the pass,
the verdicts and the recovery chain) and its findings to two custom tables through the Logs Ingestion
API (Microsoft Learn: "Logs Ingestion API in Azure Monitor").

Idempotent: every row has a stable `RowId` (a digest of what it is about) and a `ContentHash` (a digest of
what it says). The hash last uploaded for each row is kept in Table Storage (`sentineluploads`), and a
pass uploads only rows whose hash changed, recording them only after the call succeeded (a retried
upload sends the same RowId and ContentHash, so a query can drop the copy). Calls stay within the API's
limits: a body of at most 1 MB, and no string longer than MAX_TEXT characters.

The upload goes through `azure-monitor-ingestion`'s LogsIngestionClient when that package is installed,
imported only when the option is on; without it, through `RestUploader` here: the same documented REST
call (POST {endpoint}/dataCollectionRules/{immutableId}/streams/{stream}?api-version=2023-01-01, a JSON
array) with a token for https://monitor.azure.com//.default from azure-identity.
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Protocol

import orjson

from monitor.store.base import StoredFinding

log = logging.getLogger(__name__)
API_VERSION = "2023-01-01"
SCOPE = "https://monitor.azure.com//.default"
MAX_BODY = 1_000_000  # the API takes 1 MB per call; stay under it
MAX_TEXT = 32_000  # Log Analytics keeps 32 KB of a string column; a longer one is cut
SIGNIN_TABLE = "TapSignInReview_CL"
FINDING_TABLE = "MonitorFinding_CL"

Row = dict[str, Any]


def _digest(*parts: str) -> str:
    return hashlib.sha256("\x1f".join(parts).encode()).hexdigest()[:32]


def _text(value: Any) -> str | None:
    if value is None:
        return None
    text = str(value)
    return text if len(text) <= MAX_TEXT else text[: MAX_TEXT - 1] + "…"


def _dynamic(value: Any) -> Any:
    """A JSON value for a dynamic column, cut to a summary if it would not fit in one."""
    if len(orjson.dumps(value)) <= MAX_TEXT:
        return value
    return {"truncated": True, "note": "larger than Log Analytics keeps in one column"}


def _hashed(row: Row) -> Row:
    content = {k: v for k, v in row.items() if k != "ContentHash"}
    return row | {
        "ContentHash": hashlib.sha256(orjson.dumps(content, option=orjson.OPT_SORT_KEYS)).hexdigest()[:32]
    }


def signin_row(tenant_id: str, row: Mapping[str, Any]) -> Row:
    """One TapSignInReview_CL row from the SOC view's row (monitor.views.tap_signins.row_json)."""
    issuance = row.get("issuance") or {}
    review = row.get("review") or {}
    recovery = row.get("recovery")
    latest = (review.get("history") or [{}])[-1]
    return _hashed(
        {
            "TimeGenerated": row["createdDateTime"],
            "RowId": _digest("signin", tenant_id, str(row["id"])),
            "EntraTenantId": tenant_id,
            "SignInId": _text(row["id"]),
            "UserPrincipalName": _text(row.get("userPrincipalName")),
            "UserId": _text(row.get("userId")),
            "Succeeded": bool(row.get("succeeded")),
            "ErrorCode": int(row.get("errorCode") or 0),
            "IPAddress": _text(row.get("ipAddress")),
            "City": _text(row.get("city")),
            "CountryOrRegion": _text(row.get("countryOrRegion")),
            "DeviceId": _text(row.get("deviceId")),
            "DeviceName": _text(row.get("deviceName")),
            "RiskLevel": _text(row.get("riskLevel")),
            "RiskLevelAggregated": _text(row.get("riskLevelAggregated")),
            "IssuedBy": _text(issuance.get("issuedBy")),
            "IssuedDateTime": issuance.get("issuedDateTime"),
            "LifetimeInMinutes": issuance.get("lifetimeInMinutes"),
            "IsUsableOnce": issuance.get("isUsableOnce"),
            "Rules": _dynamic(list(row.get("rules", []))),
            "Flagged": bool(row.get("flagged")),
            "RecoveryStage": _text((recovery or {}).get("stage")),
            "Recovery": _dynamic(recovery),
            "ReviewState": _text(review.get("state", "new")),
            "Classification": _text(latest.get("classification")),
            "Reviewer": _text(review.get("reviewer")),
            "ReviewedDateTime": review.get("reviewedDateTime"),
            "ReviewNote": _text(review.get("note")),
            "ReviewHistory": _dynamic(list(review.get("history", []))),
        }
    )


def finding_row(tenant_id: str, finding: StoredFinding) -> Row:
    """One MonitorFinding_CL row from a findings-ledger entry: its state as of its last change (when it
    opened, or resolved), so a finding that merely stays open is not uploaded again every pass."""
    from monitor.rules.evidence import iso

    return _hashed(
        {
            "TimeGenerated": iso(finding.resolved_at or finding.first_seen),
            "RowId": _digest("finding", tenant_id, finding.rule, finding.subject),
            "EntraTenantId": tenant_id,
            "Rule": finding.rule,
            "Subject": _text(finding.subject),
            "Severity": finding.severity,
            "Title": _text(finding.title),
            "Detail": _text(finding.detail),
            "Status": finding.status,
            "FirstSeen": iso(finding.first_seen),
            "TimesSeen": finding.times_seen,
            "ResolvedAt": iso(finding.resolved_at) if finding.resolved_at else None,
            "Evidence": _dynamic(dict(finding.evidence)),
        }
    )


def batches(rows: Sequence[Row], limit: int = MAX_BODY) -> Iterator[list[Row]]:
    """Rows in calls whose JSON array body stays within `limit` bytes."""
    batch: list[Row] = []
    size = 2
    for row in rows:
        length = len(orjson.dumps(row)) + 1
        if batch and size + length > limit:
            yield batch
            batch, size = [], 2
        batch.append(row)
        size += length
    if batch:
        yield batch


class Uploader(Protocol):
    def upload(self, stream: str, rows: list[Row]) -> None: ...

    def close(self) -> None: ...


class UploadError(Exception):
    """The Logs Ingestion API refused or could not take a call; the message says which and why."""


class RestUploader:
    """The Logs Ingestion REST call, with a bearer token for Azure Monitor from an azure-identity
    credential (anything with get_token)."""

    def __init__(self, endpoint: str, dcr_id: str, credential: Any, timeout: float = 30.0) -> None:
        import httpx

        self._endpoint = endpoint.rstrip("/")
        self._dcr = dcr_id
        self._credential = credential
        self._http = httpx.Client(timeout=timeout)

    def upload(self, stream: str, rows: list[Row]) -> None:
        import httpx

        body = orjson.dumps(rows)
        if len(body) > MAX_BODY:
            raise UploadError(f"stream {stream}: a call of {len(body)} bytes is over the 1 MB limit")
        token = self._credential.get_token(SCOPE).token
        url = f"{self._endpoint}/dataCollectionRules/{self._dcr}/streams/{stream}"
        try:
            answer = self._http.post(
                url,
                params={"api-version": API_VERSION},
                content=body,
                headers={"Authorization": f"Bearer {token}", "Content-Type": "application/json"},
            )
        except httpx.HTTPError as exc:
            raise UploadError(f"stream {stream}: {type(exc).__name__}") from exc
        if answer.status_code != 204:
            said = answer.text[:300].replace("\n", " ")
            raise UploadError(f"stream {stream}: HTTP {answer.status_code} {said}")

    def close(self) -> None:
        self._http.close()


class SdkUploader:
    """azure-monitor-ingestion's LogsIngestionClient (it splits and compresses calls itself)."""

    def __init__(self, endpoint: str, dcr_id: str, credential: Any) -> None:
        from azure.monitor.ingestion import LogsIngestionClient  # type: ignore[import-untyped,import-not-found,unused-ignore]

        self._client = LogsIngestionClient(endpoint=endpoint, credential=credential)
        self._dcr = dcr_id

    def upload(self, stream: str, rows: list[Row]) -> None:
        from azure.core.exceptions import HttpResponseError

        try:
            self._client.upload(rule_id=self._dcr, stream_name=stream, logs=rows)
        except HttpResponseError as exc:
            raise UploadError(f"stream {stream}: HTTP {exc.status_code} {exc.reason}") from exc

    def close(self) -> None:
        self._client.close()


def open_uploader(endpoint: str, dcr_id: str, credential: Any) -> Uploader:
    """The SDK's client when azure-monitor-ingestion is installed, else our REST call."""
    try:
        return SdkUploader(endpoint, dcr_id, credential)
    except ImportError:
        return RestUploader(endpoint, dcr_id, credential)


class UploadLedger(Protocol):
    def uploaded(self, tenant_id: str, stream: str) -> dict[str, str]:
        """RowId -> ContentHash last uploaded."""
        ...

    def record(self, tenant_id: str, stream: str, rows: Mapping[str, str]) -> None: ...


@dataclass(frozen=True)
class Shipped:
    stream: str
    rows: int  # rows of the pass
    uploaded: int  # of them, changed since the last upload and sent
    calls: int


def ship(
    uploader: Uploader, ledger: UploadLedger, tenant_id: str, stream: str, rows: Sequence[Row]
) -> Shipped:
    """Upload the rows that changed since their last upload; record each call's rows once it succeeded."""
    before = ledger.uploaded(tenant_id, stream)
    changed = [r for r in rows if before.get(r["RowId"]) != r["ContentHash"]]
    calls = 0
    for batch in batches(changed):
        uploader.upload(stream, batch)
        calls += 1
        ledger.record(tenant_id, stream, {r["RowId"]: r["ContentHash"] for r in batch})
    log.info("sentinel: stream=%s rows=%d uploaded=%d calls=%d", stream, len(rows), len(changed), calls)
    return Shipped(stream, len(rows), len(changed), calls)
