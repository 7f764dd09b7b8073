"""A rule that could check only part of what it promises says so in its reason, and never simply passes."""

from __future__ import annotations

from monitor.records import DataProblem, Readout, RoleHolding
from monitor.rules import load_catalog, run_rule
from monitor.rules.cases._builders import ALICE, BOB, healthy, issuance, tap, tap_signin
from monitor.rules.cases._intune import device, devices, policies
from monitor.thresholds import Thresholds


def result_of(rule_id: str, **facts: object) -> tuple[str, str]:
    (entry,) = [e for e in load_catalog() if e.rule.id == rule_id]
    result = run_rule(entry, healthy(**facts), Thresholds())
    return result.status, result.reason


def test_hidden_risk_says_only_the_new_country_check_ran() -> None:
    hidden = tap(
        tap_signin(risk="hidden", aggregated="hidden"),
        tap_signin(BOB, n=2, risk="hidden", aggregated="hidden"),
    )
    assert result_of("tap.signin.risky", tap_signins=hidden) == (
        "pass",
        "2 TAP sign-in(s), none from a new country; their risk is hidden (risk levels need Microsoft "
        "Entra ID P2), so only the new-country check ran",
    )


def test_partly_hidden_risk_counts_the_sign_ins_judged_by_country_only() -> None:
    mixed = tap(tap_signin(risk="hidden", aggregated="hidden"), tap_signin(BOB, n=2))
    assert result_of("tap.signin.risky", tap_signins=mixed) == (
        "pass",
        "2 TAP sign-in(s), none from a new country; the risk of 1 of them is hidden, so only the "
        "new-country check ran for those",
    )


def test_privileged_users_without_pim_say_what_was_not_read() -> None:
    source = "v1.0/roleManagement/directory/roleEligibilityScheduleInstances"
    assert result_of(
        "tap.issued.privileged-user",
        tap_issuances=Readout.of((issuance(BOB),)),
        privileged_users=Readout.of({ALICE: (RoleHolding("Global Administrator", "direct"),)}),
        privileged_users_unread=(DataProblem("skipped", "licence missing", source),),
    ) == (
        "pass",
        "none of 1 TAP issuance(s) went to a holder of a privileged role (active, PIM-eligible, "
        f"activated or through a group); only part of the privileged users could be checked: {source} "
        "could not be read (PIM needs Microsoft Entra ID P2), so PIM-eligible or group-held roles may be "
        "missed",
    )


def test_hybrid_only_devices_are_skipped_because_group_policy_is_invisible_to_graph() -> None:
    status, reason = result_of(
        "policy.pin-recovery.not-configured",
        windows_devices=devices(device(1, join_type="hybridAzureADJoined")),
        device_policies=policies(),
    )
    assert status == "skipped"
    assert reason.startswith("all 1 active Windows device(s) are hybrid joined and no Intune policy enables")
    assert "Group Policy cannot be read through Graph" in reason
    assert reason.endswith(
        "dsregcmd /status shows CanReset : DestructiveAndNonDestructive when PIN recovery is on"
    )
