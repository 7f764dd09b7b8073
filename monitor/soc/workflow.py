"""The review workflow over what the passes stored: record a verdict, count the unreviewed sign-ins
(health, the weekly report), and the alert for a flagged sign-in nobody reviewed in time.

The alert goes through the existing alert step rather than a rule: rules are pure over what Graph
says, and whether a person reviewed a sign-in is not a fact of the tenant. `overdue_findings` turns
each flagged sign-in whose review is late into a findings-ledger entry of `REVIEW_RULE` (open while
nobody reviewed it, resolved by its first review), which the alert step reconciles beside the rules'
findings: one alert per sign-in, its reminders, its resolved notice, the same channels and routes.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from monitor.errors import NotFound
from monitor.records import TapSignIn
from monitor.rules.base import SEVERITIES, Severity
from monitor.rules.evidence import iso
from monitor.soc.review import Histories, TapSignInReview
from monitor.store.base import StoredFinding
from monitor.views.tap_signins import evidence_strings

REVIEW_RULE = "soc.tap-signin.unreviewed"
REVIEW_TITLE = "A flagged Temporary Access Pass sign-in has not been reviewed"
# Entra keeps sign-ins 30 days at most: no stored TAP sign-in is older than this.
REVIEW_WINDOW = timedelta(days=30)


class UnknownSignIn(NotFound):
    """No stored TAP sign-in has this ID."""


@dataclass(frozen=True)
class Flag:
    """When rules first flagged a sign-in, and how badly."""

    since: datetime
    severity: Severity
    rules: tuple[str, ...]


def flags_by_signin(findings: Iterable[StoredFinding]) -> dict[str, Flag]:
    """Sign-in id -> when a finding naming it in its evidence was first seen (the SOC view's rule)."""
    found: dict[str, Flag] = {}
    for finding in findings:
        if finding.rule == REVIEW_RULE:
            continue
        strings: set[str] = set()
        evidence_strings(finding.evidence, strings)
        for value in strings:
            before = found.get(value)
            if before is None:
                found[value] = Flag(finding.first_seen, finding.severity, (finding.rule,))
            else:
                worst = min(before.severity, finding.severity, key=SEVERITIES.index)
                found[value] = Flag(
                    min(before.since, finding.first_seen),
                    worst,
                    tuple(sorted({*before.rules, finding.rule})),
                )
    return found


def overdue_findings(
    signins: Sequence[TapSignIn],
    findings: Iterable[StoredFinding],
    histories: Histories,
    now: datetime,
    review_hours: float,
) -> list[StoredFinding]:
    """One ledger entry per flagged sign-in whose review is (or was) late: open while unreviewed past
    its deadline, resolved at its first review when that came after the deadline. A sign-in reviewed in
    time has none."""
    flags = flags_by_signin(findings)
    allowed = timedelta(hours=review_hours)
    entries = []
    for signin in signins:
        flag = flags.get(signin.id)
        if flag is None:
            continue
        deadline = max(signin.created, flag.since) + allowed
        history = histories.get(signin.id, ())
        first = history[0].reviewed_at if history else None
        if now < deadline or (first is not None and first <= deadline):
            continue
        evidence = {
            "signInId": signin.id,
            "userPrincipalName": signin.user_principal_name,
            "createdDateTime": iso(signin.created),
            "countryOrRegion": signin.country,
            "rules": list(flag.rules),
            "flaggedSince": iso(flag.since),
            "reviewDueBy": iso(deadline),
            "reviewHours": review_hours,
        }
        entries.append(
            StoredFinding(
                rule=REVIEW_RULE,
                subject=signin.id,
                severity=flag.severity,
                title=REVIEW_TITLE,
                detail=(
                    f"The TAP sign-in of {signin.user_principal_name or signin.user_id} at "
                    f"{iso(signin.created)} was flagged by {', '.join(flag.rules)} and nobody reviewed it "
                    f"within {review_hours:g} hours. Review it: python -m monitor tap-signins review "
                    f"{signin.id} --verdict ..."
                ),
                evidence=evidence,
                status="open" if first is None else "resolved",
                first_seen=deadline,
                last_seen=now if first is None else first,
                resolved_at=first,
            )
        )
    return entries


@dataclass(frozen=True)
class ReviewBacklog:
    """What health and the weekly report count: sign-ins nobody reviewed, and the oldest of them."""

    unreviewed: int
    flagged_unreviewed: int
    overdue: int
    oldest: TapSignIn | None

    def to_json(self) -> dict[str, Any]:
        return {
            "unreviewed": self.unreviewed,
            "flaggedUnreviewed": self.flagged_unreviewed,
            "overdue": self.overdue,
            "oldestUnreviewed": (
                {
                    "id": self.oldest.id,
                    "createdDateTime": iso(self.oldest.created),
                    "userPrincipalName": self.oldest.user_principal_name,
                }
                if self.oldest
                else None
            ),
        }


def backlog(
    signins: Sequence[TapSignIn],
    findings: Sequence[StoredFinding],
    histories: Histories,
    now: datetime,
    review_hours: float,
) -> ReviewBacklog:
    flags = flags_by_signin(findings)
    waiting = [s for s in signins if not histories.get(s.id)]
    overdue = [
        f for f in overdue_findings(signins, findings, histories, now, review_hours) if f.status == "open"
    ]
    return ReviewBacklog(
        unreviewed=len(waiting),
        flagged_unreviewed=sum(1 for s in waiting if s.id in flags),
        overdue=len(overdue),
        oldest=min(waiting, key=lambda s: (s.created, s.id)) if waiting else None,
    )


def find_signin(candidates: Mapping[str, Sequence[TapSignIn]], signin_id: str) -> tuple[str, TapSignIn]:
    """(tenant id, sign-in) of `signin_id` among each tenant's stored sign-ins; raises UnknownSignIn."""
    for tenant_id, signins in candidates.items():
        for signin in signins:
            if signin.id == signin_id:
                return tenant_id, signin
    raise UnknownSignIn(f"no stored TAP sign-in {signin_id!r} (python -m monitor tap-signins lists them)")


def histories_of(reviews: Sequence[TapSignInReview]) -> dict[str, list[TapSignInReview]]:
    from monitor.soc.review import by_signin

    return by_signin(reviews)
