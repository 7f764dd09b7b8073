"""tap.policy.multi-use: a Temporary Access Pass may be used more than once."""

from __future__ import annotations

from monitor.records import Readout, TenantFacts
from monitor.rules.base import Case, Outcome, Rule, failed, passed
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
    id="tap.policy.multi-use",
    title="Temporary Access Pass can be used more than once",
    severity="medium",
    subject="policy",
    rationale=(
        "A pass that stays usable for its whole lifetime can be replayed by whoever sees it (on a helpdesk "
        "ticket, in chat) until it expires; a one-time pass is spent by the sign-in it was meant for. "
        "Microsoft's TAP guidance (and DOMAIN.md: isUsableOnce) make one-time use the setting to prefer; "
        "seed 004 shows the recovery flow only needs one sign-in to register new methods."
    ),
    remediation=(
        f"In {POLICY_PORTAL} > Configure, set 'Require one-time use' to Yes. Passes already issued keep "
        "their setting until they expire or are deleted."
    ),
    references=(TAP_DOC, TAP_POLICY_API, TAP_SEED),
)


def evaluate(facts: TenantFacts, thresholds: Thresholds) -> Outcome:
    policy = facts.tap_policy.get()
    if not policy.enabled:
        return passed("Temporary Access Pass is disabled: no pass can be used at all")
    if policy.is_usable_once is not False:
        return passed("passes are one-time by default")
    return failed(
        [
            RULE.finding(
                TAP_POLICY_ID,
                "The Temporary Access Pass policy issues passes that can be used any number of times until "
                f"they expire (up to {policy.maximum_lifetime_minutes} minutes): a pass seen by anyone else "
                "can be replayed.",
                policy_evidence(policy),
            )
        ],
        "isUsableOnce is false",
    )


CASES = (
    Case("passes when passes are one-time", healthy(), "pass"),
    Case(
        "fails when passes are multi-use",
        healthy(tap_policy=Readout.of(tap_policy(is_usable_once=False))),
        "fail",
        (TAP_POLICY_ID,),
    ),
    Case(
        "passes when the method is disabled (nothing to replay)",
        healthy(tap_policy=Readout.of(tap_policy(state="disabled", is_usable_once=False))),
        "pass",
    ),
    Case(
        "is an error when the policy could not be read",
        healthy(tap_policy=unavailable("error", "policy: Graph answered 500")),
        "error",
    ),
)
