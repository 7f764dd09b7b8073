"""The recovery chain of each Temporary Access Pass: issued, signed in with it, new method registered,
old methods removed.

Account recovery with a pass (Microsoft's Temporary Access Pass guide; the public article "Using
Temporary Access Pass in Azure AD for account access recovery"): an admin issues a pass to a user who lost
their methods, the user signs in with it and registers a new method, and the lost methods are removed.
This module lines the four steps up from what a pass reads (issuances, TAP sign-ins, method
registrations and removals, users' current methods); it does no I/O.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Literal

from monitor.records import MethodChange, TapIssuance, TapSignIn, UserMethod
from monitor.rules.evidence import iso

RecoveryStage = Literal["issued", "signed-in", "new-method-registered", "old-methods-removed"]
STAGES: tuple[RecoveryStage, ...] = ("issued", "signed-in", "new-method-registered", "old-methods-removed")

# Methods that are never "lost", so never need removing after a recovery.
NOT_RECOVERABLE_KINDS = frozenset({"passwordAuthenticationMethod", "temporaryAccessPassAuthenticationMethod"})
# Words the audit's resultReason uses for each method type, to tell whether a method Graph gives no
# creation time for (phone, email) is one the recovery registered.
_KIND_WORDS: Mapping[str, tuple[str, ...]] = {
    "phoneAuthenticationMethod": ("phone", "sms", "voice"),
    "emailAuthenticationMethod": ("email",),
    "fido2AuthenticationMethod": ("fido", "passkey", "security key"),
    "microsoftAuthenticatorAuthenticationMethod": ("authenticator",),
    "softwareOathAuthenticationMethod": ("oath", "software token"),
    "windowsHelloForBusinessAuthenticationMethod": ("windows hello",),
    "platformCredentialAuthenticationMethod": ("platform credential",),
}


@dataclass(frozen=True)
class RecoveryChain:
    issuance: TapIssuance
    signin: TapSignIn | None  # the first successful sign-in made with the pass
    registered: tuple[MethodChange, ...]  # methods registered after that sign-in
    removed: tuple[MethodChange, ...]  # methods deleted after it
    # Methods the user still has that were there before the pass; None when they were not read.
    kept_old: tuple[UserMethod, ...] | None = None
    # When the user's current methods (kept_old) were read: this pass, or an earlier one whose answer no
    # audit since then can have changed. None when they were not read.
    methods_read_at: datetime | None = None

    @property
    def user_id(self) -> str:
        return self.issuance.user_id

    @property
    def recovered_at(self) -> datetime | None:
        """When the recovery registered its first new method."""
        return self.registered[0].at if self.registered else None

    @property
    def stage(self) -> RecoveryStage:
        if self.signin is None:
            return "issued"
        if not self.registered:
            return "signed-in"
        done = not self.kept_old if self.kept_old is not None else bool(self.removed)
        return "old-methods-removed" if done else "new-method-registered"

    def to_json(self) -> dict[str, Any]:
        return {
            "stage": self.stage,
            "userId": self.user_id,
            "userPrincipalName": self.issuance.user_principal_name,
            "issued": {
                "auditId": self.issuance.audit_id,
                "issuedDateTime": iso(self.issuance.issued_at),
                "issuedBy": self.issuance.issued_by,
            },
            "signedIn": {"id": self.signin.id, "createdDateTime": iso(self.signin.created)}
            if self.signin
            else None,
            "registered": [_change_json(c) for c in self.registered],
            "removed": [_change_json(c) for c in self.removed],
            "oldMethodsKept": [method_json(m) for m in self.kept_old] if self.kept_old is not None else None,
            "methodsReadAt": iso(self.methods_read_at) if self.methods_read_at else None,
        }


def _change_json(change: MethodChange) -> dict[str, Any]:
    return {
        "auditId": change.audit_id,
        "activityDateTime": iso(change.at),
        "method": change.method,
        "byAdmin": change.by_admin,
        "initiatedBy": change.initiated_by,
    }


def method_json(method: UserMethod) -> dict[str, Any]:
    return {
        "id": method.id,
        "type": method.kind,
        "displayName": method.display_name,
        "createdDateTime": iso(method.created) if method.created else None,
    }


def registered_by(method: UserMethod, changes: Iterable[MethodChange]) -> bool:
    """Whether one of these registrations names this method's type."""
    words = _KIND_WORDS.get(method.kind, ())
    return any(word in change.method.lower() for change in changes for word in words)


