"""The own test cases of tap.issued.privileged-user."""

from __future__ import annotations

from monitor.records import Readout
from monitor.rules.base import Case, Finding
from monitor.rules.cases._builders import ALICE, BOB, healthy, issuance, tap, tap_signin, unavailable


def _names_roles_and_use(findings: tuple[Finding, ...]) -> None:
    evidence = findings[0].evidence
    assert evidence["roles"] == ["Global Administrator"], evidence
    assert evidence["tapSignIns"] == ["7a900000-0000-4000-8000-000000000001"], evidence
    assert "Global Administrator" in findings[0].detail
    assert "used to sign in 1 time(s)" in findings[0].detail


GLOBAL_ADMIN = Readout.of({ALICE: ("Global Administrator",)})

CASES = (
    Case("passes when no pass was issued", healthy(privileged_users=GLOBAL_ADMIN), "pass"),
    Case(
        "passes when passes went to ordinary users",
        healthy(tap_issuances=Readout.of((issuance(BOB),)), privileged_users=GLOBAL_ADMIN),
        "pass",
    ),
    Case(
        "fails for a pass issued to a Global Administrator, and says whether it was used",
        healthy(
            tap_issuances=Readout.of((issuance(ALICE), issuance(BOB, n=2))),
            privileged_users=GLOBAL_ADMIN,
            tap_signins=tap(tap_signin(ALICE)),
        ),
        "fail",
        (ALICE,),
        check=_names_roles_and_use,
    ),
    Case(
        "is skipped without RoleManagement.Read.Directory",
        healthy(
            tap_issuances=Readout.of((issuance(ALICE),)),
            privileged_users=unavailable("skipped", "permission missing: RoleManagement.Read.Directory"),
        ),
        "skipped",
    ),
    Case(
        "is skipped when the audit log cannot be read",
        healthy(tap_issuances=unavailable("skipped", "permission missing: AuditLog.Read.All")),
        "skipped",
    ),
)
