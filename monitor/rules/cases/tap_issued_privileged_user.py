"""The own test cases of tap.issued.privileged-user."""

from __future__ import annotations

from monitor.records import DataProblem, Readout, RoleHolding
from monitor.rules.base import Case, Finding
from monitor.rules.cases._builders import ALICE, BOB, healthy, issuance, tap, tap_signin, unavailable


def _names_roles_and_use(findings: tuple[Finding, ...]) -> None:
    evidence = findings[0].evidence
    assert evidence["roles"] == [{"role": "Global Administrator", "how": "direct"}], evidence
    assert evidence["tapSignIns"] == ["7a900000-0000-4000-8000-000000000001"], evidence
    assert "holds Global Administrator (direct)" in findings[0].detail
    assert "used to sign in 1 time(s)" in findings[0].detail


def _says_how_each_role_is_held(findings: tuple[Finding, ...]) -> None:
    hows = {f.subject: [r["how"] for r in f.evidence["roles"]] for f in findings}
    assert hows == {
        ALICE: ["eligible"],
        BOB: ["through group Tier 0 admins", "active through PIM"],
    }, hows


GLOBAL_ADMIN = Readout.of({ALICE: (RoleHolding("Global Administrator", "direct"),)})
PIM_AND_GROUP = Readout.of(
    {
        ALICE: (RoleHolding("Global Administrator", "eligible"),),
        BOB: (
            RoleHolding("Authentication Administrator", "through group Tier 0 admins"),
            RoleHolding("Privileged Role Administrator", "active through PIM"),
        ),
    }
)
PIM_UNREAD = (
    DataProblem(
        "skipped",
        "licence missing: v1.0/roleManagement/directory/roleEligibilityScheduleInstances needs P2",
        "v1.0/roleManagement/directory/roleEligibilityScheduleInstances",
    ),
)

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
        "fails for PIM-eligible, activated and group-held roles, saying how each is held",
        healthy(
            tap_issuances=Readout.of((issuance(ALICE), issuance(BOB, n=2))),
            privileged_users=PIM_AND_GROUP,
        ),
        "fail",
        (ALICE, BOB),
        check=_says_how_each_role_is_held,
    ),
    Case(
        "passes, saying it saw only active roles, when PIM could not be read",
        healthy(
            tap_issuances=Readout.of((issuance(BOB),)),
            privileged_users=GLOBAL_ADMIN,
            privileged_users_unread=PIM_UNREAD,
        ),
        "pass",
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