def methods_from_before(
    methods: Iterable[UserMethod], issued_at: datetime, registered: Sequence[MethodChange]
) -> tuple[UserMethod, ...]:
    """The methods that were there before the pass was issued: created before it, or (no creation time,
    as for phone and email methods) of a type the recovery did not register. Passwords and passes are
    never lost methods."""
    old = []
    for method in methods:
        if method.kind in NOT_RECOVERABLE_KINDS:
            continue
        if method.created is not None:
            if method.created < issued_at:
                old.append(method)
        elif not registered_by(method, registered):
            old.append(method)
    return tuple(old)


def recovery_chains(
    issuances: Iterable[TapIssuance],
    signins: Iterable[TapSignIn],
    changes: Iterable[MethodChange],
    user_methods: Mapping[str, Sequence[UserMethod]] | None = None,
    methods_read_at: Mapping[str, datetime] | None = None,
) -> tuple[RecoveryChain, ...]:
    """One chain per issuance, oldest first. A pass's steps end where the user's next pass begins."""
    by_user: dict[str, list[TapIssuance]] = defaultdict(list)
    for issued in issuances:
        by_user[issued.user_id].append(issued)
    successes: dict[str, list[TapSignIn]] = defaultdict(list)
    for signin in sorted(signins, key=lambda s: (s.created, s.id)):
        if signin.succeeded:
            successes[signin.user_id].append(signin)
    user_changes: dict[str, list[MethodChange]] = defaultdict(list)
    for change in sorted(changes, key=lambda c: (c.at, c.audit_id)):
        user_changes[change.user_id].append(change)

    chains: list[RecoveryChain] = []
    for user_id, passes in by_user.items():
        passes.sort(key=lambda i: (i.issued_at, i.audit_id))
        for n, issued in enumerate(passes):
            until = passes[n + 1].issued_at if n + 1 < len(passes) else None
            first = _first_signin(issued, successes[user_id], until)
            registered: tuple[MethodChange, ...] = ()
            removed: tuple[MethodChange, ...] = ()
            if first is not None:
                after = [
                    c
                    for c in user_changes[user_id]
                    if c.at >= first.created and (until is None or c.at < until)
                ]
                registered = tuple(c for c in after if c.action == "registered")
                removed = tuple(c for c in after if c.action == "deleted")
            kept = None
            read_at = None
            if registered and user_methods is not None and user_id in user_methods:
                kept = methods_from_before(user_methods[user_id], issued.issued_at, registered)
                read_at = (methods_read_at or {}).get(user_id)
            chains.append(RecoveryChain(issued, first, registered, removed, kept, read_at))
    return tuple(sorted(chains, key=lambda c: (c.issuance.issued_at, c.issuance.audit_id)))


def _first_signin(
    issued: TapIssuance, signins: Sequence[TapSignIn], until: datetime | None
) -> TapSignIn | None:
    """The first successful sign-in made with this pass: one tied to it, or else the user's first one
    tied to no pass, after this one was issued and before their next."""
    tied = [s for s in signins if s.issuance is not None and s.issuance.audit_id == issued.audit_id]
    if tied:
        return tied[0]
    return next(
        (
            s
            for s in signins
            if s.issuance is None and s.created >= issued.issued_at and (until is None or s.created < until)
        ),
        None,
    )


def users_to_check(chains: Iterable[RecoveryChain]) -> set[str]:
    """Users whose current methods tell whether their recovery finished: those who registered one."""
    return {c.user_id for c in chains if c.registered}
