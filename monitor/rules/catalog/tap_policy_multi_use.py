"""tap.policy.multi-use: a Temporary Access Pass may be used more than once."""

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
    id="tap.policy.multi-use",
    title="Temporary Access Pass can be used more than once",
    severity="medium",
    subject="policy",
    rationale=(
        "A pass that stays usable for its whole lifetime can be replayed by whoever sees it (on a helpdesk "
        "ticket, in chat) until it expires; a one-time pass is spent by the sign-in it was meant for. "
        "Microsoft's TAP guidance (the policy's isUsableOnce) makes one-time use the setting to prefer; the "
        "article 'Using Temporary Access Pass in Azure AD for account access recovery' shows the recovery "
        "flow only needs one sign-in to register new methods."
    ),
    remediation=(
        f"In {POLICY_PORTAL} > Configure, set 'Require one-time use' to Yes. Passes already issued keep "
        "their setting until they expire or are deleted."
    ),
    reads=("tap_policy",),
    references=(TAP_DOC, TAP_POLICY_API),
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
