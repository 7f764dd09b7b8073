"""Snapshot files: lookup, and large collections kept as item spans answering exactly like parsed ones."""

from __future__ import annotations

import codecs
from pathlib import Path
from typing import Any

import httpx
import orjson
import pytest

from graphsim import GraphSimulator
from graphsim.odata import OrderKey
from graphsim.snapshot import ListCollection, RawCollection, Snapshot, _Reader, parse_document
from tests.graphsim.tenant import allow_signin_options

PRETTY = """\ufeff{
  "@odata.context": "https://graph.microsoft.com/beta/$metadata#auditLogs/signIns",
  "value" : [
    {"id": "a", "n": 12345, "city": "Zürich", "nested": {"list": [1, 2, {"x": "}]"}]}},
    {"id": "b", "n": -1.5e3, "city": "東京", "flag": true, "none": null},
    {"id": "c", "n": 0, "text": "quote \\" and backslash \\\\ and \\u00e9"}
  ],
  "@odata.nextLink": "https://graph.microsoft.com/beta/stale"
}
"""


def expected_items() -> list[dict[str, Any]]:
    items: list[dict[str, Any]] = orjson.loads(PRETTY.encode()[3:])["value"]
    return items


@pytest.mark.parametrize("window", [1 << 22, 16, 7, 3])
def test_large_collection_spans_match_a_full_parse(monkeypatch: pytest.MonkeyPatch, window: int) -> None:
    monkeypatch.setattr(_Reader, "WINDOW", window)
    document = parse_document(PRETTY.encode(), ("test",), large_file_bytes=0)
    assert isinstance(document, RawCollection)
    assert [document.item(i) for i in range(len(document))] == expected_items()
    assert [orjson.loads(document.raw(i)) for i in range(len(document))] == expected_items()


def test_small_file_is_parsed_into_dicts() -> None:
    document = parse_document(PRETTY.encode(), ("test",))
    assert isinstance(document, ListCollection)
    assert document.items == expected_items()


def test_large_collection_columns_order_and_find() -> None:
    data = orjson.dumps(
        {
            "value": [
                {"id": "A", "when": "2026-11-14T09:00:00Z"},
                {"id": "b", "when": "2026-11-14T09:00:00.5Z"},
                {"id": "c", "when": None},
            ]
        }
    )
    document = parse_document(data, ("test",), large_file_bytes=0, index=["ID"])
    assert isinstance(document, RawCollection)
    assert document.columns(["id", "When"]) == {
        "id": ["A", "b", "c"],
        "When": ["2026-11-14T09:00:00Z", "2026-11-14T09:00:00.5Z", None],
    }
    assert document.order([OrderKey(("when",), True)]) == [1, 0, 2]
    assert document.order([OrderKey(("when",), False)]) == [2, 0, 1]
    assert document.find(["id"], "a") == 0
    assert document.find(["id"], "zzz") is None


def test_large_entity_and_empty_collection() -> None:
    entity = parse_document(b'{"id": "TemporaryAccessPass", "value": [1], "state": "enabled"}', ("t",), 0)
    assert entity == {"id": "TemporaryAccessPass", "value": [1], "state": "enabled"}
    empty = parse_document(b'{"value": []}', ("t",), 0)
    assert isinstance(empty, RawCollection)
    assert len(empty) == 0


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b'{"value": [{"id": "a"}, {"id": }]}', "Expecting value at byte 31"),
        (b'{"value": [{"id": "a"}]} trailing', "after the top-level object"),
        (b'{"value": [{"id": "a"}', "expected .]. at byte 22, found .end of file."),
        (b'{"value": [{"id": "\xff"}]}', "invalid UTF-8 at byte 19"),
    ],
)
def test_broken_large_file_names_the_problem(data: bytes, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        parse_document(data, ("t",), large_file_bytes=0)


def test_broken_small_file_raises_value_error() -> None:
    with pytest.raises(ValueError, match="unexpected end of data"):
        parse_document(b'{"value": [', ("t",))
    with pytest.raises(ValueError, match="expected a JSON object"):
        parse_document(b"[1, 2]", ("t",))


def test_file_lookup_is_case_insensitive_and_prefers_the_exact_spelling(tmp_path: Path) -> None:
    (tmp_path / "v1.0/auditLogs").mkdir(parents=True)
    (tmp_path / "v1.0/auditLogs/directoryAudits.json").write_text('{"value": []}')
    (tmp_path / "v1.0/users.json").write_text('{"value": []}')
    (tmp_path / "v1.0/Users.json").write_text('{"value": []}')
    snapshot = Snapshot(tmp_path)
    found = snapshot.find_file("v1.0", ["AUDITLOGS", "directoryaudits"])
    assert found == tmp_path.resolve() / "v1.0/auditLogs/directoryAudits.json"
    assert snapshot.find_file("v1.0", ["Users"]) == tmp_path.resolve() / "v1.0/Users.json"
    assert snapshot.find_file("v1.0", ["users"]) == tmp_path.resolve() / "v1.0/users.json"
    assert snapshot.find_file("v1.0", ["..", "v1.0", "users"]) is None
    assert snapshot.find_file("v1.0", ["missing"]) is None


def test_utf8_bom_is_accepted() -> None:
    document = parse_document(codecs.BOM_UTF8 + b'{"value": [{"id": "x"}]}', ("t",))
    assert isinstance(document, ListCollection)
    assert document.items == [{"id": "x"}]


QUERIES = [
    ("/beta/auditLogs/signIns", {}),
    ("/beta/auditLogs/signIns", {"$filter": "createdDateTime ge 2026-11-13T00:00:00Z", "$top": "2"}),
    (
        "/beta/auditLogs/signIns",
        {
            "$filter": "createdDateTime ge 2026-11-13T00:00:00Z and "
            "signInEventTypes/any(t: t eq 'interactiveUser' or t eq 'nonInteractiveUser') and userId eq 'u1'",
            "$select": "id,createdDateTime,status",
        },
    ),
    ("/beta/auditLogs/signIns", {"$orderby": "createdDateTime asc", "$top": "3"}),
    ("/beta/auditLogs/signIns/s4", {}),
    ("/v1.0/users", {"$top": "2"}),
    ("/v1.0/users/carol@contoso.com", {}),
    ("/beta/deviceManagement/configurationPolicies", {"$expand": "settings"}),
]


def _answers(sim: GraphSimulator) -> list[Any]:
    answers: list[Any] = []
    with httpx.Client(base_url=sim.url, headers={"Authorization": "Bearer t"}) as http:
        for path, params in QUERIES:
            body = http.get(path, params=params).json()
            pages = [body]
            while "@odata.nextLink" in body:
                body = http.get(body["@odata.nextLink"]).json()
                pages.append(body)
            answers.append(orjson.loads(orjson.dumps(pages).replace(sim.url.encode(), b"ROOT")))
    return answers


def test_large_file_mode_answers_exactly_like_parsed_files(snapshot_dir: Path) -> None:
    allow_signin_options(snapshot_dir, "$select", "$orderby")
    with GraphSimulator(snapshot_dir) as parsed:
        expected = _answers(parsed)
    with GraphSimulator(snapshot_dir, large_file_bytes=1) as spans:
        assert _answers(spans) == expected
        signins = spans.snapshot.load(spans.snapshot.root / "beta/auditLogs/signIns.json")
        assert isinstance(signins, RawCollection)
