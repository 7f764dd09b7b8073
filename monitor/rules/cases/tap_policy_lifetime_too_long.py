"""The own test cases of tap.policy.lifetime-too-long."""

from __future__ import annotations

from monitor.records import Readout
from monitor.rules.base import Case, Finding
from monitor.rules.cases._builders import healthy, tap_policy, unavailable
from monitor.rules.catalog._tap import (
    TAP_POLICY_ID,
)
from monitor.thresholds import Thresholds


def _quotes_the_limit(findings: tuple[Finding, ...]) -> None:
    assert (findings[0].evidence["maximumLifetimeInMinutes"], findings[0].evidence["limitInMinutes"]) == (
        1440,
        480,
    )


CASES = (
    Case("passes at the portal default of 8 hours", healthy(), "pass"),
    Case(
        "fails at 24 hours",
        healthy(tap_policy=Readout.of(tap_policy(maximum_lifetime_minutes=1440))),
        "fail",
        (TAP_POLICY_ID,),
        check=_quotes_the_limit,
    ),
    Case(
        "passes at 24 hours when the limit is raised to 24",
        healthy(tap_policy=Readout.of(tap_policy(maximum_lifetime_minutes=1440))),
        "pass",
        thresholds=Thresholds(tap_max_lifetime_hours=24),
    ),
    Case(
        "is skipped without permission to read the policy",
        healthy(tap_policy=unavailable("skipped", "permission missing")),
        "skipped",
    ),
)
