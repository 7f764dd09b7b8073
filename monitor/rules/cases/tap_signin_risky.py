"""The own test cases of tap.signin.risky."""

from __future__ import annotations

from monitor.rules.base import Case, Finding
from monitor.rules.cases._builders import ALICE, BOB, healthy, tap, tap_signin, unavailable


def _explains(findings: tuple[Finding, ...]) -> None:
    (alice, bob) = sorted(findings, key=lambda f: f.subject)
    assert alice.evidence["signIns"][0]["reasons"] == ["risk during sign-in: high"], alice.evidence
    assert bob.evidence["signIns"][0]["reasons"] == ["from NG; before it only from DE"], bob.evidence


CASES = (
    Case("passes with no TAP sign-ins", healthy(), "pass"),
    Case(
        "passes for a TAP sign-in from the usual country without risk",
        healthy(tap_signins=tap(tap_signin())),
        "pass",
    ),
    Case(
        "passes for a first sign-in with no history (a user onboarded with a pass)",
        healthy(tap_signins=tap(tap_signin(country="NG", prior=()))),
        "pass",
    ),
    Case("passes for low risk", healthy(tap_signins=tap(tap_signin(risk="low"))), "pass"),
    Case(
        "fails for high risk and for a new country, one finding per user",
        healthy(tap_signins=tap(tap_signin(ALICE, risk="high"), tap_signin(BOB, n=2, country="NG"))),
        "fail",
        (ALICE, BOB),
        check=_explains,
    ),
    Case(
        "fails on aggregated medium risk",
        healthy(tap_signins=tap(tap_signin(aggregated="medium"))),
        "fail",
        (ALICE,),
    ),
    Case(
        "is skipped without a P1 licence",
        healthy(tap_signins=unavailable("skipped", "licence missing: Entra ID P1 or P2")),
        "skipped",
    ),
)
