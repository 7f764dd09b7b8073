"""The own test cases of tap.signin.failure-burst."""

from __future__ import annotations

from monitor.records import TapSignIn
from monitor.rules.base import Case, Finding
from monitor.rules.cases._builders import ALICE, BOB, healthy, tap, tap_signin, unavailable
from monitor.thresholds import Thresholds


def _burst(user: str, count: int, first: int = 1) -> list[TapSignIn]:
    """`count` failures a minute apart, ending 20 minutes before NOW."""
    return [
        tap_signin(user, n=first + i, error_code=130504, minutes_ago=20 + count - i) for i in range(count)
    ]


def _counts_the_burst_and_the_success(findings: tuple[Finding, ...]) -> None:
    evidence = findings[0].evidence
    assert (evidence["failures"], evidence["errorCodes"]) == (8, [130504]), evidence
    assert evidence["successAfter"]["createdDateTime"] == "2026-11-20T11:50:00Z", evidence


CASES = (
    Case("passes with no failures", healthy(tap_signins=tap(tap_signin())), "pass"),
    Case("passes with a few mistakes", healthy(tap_signins=tap(*_burst(ALICE, 4))), "pass"),
    Case(
        "passes when the failures are spread over hours",
        healthy(tap_signins=tap(*[tap_signin(n=i, error_code=130504, hours_ago=i) for i in range(1, 9)])),
        "pass",
    ),
    Case(
        "fails on eight failures in ten minutes, and notes the success after them",
        healthy(
            tap_signins=tap(*_burst(ALICE, 8), tap_signin(ALICE, n=50, minutes_ago=10), *_burst(BOB, 2, 60))
        ),
        "fail",
        (ALICE,),
        check=_counts_the_burst_and_the_success,
    ),
    Case(
        "honours a lower count from configuration",
        healthy(tap_signins=tap(*_burst(ALICE, 4))),
        "fail",
        (ALICE,),
        thresholds=Thresholds(tap_failure_burst_count=3),
    ),
    Case(
        "is an error when TAP sign-ins could not be read",
        healthy(tap_signins=unavailable("error", "page 2 of beta/auditLogs/signIns is malformed")),
        "error",
    ),
)
