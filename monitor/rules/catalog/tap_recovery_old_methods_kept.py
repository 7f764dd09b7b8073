"""tap.recovery.old-methods-kept: after a recovery with a Temporary Access Pass, the user's old methods
are still registered."""

from __future__ import annotations

from datetime import timedelta

from monitor.records import DataProblem, DataUnavailable, TenantFacts
from monitor.rules.base import Outcome, Rule, failed, passed
from monitor.rules.catalog._tap import TAP_DOC
from monitor.rules.evidence import iso
from monitor.thresholds import Thresholds
from monitor.views.recovery import RecoveryChain, method_json, recovery_chains

RULE = Rule(
    id="tap.recovery.old-methods-kept",
    title="Methods from before a Temporary Access Pass recovery are still registered",
    severity="medium",
    subject="user",
    rationale=(
        "Microsoft's Temporary Access Pass guide presents the pass as the way back in for a user who lost "
        "a strong method: sign in with it and register a new one (Microsoft Learn, 'Configure a Temporary "
        "Access Pass in Microsoft Entra ID to register passwordless authentication methods'). The public "
        "article 'Using Temporary Access Pass in Azure AD for account access recovery' adds the last step: "
        "users who update their methods after losing their credentials or device should remove the old "
        "ones. A lost phone or security key that stays registered is a working second factor in whoever's "
        "hands it is now. The audit log ('User registered security info', 'Admin deleted security info') "
        "and the user's current methods show whether that step happened."
    ),
    remediation=(
        "Confirm with the user which of the listed methods they still have, then delete the others: Entra "
        "admin center > Users > the user > Authentication methods (or DELETE the method through Microsoft "
        "Graph). Make removing the lost methods part of the helpdesk's recovery procedure."
    ),
    references=(
        TAP_DOC,
        "https://learn.microsoft.com/entra/identity/authentication/howto-mfa-userdevicesettings",
        "https://learn.microsoft.com/entra/identity/monitoring-health/reference-audit-activities",
        "https://learn.microsoft.com/graph/api/authentication-list-methods",
    ),
    reads=("tap_issuances", "tap_signins", "method_changes", "user_methods"),
    thresholds=("tap_recovery_old_methods_days",),
)


def evaluate(facts: TenantFacts, thresholds: Thresholds) -> Outcome:
    methods = facts.user_methods.get()
    chains = recovery_chains(
        facts.tap_issuances.get(), facts.tap_signins.get(), facts.method_changes.get(), methods
    )
    wait = timedelta(days=thresholds.tap_recovery_old_methods_days)
    recovered = [c for c in chains if c.recovered_at is not None]
    due = [c for c in recovered if c.recovered_at is not None and facts.now - c.recovered_at >= wait]
    unread = sorted({c.user_id for c in due if c.kept_old is None})
    if unread:
        raise DataUnavailable(
            DataProblem(
                "error",
                f"the current methods of {len(unread)} recovered user(s) were not read "
                f"(first: {', '.join(unread[:3])})",
                "v1.0/users/{id}/authentication/methods",
            )
        )
    latest: dict[str, RecoveryChain] = {}
    for chain in due:  # oldest first: a later recovery of the same user replaces an earlier one
        latest[chain.user_id] = chain
    late = [c for c in latest.values() if c.kept_old]
    if not late:
        return passed(
            f"{len(recovered)} recovery(ies) with a pass registered a new method, {len(due)} of them at "
            f"least {thresholds.tap_recovery_old_methods_days} day(s) ago; none of those kept methods from "
            "before the pass"
        )
    findings = []
    for chain in sorted(late, key=lambda c: c.user_id):
        assert chain.recovered_at is not None
        assert chain.kept_old is not None
        user = chain.issuance.user_principal_name or chain.user_id
        days = (facts.now - chain.recovered_at).days
        kept = ", ".join(
            f"{m.kind.removesuffix('AuthenticationMethod')} {m.display_name}".strip() for m in chain.kept_old
        )
        detail = (
            f"{user} recovered with a Temporary Access Pass issued by {chain.issuance.issued_by} and "
            f"registered a new method on {iso(chain.recovered_at)} ({days} day(s) ago), but "
            f"{len(chain.kept_old)} method(s) from before the recovery are still registered: {kept}."
        )
        evidence = {
            "userId": chain.user_id,
            "userPrincipalName": chain.issuance.user_principal_name,
            "issuance": chain.issuance.to_json(),
            "tapSignIns": [chain.signin.id] if chain.signin else [],
            "recoveredDateTime": iso(chain.recovered_at),
            "registered": [{"activityDateTime": iso(c.at), "method": c.method} for c in chain.registered],
            "removed": [{"activityDateTime": iso(c.at), "method": c.method} for c in chain.removed],
            "oldMethodsKept": [method_json(m) for m in chain.kept_old],
        }
        findings.append(RULE.finding(chain.user_id, detail, evidence))
    return failed(findings, f"{len(findings)} user(s) kept methods from before a recovery with a pass")
