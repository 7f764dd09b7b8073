"""The own test cases of signin.pin-reset.failure-spike."""

from __future__ import annotations

from monitor.records import SignInHour
from monitor.rules.base import Case, Finding
from monitor.rules.cases._builders import activity, healthy, hour, unavailable
from monitor.thresholds import Thresholds


def _baseline(per_day: int, days: int = 7, code: int = 53003) -> list[SignInHour]:
    """`per_day` failures each day of the baseline, at midday, plus successes."""
    return [hour(24 * d, code, per_day) for d in range(1, days + 1) if per_day] + [
        hour(24 * d + 2, 0, 20) for d in range(1, days + 1)
    ]


def _spike_evidence(findings: tuple[Finding, ...]) -> None:
    evidence = findings[0].evidence
    assert (evidence["failures"], evidence["baselineFailures"], evidence["expected"]) == (60, 14, 0.5), (
        evidence
    )
    assert evidence["byErrorClass"] == {"policy": 60}, evidence
    assert [h["failures"] for h in evidence["hourly"]] == [0, 0, 20, 20, 20, 0], evidence


CASES = (
    Case("passes on a quiet tenant", healthy(), "pass"),
    Case(
        "passes when 2 failures follow none (below the floor)",
        healthy(pin_reset_hours=activity(*_baseline(0), hour(1, 53003, 2))),
        "pass",
    ),
    Case(
        "fails when 60 failures follow a daily 2",
        healthy(
            pin_reset_hours=activity(
                *_baseline(2), hour(0.5, 53003, 20), hour(1.5, 53003, 20), hour(2.5, 53003, 20)
            )
        ),
        "fail",
        (healthy().tenant.id,),
        check=_spike_evidence,
    ),
    Case(
        "passes when a busy tenant's usual failures continue",
        healthy(pin_reset_hours=activity(*_baseline(96), hour(1, 53003, 20), hour(3, 53003, 4))),
        "pass",
    ),
    Case(
        "does not count the user's own mistakes and MFA interrupts",
        healthy(pin_reset_hours=activity(*_baseline(0), hour(1, 50126, 30), hour(2, 50076, 30))),
        "pass",
    ),
    Case(
        "honours a lower floor from configuration",
        healthy(pin_reset_hours=activity(*_baseline(0), hour(1, 53003, 3))),
        "fail",
        (healthy().tenant.id,),
        thresholds=Thresholds(spike_min_failures=3),
    ),
    Case(
        "is skipped without a P1 licence",
        healthy(pin_reset_hours=unavailable("skipped", "licence missing: Entra ID P1 or P2")),
        "skipped",
    ),
)
