"""The own test cases of consent.pin-reset-client.missing."""

from __future__ import annotations

from monitor.rules.base import Case, Finding
from monitor.rules.cases._builders import CLIENT, activity, consent, healthy, hour, unavailable


def _mentions_failures(findings: tuple[Finding, ...]) -> None:
    assert findings[0].evidence["signInFailures"]["failures"] == 2
    assert "2 PIN reset sign-in(s) failing" in findings[0].detail, findings[0].detail


CASES = (
    Case("passes when the client service principal exists", healthy(), "pass"),
    Case(
        "fails when the client service principal is missing",
        healthy(consent=consent(client="missing")),
        "fail",
        (CLIENT,),
    ),
    Case(
        "says how many sign-ins failed because of it",
        healthy(consent=consent(client="missing"), pin_reset_hours=activity(hour(2, 700016, 2))),
        "fail",
        (CLIENT,),
        check=_mentions_failures,
    ),
    Case(
        "is an error when reading service principals failed",
        healthy(consent=unavailable("error", "v1.0/servicePrincipals: Graph answered 500")),
        "error",
    ),
)
