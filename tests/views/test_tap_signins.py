"""The SOC view's filters, paging and rows, over the monitor's own records."""

from __future__ import annotations

import base64
from dataclasses import replace
from datetime import timedelta

import orjson
import pytest

from monitor.rules.cases._builders import ALICE, BOB, issuance, tap_signin
from monitor.views.tap_signins import FilterError, RuleNote, notes_by_signin, page, parse_filters, to_csv

SIGNINS = [
    tap_signin(ALICE, 30, n=1),
    tap_signin(ALICE, 20, n=2, error_code=130504),
    tap_signin(BOB, 10, n=3, country="NG", risk="high"),
    replace(tap_signin(BOB, 5, n=4), issuance=replace(issuance(BOB), issued_by="other.admin@contoso.com")),
]
NOTES = {
    SIGNINS[2].id: [
        RuleNote("tap.signin.risky", "high", "Risky sign-in with a Temporary Access Pass", "open")
    ]
}


def ids(raw: dict[str, str]) -> list[str]:
    return [row["id"][-1:] for row in page(SIGNINS, NOTES, {}, parse_filters(raw)).rows]


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ({}, ["4", "3", "2", "1"]),
        ({"user": f"{ALICE[:5]}@CONTOSO.COM"}, ["2", "1"]),
        ({"user": BOB}, ["4", "3"]),
        ({"result": "failure"}, ["2"]),
        ({"risk": "high"}, ["3"]),
        ({"country": "ng"}, ["3"]),
        ({"issuer": "other.admin@contoso.com"}, ["4"]),
        ({"flagged": "true"}, ["3"]),
        ({"since": "2026-11-19T12:00:00Z", "until": "2026-11-20T07:00:00Z"}, ["4", "3", "2"]),
    ],
)
def test_each_filter_keeps_exactly_the_matching_sign_ins_newest_first(
    raw: dict[str, str], expected: list[str]
) -> None:
    assert ids(raw) == expected


@pytest.mark.parametrize(
    ("raw", "reason"),
    [
        ({"risk": "extreme"}, "risk must be one of none, low, medium, high, hidden, got 'extreme'"),
        ({"result": "ok"}, "result must be success or failure, got 'ok'"),
        (
            {"since": "yesterday"},
            "since is not an ISO 8601 time: 'yesterday' (example: 2026-11-20T12:00:00Z)",
        ),
        (
            {"since": "2026-11-20T00:00:00Z", "until": "2026-11-19T00:00:00Z"},
            "since (2026-11-20T00:00:00Z) is after until (2026-11-19T00:00:00Z)",
        ),
        ({"country": "Germany"}, "country must be a two-letter ISO 3166 code such as DE, got 'Germany'"),
        ({"limit": "0"}, "limit must be between 1 and 1000, got 0"),
        ({"limit": "ten"}, "limit must be a whole number, got 'ten'"),
        ({"flagged": "maybe"}, "flagged must be true or false, got 'maybe'"),
        (
            {"colour": "red"},
            "unknown filter(s): colour (known: since, until, user, result, risk, country, issuer, "
            "flagged, review, limit, continuation)",
        ),
        ({"continuation": "not-a-token"}, "continuation token is not one this view issued"),
    ],
)
def test_a_bad_filter_is_refused_with_its_reason(raw: dict[str, str], reason: str) -> None:
    with pytest.raises(FilterError) as refused:
        parse_filters(raw)
    assert str(refused.value) == reason


def test_pages_follow_each_other_through_the_continuation_token_without_gaps_or_repeats() -> None:
    first = page(SIGNINS, NOTES, {}, parse_filters({"limit": "3"}))
    assert first.continuation is not None
    second = page(SIGNINS, NOTES, {}, parse_filters({"limit": "3", "continuation": first.continuation}))

    assert [r["id"][-1] for r in first.rows] == ["4", "3", "2"]
    assert [r["id"][-1] for r in second.rows] == ["1"]
    assert (first.matched, second.matched, second.continuation) == (4, 4, None)


def test_a_token_replayed_with_other_filters_or_edited_is_refused() -> None:
    token = page(SIGNINS, NOTES, {}, parse_filters({"limit": "1"})).continuation
    assert token is not None
    with pytest.raises(FilterError, match="issued for other filters"):
        parse_filters({"limit": "1", "user": BOB, "continuation": token})
    document = orjson.loads(base64.urlsafe_b64decode(token + "=" * (-len(token) % 4)))
    edited = base64.urlsafe_b64encode(orjson.dumps(document | {"after": [1, 2]})).decode()
    with pytest.raises(FilterError, match="not one this view issued"):
        parse_filters({"limit": "1", "continuation": edited})


def test_a_row_carries_its_pass_what_the_rules_found_and_its_recovery_chain() -> None:
    chain = {"stage": "signed-in"}
    (row,) = page(SIGNINS, NOTES, {"Directory_0001": chain}, parse_filters({"risk": "high"})).rows

    assert row["issuance"] == {
        "auditId": "Directory_0001",
        "issuedBy": "helpdesk@contoso.com",
        "issuedDateTime": "2026-11-19T06:00:00Z",
        "startDateTime": "2026-11-19T06:00:00Z",
        "lifetimeInMinutes": 60,
        "isUsableOnce": True,
        "methodUsabilityReason": "EnabledByPolicy",
    }
    assert (row["rules"], row["flagged"], row["recovery"]) == (["tap.signin.risky"], True, chain)


def test_findings_name_a_sign_in_wherever_their_evidence_holds_its_id() -> None:
    notes = notes_by_signin(
        [("tap.issued.privileged-user", "high", "t", "open", {"tapSignIns": ["s-1"], "userId": "u"})]
    )
    assert [n.rule for n in notes["s-1"]] == ["tap.issued.privileged-user"]


def test_csv_has_one_line_per_row_and_keeps_formulas_as_text() -> None:
    hostile = replace(SIGNINS[0], user_principal_name='=HYPERLINK("http://x")')
    text = to_csv(page([hostile], {}, {}, parse_filters({})))
    header, line = text.splitlines()
    assert header.startswith("id,createdDateTime,userPrincipalName,userId,succeeded")
    assert ',"\'=HYPERLINK(""http://x"")",' in line


def test_the_review_filter_keeps_new_reviewed_or_one_verdict() -> None:
    from monitor.soc.review import by_signin, new_review
    from tests.support import NOW, TENANT_ID

    reviews = by_signin(
        [
            new_review(TENANT_ID, SIGNINS[2].id, "undetermined", "ana", NOW),
            new_review(TENANT_ID, SIGNINS[2].id, "true-positive", "ben", NOW + timedelta(minutes=1)),
            new_review(TENANT_ID, SIGNINS[0].id, "false-positive", "ana", NOW),
        ]
    )

    def kept(review: str) -> list[str]:
        request = parse_filters({"review": review})
        return [row["id"][-1:] for row in page(SIGNINS, NOTES, {}, request, reviews).rows]

    assert kept("new") == ["4", "2"]
    assert kept("reviewed") == ["3", "1"]
    assert kept("true-positive") == ["3"]
    assert kept("undetermined") == []
    (row,) = page(SIGNINS, NOTES, {}, parse_filters({"review": "TruePositive"}), reviews).rows
    assert [h["verdict"] for h in row["review"]["history"]] == ["undetermined", "true-positive"]
    with pytest.raises(FilterError, match="review must be one of new, reviewed"):
        parse_filters({"review": "closed"})
