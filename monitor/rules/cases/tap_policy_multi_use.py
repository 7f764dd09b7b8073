"""The own test cases of tap.policy.multi-use."""

from __future__ import annotations

from monitor.records import Readout
from monitor.rules.base import Case
from monitor.rules.cases._builders import healthy, tap_policy, unavailable
from monitor.rules.catalog._tap import (
    TAP_POLICY_ID,
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
