"""tap.policy.lifetime-too-long: the policy lets a Temporary Access Pass live longer than allowed."""

from __future__ import annotations

from monitor.records import Readout, TenantFacts
from monitor.rules.base import Case, Finding, Outcome, Rule, failed, passed
from monitor.rules.cases import healthy, tap_policy, unavailable
from monitor.rules.catalog._tap import (
    POLICY_PORTAL,
    TAP_DOC,
    TAP_POLICY_API,
    TAP_POLICY_ID,
    TAP_SEED,
    policy_evidence,
)
from monitor.thresholds import Thresholds

RULE = Rule(
    id="tap.policy.lifetime-too-long",
    title="Temporary Access Pass lifetime is too long",
    severity="medium",
    subject="policy",
    rationale=(
        "Seed 004: a TAP is a time-limited passcode; the longer it lives, the longer a leaked pass opens "
        "the account. The portal's default maximum is 8 hours (DOMAIN.md); Graph allows up to 30 days. "
        "The limit is configurable (tap_max_lifetime_hours)."
    ),
    remediation=(
        f"In {POLICY_PORTAL} > Configure, lower 'Maximum lifetime' to the limit or less (and the default "
        "lifetime with it). Recovery needs minutes, not days."
    ),
    references=(TAP_DOC, TAP_POLICY_API, TAP_SEED),
    thresholds=("tap_max_lifetime_hours",),
)


def evaluate(facts: TenantFacts, thresholds: Thresholds) -> Outcome:
    policy = facts.tap_policy.get()
    limit = thresholds.tap_max_lifetime_hours * 60
    if not policy.enabled:
        return passed("Temporary Access Pass is disabled")
    longest = policy.maximum_lifetime_minutes
    if longest is None or longest <= limit:
        return passed(f"maximum lifetime {longest} min is within {limit} min")
    evidence = policy_evidence(policy) | {"limitInMinutes": limit}
    return failed(
        [
            RULE.finding(
                TAP_POLICY_ID,
                f"The Temporary Access Pass policy allows passes to live {longest} minutes "
                f"({longest / 60:g} h), above the {limit / 60:g} h limit.",
                evidence,
            )
        ],
        f"maximum lifetime {longest} min exceeds {limit} min",
    )


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
