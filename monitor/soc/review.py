"""A review of one TAP sign-in: a verdict in the classifications Microsoft Sentinel uses for incidents
(true positive, benign positive, false positive, undetermined; Microsoft Learn, "Close incidents in
Microsoft Sentinel"), who gave it, when and why. Reviews are appended, never replaced: the latest is the
sign-in's state, the rest its history. A sign-in nobody reviewed is `new`.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Literal

from monitor.errors import BadRequest
from monitor.rules.evidence import iso

Verdict = Literal["true-positive", "benign-positive", "false-positive", "undetermined"]
VERDICTS: tuple[Verdict, ...] = ("true-positive", "benign-positive", "false-positive", "undetermined")
# Sentinel's own names for the same classifications (the incident's `classification` property).
SENTINEL_CLASSIFICATION = {
    "true-positive": "TruePositive",
    "benign-positive": "BenignPositive",
    "false-positive": "FalsePositive",
    "undetermined": "Undetermined",
}
VERDICT_MEANING = {
    "true-positive": "malicious or unwanted: the pass or the sign-in was not what it should have been",
    "benign-positive": "flagged rightly, but expected: a travelling user, a planned onboarding",
    "false-positive": "flagged wrongly: the rule's data or logic was off",
    "undetermined": "not enough to decide; looked at, to be revisited",
}
REVIEW_STATES = ("new", "reviewed", *VERDICTS)
MAX_NOTE = 2000
MAX_REVIEWER = 256
Via = Literal["cli", "api", "page"]


class ReviewError(BadRequest):
    """A review that cannot be recorded; the message says why in one line."""


@dataclass(frozen=True)
class TapSignInReview:
    tenant_id: str
    signin_id: str
    verdict: Verdict
    reviewer: str  # a UPN or name: from Easy Auth's principal on the page, never from the form
    reviewed_at: datetime
    note: str = ""
    reviewer_id: str = ""  # the principal's object ID, when Easy Auth gives one
    via: str = "cli"  # cli, api (function key) or page (Easy Auth)
    review_id: str = ""
    # Its place in the sign-in's history (1 for the first review): two reviews in the same second
    # still keep the order they were given in.
    sequence: int = 0

    def to_json(self) -> dict[str, Any]:
        return {
            "reviewId": self.review_id,
            "signInId": self.signin_id,
            "verdict": self.verdict,
            "classification": SENTINEL_CLASSIFICATION[self.verdict],
            "reviewer": self.reviewer,
            "reviewerId": self.reviewer_id or None,
            "reviewedDateTime": iso(self.reviewed_at),
            "note": self.note,
            "via": self.via,
            "sequence": self.sequence,
        }


def parse_verdict(value: str) -> Verdict:
    text = value.strip().lower().replace("_", "-").replace(" ", "-")
    for verdict in VERDICTS:
        if text in (verdict, verdict.replace("-", "")):
            return verdict
    raise ReviewError(f"verdict must be one of {', '.join(VERDICTS)}, got {value!r}")


def parse_review_state(value: str) -> str:
    """A review filter: new, reviewed or a verdict; '' for no filter."""
    text = value.strip().lower()
    if not text:
        return ""
    if text in ("new", "reviewed"):
        return text
    try:
        return parse_verdict(text)
    except ReviewError:
        raise ReviewError(f"review must be one of {', '.join(REVIEW_STATES)}, got {value!r}") from None


def new_review(
    tenant_id: str,
    signin_id: str,
    verdict: str,
    reviewer: str,
    at: datetime,
    note: str = "",
    reviewer_id: str = "",
    via: str = "cli",
) -> TapSignInReview:
    """A checked review; raises ReviewError for a bad verdict, note or reviewer."""
    who = reviewer.strip()
    if not who:
        raise ReviewError("a review needs a reviewer")
    if len(who) > MAX_REVIEWER:
        raise ReviewError(f"the reviewer is longer than {MAX_REVIEWER} characters")
    text = note.strip()
    if len(text) > MAX_NOTE:
        raise ReviewError(f"the note is longer than {MAX_NOTE} characters ({len(text)})")
    if any(ord(c) < 0x20 and c not in "\n\t" for c in text):
        raise ReviewError("the note holds control characters")
    return TapSignInReview(
        tenant_id=tenant_id,
        signin_id=signin_id,
        verdict=parse_verdict(verdict),
        reviewer=who,
        reviewed_at=at,
        note=text,
        reviewer_id=reviewer_id.strip(),
        via=via,
        review_id=uuid.uuid4().hex,
    )


def review_state(history: Sequence[TapSignInReview]) -> str:
    return history[-1].verdict if history else "new"


def state_matches(history: Sequence[TapSignInReview], wanted: str) -> bool:
    if not wanted:
        return True
    state = review_state(history)
    if wanted == "reviewed":
        return state != "new"
    return state == wanted


def review_json(history: Sequence[TapSignInReview]) -> dict[str, Any]:
    """A row's `review`: its state, the latest verdict's who/when/note, and every review oldest first."""
    latest = history[-1] if history else None
    return {
        "state": review_state(history),
        "verdict": latest.verdict if latest else None,
        "reviewer": latest.reviewer if latest else None,
        "reviewedDateTime": iso(latest.reviewed_at) if latest else None,
        "note": latest.note if latest else None,
        "history": [r.to_json() for r in history],
    }


def by_signin(reviews: Sequence[TapSignInReview]) -> dict[str, list[TapSignInReview]]:
    """Reviews grouped by sign-in, oldest first in each."""
    grouped: dict[str, list[TapSignInReview]] = {}
    for review in sorted(reviews, key=lambda r: (r.sequence, r.reviewed_at, r.review_id)):
        grouped.setdefault(review.signin_id, []).append(review)
    return grouped


Histories = Mapping[str, Sequence[TapSignInReview]]
