"""tap.signin.failure-burst: many failed Temporary Access Pass sign-ins of one user in a short time."""

from __future__ import annotations

from collections import defaultdict
from datetime import timedelta

from monitor.records import TapSignIn, TenantFacts
from monitor.rules.base import Outcome, Rule, failed, passed
from monitor.rules.catalog._tap import TAP_DOC
from monitor.rules.evidence import iso
from monitor.thresholds import Thresholds

RULE = Rule(
    id="tap.signin.failure-burst",
    title="Burst of failed Temporary Access Pass sign-ins",
    severity="high",
    subject="user",
    rationale=(
        "A user mistyping a pass fails once or twice; many failures in minutes mean someone is guessing a "
        "pass or replaying a spent one. A pass is a full credential (Microsoft's Temporary Access Pass "
        "page), so a success after such a burst is an account takeover until proven otherwise. Thresholds: "
        "tap_failure_burst_count failures within tap_failure_burst_minutes."
    ),
    remediation=(
        "Check with the user whether they were trying to sign in. If not, delete their pass, revoke "
        "sessions, and review the IP addresses in the evidence; if a success followed the burst, treat it "
        "as a compromised account (reset methods, review 'User registered security info' audits)."
    ),
    reads=("tap_signins",),
    references=(
        TAP_DOC,
        "https://learn.microsoft.com/entra/identity-platform/reference-error-codes",
    ),
    thresholds=("tap_failure_burst_count", "tap_failure_burst_minutes"),
)


def densest_burst(failures: list[TapSignIn], span: timedelta) -> list[TapSignIn]:
    """The largest run of failures that fits in `span` (failures sorted by time)."""
    best: list[TapSignIn] = []
    start = 0
    for end, failure in enumerate(failures):
        while failure.created - failures[start].created > span:
            start += 1
        if end - start + 1 > len(best):
            best = failures[start : end + 1]
    return best


def evaluate(facts: TenantFacts, thresholds: Thresholds) -> Outcome:
    signins = facts.tap_signins.get()
    span = timedelta(minutes=thresholds.tap_failure_burst_minutes)
    failures_by_user: dict[str, list[TapSignIn]] = defaultdict(list)
    for signin in sorted(signins, key=lambda s: s.created):
        if not signin.succeeded:
            failures_by_user[signin.user_id].append(signin)
    findings = []
    for user_id, failures in sorted(failures_by_user.items()):
        burst = densest_burst(failures, span)
        if len(burst) < thresholds.tap_failure_burst_count:
            continue
        after = [s for s in signins if s.user_id == user_id and s.succeeded and s.created > burst[-1].created]
        success = min(after, key=lambda s: s.created) if after else None
        detail = (
            f"{burst[0].user_principal_name or user_id} failed {len(burst)} Temporary Access Pass sign-ins "
            f"between {iso(burst[0].created)} and {iso(burst[-1].created)} from "
            f"{', '.join(sorted({s.ip_address for s in burst if s.ip_address})) or 'unknown addresses'}"
            + (f"; a successful TAP sign-in followed at {iso(success.created)}." if success else ".")
        )
        evidence = {
            "userId": user_id,
            "userPrincipalName": burst[0].user_principal_name,
            "failures": len(burst),
            "first": iso(burst[0].created),
            "last": iso(burst[-1].created),
            "errorCodes": sorted({s.error_code for s in burst}),
            "ipAddresses": sorted({s.ip_address for s in burst if s.ip_address}),
            "countries": sorted({s.country for s in burst if s.country}),
            "successAfter": success.to_json() if success else None,
        }
        findings.append(RULE.finding(user_id, detail, evidence))
    if not findings:
        return passed(
            f"no user failed {thresholds.tap_failure_burst_count} TAP sign-ins within "
            f"{thresholds.tap_failure_burst_minutes} min"
        )
    return failed(findings, f"{len(findings)} user(s) with a burst of failed TAP sign-ins")
