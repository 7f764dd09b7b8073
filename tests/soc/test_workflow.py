"""The review workflow, pure: verdicts, history, the backlog and the late-review alert entries."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta

import pytest

from monitor.rules.cases._builders import ALICE, BOB, tap_signin
from monitor.soc.review import (
    ReviewError,
    by_signin,
    new_review,
    parse_review_state,
    parse_verdict,
    review_json,
)
from monitor.soc.workflow import REVIEW_RULE, backlog, overdue_findings
from monitor.store.base import StoredFinding
from tests.support import NOW, TENANT_ID

SIGNINS = [tap_signin(ALICE, 30, n=1), tap_signin(BOB, 10, n=2, country="NG")]
FLAGGED = SIGNINS[1]


def flagging(first_seen: object = None) -> StoredFinding:
    at = FLAGGED.created if first_seen is None else first_seen
    return StoredFinding(
        rule="tap.signin.new-country",
        subject=FLAGGED.user_id,
        severity="high",
        title="TAP sign-in from a new country",
        detail="",
        evidence={"signIns": [{"id": FLAGGED.id}]},
        status="open",
        first_seen=at,  # type: ignore[arg-type]
        last_seen=at,  # type: ignore[arg-type]
    )


def review(verdict: str, hours_after: float, signin_id: str = FLAGGED.id) -> object:
    return new_review(
        TENANT_ID, signin_id, verdict, "ana@contoso.com", FLAGGED.created + timedelta(hours=hours_after)
    )


@pytest.mark.parametrize(
    ("text", "verdict"),
    [
        ("true-positive", "true-positive"),
        ("TruePositive", "true-positive"),
        ("benign_positive", "benign-positive"),
        ("False Positive", "false-positive"),
        ("undetermined", "undetermined"),
    ],
)
def test_a_verdict_is_read_in_our_names_and_in_sentinels(text: str, verdict: str) -> None:
    assert parse_verdict(text) == verdict


def test_an_unknown_verdict_or_review_state_is_refused_with_the_choices() -> None:
    with pytest.raises(ReviewError) as refused:
        parse_verdict("malicious")
    assert str(refused.value) == (
        "verdict must be one of true-positive, benign-positive, false-positive, undetermined, got 'malicious'"
    )
    with pytest.raises(ReviewError) as state:
        parse_review_state("done")
    assert str(state.value) == (
        "review must be one of new, reviewed, true-positive, benign-positive, false-positive, undetermined, "
        "got 'done'"
    )


def test_a_review_needs_a_reviewer_and_a_note_of_bounded_size() -> None:
    with pytest.raises(ReviewError, match="a review needs a reviewer"):
        new_review(TENANT_ID, FLAGGED.id, "undetermined", "  ", NOW)
    with pytest.raises(ReviewError, match="the note is longer than 2000 characters"):
        new_review(TENANT_ID, FLAGGED.id, "undetermined", "ana", NOW, note="x" * 2001)


def test_a_changed_verdict_keeps_the_first_as_history() -> None:
    first, second = review("undetermined", 1), review("true-positive", 2)
    history = by_signin([second, first])[FLAGGED.id]  # type: ignore[list-item]
    shown = review_json(history)
    assert (shown["state"], shown["verdict"], shown["reviewer"]) == (
        "true-positive",
        "true-positive",
        "ana@contoso.com",
    )
    assert [(h["verdict"], h["classification"]) for h in shown["history"]] == [
        ("undetermined", "Undetermined"),
        ("true-positive", "TruePositive"),
    ]
    assert review_json([])["state"] == "new"


def test_a_flagged_sign_in_unreviewed_past_its_deadline_is_an_open_entry_of_its_own_rule() -> None:
    now = FLAGGED.created + timedelta(hours=25)
    (entry,) = overdue_findings(SIGNINS, [flagging()], {}, now, 24)
    assert (entry.rule, entry.subject, entry.status, entry.severity) == (
        REVIEW_RULE,
        FLAGGED.id,
        "open",
        "high",
    )
    assert entry.first_seen == FLAGGED.created + timedelta(hours=24)
    assert entry.evidence["rules"] == ["tap.signin.new-country"]


def test_the_deadline_counts_from_when_a_rule_flagged_it_if_later_than_the_sign_in() -> None:
    flagged_late = flagging(FLAGGED.created + timedelta(hours=10))
    assert overdue_findings(SIGNINS, [flagged_late], {}, FLAGGED.created + timedelta(hours=25), 24) == []


def test_a_sign_in_reviewed_in_time_never_has_an_entry_and_one_reviewed_late_resolves_it() -> None:
    now = FLAGGED.created + timedelta(hours=48)
    in_time = by_signin([review("benign-positive", 3)])  # type: ignore[list-item]
    assert overdue_findings(SIGNINS, [flagging()], in_time, now, 24) == []
    late = by_signin([review("true-positive", 30)])  # type: ignore[list-item]
    (entry,) = overdue_findings(SIGNINS, [flagging()], late, now, 24)
    assert (entry.status, entry.resolved_at) == ("resolved", FLAGGED.created + timedelta(hours=30))


def test_an_unflagged_sign_in_or_one_not_yet_due_has_no_entry() -> None:
    assert overdue_findings(SIGNINS, [], {}, NOW + timedelta(days=5), 24) == []
    assert overdue_findings(SIGNINS, [flagging()], {}, FLAGGED.created + timedelta(hours=23), 24) == []


def test_the_backlog_counts_unreviewed_flagged_and_overdue_sign_ins_and_names_the_oldest() -> None:
    now = FLAGGED.created + timedelta(hours=25)
    count = backlog(SIGNINS, [flagging()], {}, now, 24)
    assert (count.unreviewed, count.flagged_unreviewed, count.overdue) == (2, 1, 1)
    assert count.to_json()["oldestUnreviewed"] == {
        "id": SIGNINS[0].id,
        "createdDateTime": SIGNINS[0].to_json()["createdDateTime"],
        "userPrincipalName": SIGNINS[0].user_principal_name,
    }
    reviewed = by_signin([review("false-positive", 1, SIGNINS[0].id)])  # type: ignore[list-item]
    assert backlog(SIGNINS, [flagging()], reviewed, now, 24).oldest == replace(FLAGGED)
