"""tap.signin.risky: a sign-in with a Temporary Access Pass was risky or came from a new country."""

from __future__ import annotations

from collections import defaultdict

from monitor.records import TapSignIn, TenantFacts
from monitor.rules.base import Outcome, Rule, failed, passed
from monitor.rules.catalog._tap import TAP_DOC
from monitor.thresholds import Thresholds

RISKY_LEVELS = frozenset({"medium", "high"})

RULE = Rule(
    id="tap.signin.risky",
    title="Risky sign-in with a Temporary Access Pass",
    severity="high",
    subject="user",
    rationale=(
        "A TAP sign-in lets the holder register new authentication methods (the article 'Using Temporary "
        "Access Pass in Azure AD for account access recovery'): if someone other than the user holds the "
        "pass, the account is theirs from then on. A pass used in a sign-in that Entra ID Protection rates "
        "medium or high risk, or from a country the user has not signed in from in the weeks before, is the "
        "pattern of a pass that reached the wrong person."
    ),
    remediation=(
        "Contact the user out of band and confirm the sign-in. If it was not them: delete the pass, revoke "
        "sessions, remove any authentication method registered with it (Entra admin center > Users > the "
        "user > Authentication methods; the audit log shows 'User registered security info'), and find out "
        "how the pass leaked. If it was them (travel), confirm the risk as safe in Identity Protection."
    ),
    reads=("tap_signins",),
    references=(
        TAP_DOC,
        "https://learn.microsoft.com/entra/id-protection/concept-identity-protection-risks",
    ),
)


def reasons(signin: TapSignIn) -> list[str]:
    found = []
    if signin.risk_during_signin in RISKY_LEVELS:
        found.append(f"risk during sign-in: {signin.risk_during_signin}")
    if signin.risk_aggregated in RISKY_LEVELS and signin.risk_aggregated != signin.risk_during_signin:
        found.append(f"aggregated risk: {signin.risk_aggregated}")
    # No history (a user onboarded with a pass) tells nothing about the country.
    if signin.prior_countries and signin.country and signin.country not in signin.prior_countries:
        found.append(f"from {signin.country}; before it only from {', '.join(signin.prior_countries)}")
    return found


def evaluate(facts: TenantFacts, thresholds: Thresholds) -> Outcome:
    signins = facts.tap_signins.get()
    by_user: dict[str, list[tuple[TapSignIn, list[str]]]] = defaultdict(list)
    for signin in signins:
        why = reasons(signin)
        if why:
            by_user[signin.user_id].append((signin, why))
    if not by_user:
        return passed(f"{len(signins)} TAP sign-in(s), none risky or from a new country")
    findings = []
    for user_id, risky in sorted(by_user.items()):
        first, why = risky[0]
        detail = (
            f"{first.user_principal_name or user_id} signed in with a Temporary Access Pass in "
            f"{len(risky)} risky sign-in(s); the first from {first.ip_address or 'an unknown address'} "
            f"({'; '.join(why)})."
        )
        evidence = {
            "userId": user_id,
            "userPrincipalName": first.user_principal_name,
            "signIns": [s.to_json() | {"reasons": r} for s, r in risky],
        }
        findings.append(RULE.finding(user_id, detail, evidence))
    return failed(findings, f"{sum(len(r) for r in by_user.values())} risky TAP sign-in(s)")
