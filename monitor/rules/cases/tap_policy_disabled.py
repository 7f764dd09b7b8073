"""The own test cases of tap.policy.disabled."""

from __future__ import annotations

from monitor.records import Readout
from monitor.rules.base import Case, Finding
from monitor.rules.cases._builders import healthy, tap_policy, unavailable
from monitor.rules.catalog._tap import (
    TAP_POLICY_ID,
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
