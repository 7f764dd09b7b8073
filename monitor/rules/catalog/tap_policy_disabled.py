"""tap.policy.disabled: the Temporary Access Pass method is off, so passwordless users cannot recover."""

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
    id="tap.policy.disabled",
    title="Temporary Access Pass is disabled",
    severity="medium",
    subject="policy",
    rationale=(
        "Microsoft's Temporary Access Pass page: to sign in with a Temporary Access Pass it must be enabled "
        "in the authentication methods policy; a pass can be created for any user but only users the policy "
        "targets can sign in with it. In a passwordless tenant a TAP is how a user who forgot their PIN "
        "gets through MFA to reset it (the article 'PIN recovery, Temporary Access Pass, what can go "
        "wrong?'). With the method disabled, such users have no self-service recovery path."
    ),
    remediation=(
        f"In {POLICY_PORTAL}, set Enable to Yes and target the users (or a group) who may need account "
        "recovery; keep 'One-time' on and the maximum lifetime short (8 hours or less)."
    ),
    reads=("tap_policy",),
    references=(TAP_DOC, TAP_POLICY_API),
)


def evaluate(facts: TenantFacts, thresholds: Thresholds) -> Outcome:
    policy = facts.tap_policy.get()
    if policy.enabled:
        targets = ", ".join(policy.include_targets) or "no one"
        return passed(f"Temporary Access Pass is enabled for {targets}")
    return failed(
        [
            RULE.finding(
                TAP_POLICY_ID,
                f"The Temporary Access Pass authentication method is {policy.state}: admins cannot give a "
                "user who lost their authentication methods (or forgot their PIN in a passwordless tenant) "
                "a pass to sign in, register new methods and reset their PIN.",
                policy_evidence(policy),
            )
        ],
        f"Temporary Access Pass is {policy.state}",
    )
