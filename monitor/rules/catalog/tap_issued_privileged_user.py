"""tap.issued.privileged-user: a Temporary Access Pass went to a holder of a privileged directory role."""

from __future__ import annotations

from collections import defaultdict

from monitor.records import TapIssuance, TenantFacts
from monitor.rules.base import Outcome, Rule, failed, passed
from monitor.rules.catalog._tap import TAP_DOC
from monitor.rules.evidence import iso
from monitor.thresholds import Thresholds

RULE = Rule(
    id="tap.issued.privileged-user",
    title="Temporary Access Pass issued to a privileged user",
    severity="high",
    subject="user",
    rationale=(
        "A Temporary Access Pass is a complete, MFA-satisfying credential (the article 'Using Temporary "
        "Access Pass in Azure AD for account access recovery': the user is not asked for MFA). Issued to a "
        "Global Administrator or another privileged role holder, it is a way to take over the tenant that "
        "bypasses the admin's own strong methods, whether by a rogue or social-engineered helpdesk or by an "
        "attacker holding an Authentication Administrator role. Every such issuance deserves a second look "
        "(the roles watched are listed in Microsoft Entra's 'Privileged roles and permissions' page)."
    ),
    remediation=(
        "Confirm with the admin, out of band, that they asked for the pass and that the person who issued "
        "it followed the recovery procedure. If not: delete the pass (Entra admin center > Users > the user "
        "> Authentication methods), revoke the user's sessions, review the sign-ins made with it and the "
        "issuer's activity. Prefer a second admin recovering privileged accounts, and restrict who can "
        "issue passes to privileged users (Privileged Authentication Administrator only)."
    ),
    reads=("tap_issuances", "privileged_users"),
    also_reads=("tap_signins",),
    references=(
        TAP_DOC,
        "https://learn.microsoft.com/entra/identity/role-based-access-control/privileged-roles-permissions",
    ),
)


def evaluate(facts: TenantFacts, thresholds: Thresholds) -> Outcome:
    issuances = facts.tap_issuances.get()
    privileged = facts.privileged_users.get()
    by_user: dict[str, list[TapIssuance]] = defaultdict(list)
    for issued in issuances:
        if issued.user_id in privileged:
            by_user[issued.user_id].append(issued)
    if not by_user:
        return passed(f"none of {len(issuances)} TAP issuance(s) went to a holder of a privileged role")
    signins = facts.tap_signins.value if facts.tap_signins.available else None
    findings = []
    for user_id, passes in sorted(by_user.items()):
        roles = privileged[user_id]
        latest = max(passes, key=lambda i: i.issued_at)
        used = [s for s in signins or () if s.user_id == user_id]
        detail = (
            f"{latest.user_principal_name or user_id} holds {', '.join(roles)} and was issued "
            f"{len(passes)} Temporary Access Pass(es); the latest on {iso(latest.issued_at)} by "
            f"{latest.issued_by}"
            + (f", valid {latest.lifetime_minutes} min" if latest.lifetime_minutes else "")
            + (
                ", one-time"
                if latest.usable_once
                else ", usable more than once"
                if latest.usable_once is False
                else ""
            )
            + (f". It was used to sign in {len(used)} time(s)." if signins is not None else ".")
        )
        evidence = {
            "userId": user_id,
            "userPrincipalName": latest.user_principal_name,
            "roles": list(roles),
            "issuances": [i.to_json() for i in passes],
            "tapSignIns": [s.id for s in used] if signins is not None else None,
        }
        findings.append(RULE.finding(user_id, detail, evidence))
    return failed(findings, f"{len(findings)} privileged user(s) were issued a pass")
