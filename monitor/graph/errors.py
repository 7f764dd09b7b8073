"""Graph failures, sorted into what a person can act on.

A collector catches `GraphReadError` and turns it into a `DataProblem`: `skipped` when the tenant does
not let us read the data (a permission or licence is missing: fixable by an admin, not a bug), `error`
when reading failed (malformed page, a server that kept failing, a query Graph rejected).
"""

from __future__ import annotations

from msgraph.generated.models.o_data_errors.o_data_error import ODataError

from monitor.records import DataProblem, ProblemKind

# Graph's answer when the tenant has no Entra ID P1/P2 and sign-in logs are asked for.
LICENCE_CODES = frozenset({"Authentication_RequestFromNonPremiumTenantOrB2CTenant"})


class GraphReadError(Exception):
    def __init__(self, kind: ProblemKind, reason: str, source: str, status: int | None = None) -> None:
        super().__init__(reason)
        self.kind: ProblemKind = kind
        self.reason = reason
        self.source = source
        self.status = status

    def problem(self) -> DataProblem:
        return DataProblem(self.kind, self.reason, self.source)


class MalformedPage(GraphReadError):
    def __init__(self, source: str, page: int, detail: str) -> None:
        super().__init__("error", f"page {page} of {source} is malformed ({detail})", source)
        self.page = page


def from_odata_error(exc: ODataError, source: str, permission: str) -> GraphReadError:
    """Classify an error answer from Graph for `source`, which needs `permission` to read."""
    status = exc.response_status_code
    code = exc.error.code if exc.error and exc.error.code else ""
    message = exc.error.message if exc.error and exc.error.message else str(exc)
    said = f"Graph answered {status} {code}: {message}".strip()
    if code in LICENCE_CODES:
        return GraphReadError(
            "skipped", f"licence missing: {source} needs Microsoft Entra ID P1 or P2 ({said})", source, status
        )
    # Intune without a licence answers 400 or 403 "Request not applicable to target tenant": the licence
    # is what is missing, whatever the status, so this is asked before "any 403 is a permission".
    if status in (400, 403) and "not applicable to target tenant" in message.lower():
        return GraphReadError(
            "skipped", f"licence missing: {source} needs Microsoft Intune ({said})", source, status
        )
    if status == 403:
        return GraphReadError(
            "skipped", f"permission missing: {source} needs {permission} ({said})", source, status
        )
    if status == 429:
        return GraphReadError(
            "error", f"throttled: {source} still answered 429 after retries ({said})", source, status
        )
    return GraphReadError("error", f"{source}: {said}", source, status)
