"""tap.policy.lifetime-too-long: the policy lets a Temporary Access Pass live longer than allowed."""

from __future__ import annotations

from monitor.records import TenantFacts
from monitor.rules.base import Outcome, Rule, failed, passed
from monitor.rules.catalog._tap import (
    POLICY_PORTAL,
    TAP_DOC,
    TAP_POLICY_API,
    TAP_POLICY_ID,
    policy_evidence,
)
from monitor.thresholds import Thresholds

RULE = Rule(
    id="tap.policy.lifetime-too-long",
    title="Temporary Access Pass lifetime is too long",
    severity="medium",
    subject="policy",
    rationale=(
        "A TAP is a time-limited passcode (Microsoft's Temporary Access Pass page); the longer it lives, "
        "the longer a leaked pass opens the account. The portal's default maximum is 8 hours; Graph allows "
        "up to 30 days (43,200 min). The limit is configurable (tap_max_lifetime_hours)."
    ),
    remediation=(
        f"In {POLICY_PORTAL} > Configure, lower 'Maximum lifetime' to the limit or less (and the default "
        "lifetime with it). Recovery needs minutes, not days."
    ),
    reads=("tap_policy",),
    references=(TAP_DOC, TAP_POLICY_API),
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
