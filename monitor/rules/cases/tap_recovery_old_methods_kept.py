"""The own test cases of tap.recovery.old-methods-kept: a recovery with a pass, 10 or 2 days ago, and
what the user has left afterwards."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from monitor.records import MethodAction, MethodChange, Readout, UserMethod
from monitor.rules.base import Case, Finding
from monitor.rules.cases._builders import ALICE, BOB, NOW, healthy, issuance, tap, tap_signin, unavailable
from monitor.thresholds import Thresholds


def method_change(
    user_id: str = ALICE,
    hours_ago: float = 239,
    action: MethodAction = "registered",
    method: str = "User registered Fido2 Security Key",
    n: int = 1,
) -> MethodChange:
    """A "User registered security info" (or deleted) audit `hours_ago` before NOW, as kept."""
    return MethodChange(
        audit_id=f"AuthMethods_{n:04d}",
        at=NOW - timedelta(hours=hours_ago),
        user_id=user_id,
        user_principal_name=f"{user_id[:5]}@contoso.com",
        action=action,
        by_admin=method.startswith("Admin"),
        method=method,
        initiated_by=f"{user_id[:5]}@contoso.com",
    )


def user_method(kind: str, days_ago: float | None, name: str = "", n: int = 1) -> UserMethod:
    created = NOW - timedelta(days=days_ago) if days_ago is not None else None
    return UserMethod(f"3179e48a-0000-4000-8000-{n:012d}", f"{kind}AuthenticationMethod", name, created)


def recovery(days_ago: float, *methods: UserMethod, removed: bool = False, **changes: Any) -> Any:
    """ALICE got a pass `days_ago`, signed in with it half an hour later and registered a security key."""
    hours = days_ago * 24
    audits = [method_change(hours_ago=hours - 1)]
    if removed:
        audits.append(method_change(hours_ago=hours - 2, action="deleted", method="Admin deleted Phone", n=2))
    facts = {
        "tap_issuances": Readout.of((issuance(ALICE, hours),)),
        "tap_signins": tap(tap_signin(ALICE, hours - 0.5)),
        "method_changes": Readout.of(tuple(audits)),
        "user_methods": Readout.of({ALICE: methods}),
    } | changes
    return healthy(**facts)


NEW_KEY = user_method("fido2", 9.9, "YubiKey 5 NFC", n=1)
PASSWORD = user_method("password", 400, n=2)
OLD_APP = user_method("microsoftAuthenticator", 100, "Pixel 6", n=3)
OLD_PHONE = user_method("phone", None, "mobile", n=4)


def _names_the_kept_methods(findings: tuple[Finding, ...]) -> None:
    evidence = findings[0].evidence
    kept = [(m["type"], m["displayName"]) for m in evidence["oldMethodsKept"]]
    assert kept == [
        ("microsoftAuthenticatorAuthenticationMethod", "Pixel 6"),
        ("phoneAuthenticationMethod", "mobile"),
    ], kept
    assert evidence["recoveredDateTime"] == "2026-11-10T13:00:00Z", evidence
    assert evidence["tapSignIns"] == ["7a900000-0000-4000-8000-000000000001"], evidence
    assert "2 method(s) from before the recovery" in findings[0].detail, findings[0].detail


# The generated "skipped when a fact cannot be read" cases start from a recovery that fails.
BASE = recovery(10, NEW_KEY, PASSWORD, OLD_APP, OLD_PHONE)

CASES = (
    Case(
        "passes when no pass was issued",
        healthy(method_changes=Readout.of(()), user_methods=Readout.of({})),
        "pass",
    ),
    Case(
        "passes when the old methods were removed after the recovery",
        recovery(10, NEW_KEY, PASSWORD, removed=True),
        "pass",
    ),
    Case(
        "passes when the user signed in with the pass but registered nothing",
        recovery(10, OLD_APP, method_changes=Readout.of(())),
        "pass",
    ),
    Case(
        "passes while the recovery is younger than the configured days",
        recovery(2, NEW_KEY, OLD_APP),
        "pass",
    ),
    Case(
        "fails for an old authenticator app and a phone kept 10 days after the recovery",
        recovery(10, NEW_KEY, PASSWORD, OLD_APP, OLD_PHONE),
        "fail",
        (ALICE,),
        check=_names_the_kept_methods,
    ),
    Case(
        "fails for a 2-day-old recovery when the limit is 1 day",
        recovery(2, NEW_KEY, OLD_APP),
        "fail",
        (ALICE,),
        thresholds=Thresholds(tap_recovery_old_methods_days=1),
    ),
    Case(
        "passes for a phone the recovery itself registered (Graph gives phones no creation time)",
        recovery(
            10,
            OLD_PHONE,
            method_changes=Readout.of((method_change(hours_ago=239, method="User registered Phone"),)),
        ),
        "pass",
    ),
    Case(
        "is skipped without UserAuthenticationMethod.Read.All",
        recovery(
            10,
            user_methods=unavailable(
                "skipped",
                "permission missing: authentication/methods needs UserAuthenticationMethod.Read.All",
            ),
        ),
        "skipped",
    ),
    Case(
        "is skipped when the audit log cannot be read",
        recovery(10, method_changes=unavailable("skipped", "permission missing: AuditLog.Read.All")),
        "skipped",
    ),
    Case(
        "reports an error when a recovered user's methods were not read",
        recovery(10, user_methods=Readout.of({BOB: ()})),
        "error",
    ),
)
