"""Each pass's recovery chain lines up issued -> signed in -> new method -> old methods removed."""

from __future__ import annotations

from dataclasses import replace

from monitor.rules.cases._builders import ALICE, BOB, issuance, tap_signin
from monitor.rules.cases.tap_recovery_old_methods_kept import method_change, user_method
from monitor.views.recovery import recovery_chains

NEW_KEY = user_method("fido2", 9.9, "YubiKey", n=1)
OLD_APP = user_method("microsoftAuthenticator", 100, "Pixel 6", n=2)


def test_an_unused_pass_stays_at_issued() -> None:
    (chain,) = recovery_chains([issuance(ALICE, 30)], [], [])
    assert (chain.stage, chain.signin, chain.registered) == ("issued", None, ())


def test_a_failed_sign_in_does_not_count_as_signed_in() -> None:
    (chain,) = recovery_chains([issuance(ALICE, 30)], [tap_signin(ALICE, 29.5, error_code=130504)], [])
    assert (chain.stage, chain.signin) == ("issued", None)


def test_a_registration_after_the_sign_in_makes_the_chain_wait_for_the_old_methods() -> None:
    (chain,) = recovery_chains(
        [issuance(ALICE, 240)],
        [tap_signin(ALICE, 239.5)],
        [method_change(ALICE, 239)],
        {ALICE: (NEW_KEY, OLD_APP)},
    )
    assert chain.stage == "new-method-registered"
    assert chain.kept_old == (OLD_APP,)
    assert chain.to_json()["oldMethodsKept"] == [
        {
            "id": OLD_APP.id,
            "type": "microsoftAuthenticatorAuthenticationMethod",
            "displayName": "Pixel 6",
            "createdDateTime": "2026-08-12T12:00:00Z",
        }
    ]


def test_removing_the_old_methods_completes_the_chain() -> None:
    (chain,) = recovery_chains(
        [issuance(ALICE, 240)],
        [tap_signin(ALICE, 239.5)],
        [method_change(ALICE, 239), method_change(ALICE, 238, "deleted", "Admin deleted Phone", n=2)],
        {ALICE: (NEW_KEY,)},
    )
    assert chain.stage == "old-methods-removed"
    assert [c.audit_id for c in chain.removed] == ["AuthMethods_0002"]


def test_a_registration_before_the_sign_in_or_by_another_user_is_not_part_of_the_chain() -> None:
    (chain,) = recovery_chains(
        [issuance(ALICE, 240)],
        [tap_signin(ALICE, 239.5)],
        [method_change(ALICE, 239.9), method_change(BOB, 239, n=2)],
    )
    assert (chain.stage, chain.registered) == ("signed-in", ())


def test_a_users_next_pass_starts_a_new_chain() -> None:
    first, second = issuance(ALICE, 240, n=1), issuance(ALICE, 48, n=2)
    signin = replace(tap_signin(ALICE, 47.5), issuance=second)
    chains = recovery_chains([second, first], [signin], [method_change(ALICE, 47)])
    assert [(c.issuance.audit_id, c.stage) for c in chains] == [
        ("Directory_0001", "issued"),
        ("Directory_0002", "new-method-registered"),
    ]
