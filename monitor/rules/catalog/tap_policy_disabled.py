"""tap.policy.disabled: the Temporary Access Pass method is off, so passwordless users cannot recover."""

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
    id="tap.policy.disabled",
    title="Temporary Access Pass is disabled",
    severity="medium",
    subject="policy",
    rationale=(
        "Seed 004: to sign in with a Temporary Access Pass it must be enabled in the authentication methods "
        "policy; a pass can be created for any user but only users the policy targets can sign in with it. "
        "Seed 000: in a passwordless tenant a TAP is how a user who forgot their PIN gets through MFA to "
        "reset it. With the method disabled, such users have no self-service recovery path."
    ),
    remediation=(
        f"In {POLICY_PORTAL}, set Enable to Yes and target the users (or a group) who may need account "
        "recovery; keep 'One-time' on and the maximum lifetime short (8 hours or less)."
    ),
    references=(TAP_DOC, TAP_POLICY_API, TAP_SEED),
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


def _names_the_state(findings: tuple[Finding, ...]) -> None:
    assert findings[0].evidence["state"] == "disabled"
    assert findings[0].evidence["policyId"] == "TemporaryAccessPass"


CASES = (
    Case("passes when the method is enabled", healthy(), "pass"),
    Case(
        "fails when the method is disabled",
        healthy(tap_policy=Readout.of(tap_policy(state="disabled"))),
        "fail",
        (TAP_POLICY_ID,),
        check=_names_the_state,
    ),
    Case(
        "is skipped without Policy.Read.AuthenticationMethod",
        healthy(tap_policy=unavailable("skipped", "permission missing: Policy.Read.AuthenticationMethod")),
        "skipped",
    ),
)
