"""Graph's documented query rules: bounded $filter parsing, the sign-in log's query options, the throttle."""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest

from graphsim import GraphSimulator, ThrottleModel
from graphsim.odata import MAX_FILTER_DEPTH
from tests.graphsim.tenant import allow_signin_options, write_json

WINDOW = "createdDateTime ge 2026-11-13T00:00:00Z"
SELECT_REFUSED = (
    "Query option 'Select' is not allowed. To allow it, set the 'AllowedQueryOptions' property on "
    "EnableQueryAttribute or QueryValidationSettings."
)


@pytest.mark.parametrize(
    ("path", "expression", "message"),
    [
        ("/v1.0/users", "not " * 5000 + "displayName eq 'a'", "The recursion limit has been exceeded."),
        (
            "/v1.0/users",
            "(" * 3000 + "displayName eq 'a'" + ")" * 3000,
            "The recursion limit has been exceeded.",
        ),
        (
            "/v1.0/users",
            " and ".join(["displayName eq 'a'"] * 1000),
            "The node count limit of '1000' has been exceeded.",
        ),
        ("/beta/auditLogs/signIns", "(" * 3000 + WINDOW + ")" * 3000, "Invalid filter clause"),
    ],
    ids=["5000 nested not", "3000 nested parentheses", "1000 conditions", "sign-ins"],
)
def test_a_filter_nested_or_long_beyond_the_bounds_is_400(
    client: httpx.Client, path: str, expression: str, message: str
) -> None:
    response = client.get(path, params={"$filter": expression})
    assert response.status_code == 400
    error = response.json()["error"]
    assert (error["code"], error["message"].removeprefix("Invalid filter clause: ")) == (
        "BadRequest",
        message,
    )


def test_a_filter_as_deep_as_the_bound_is_answered(client: httpx.Client) -> None:
    depth = MAX_FILTER_DEPTH - 1
    response = client.get(
        "/v1.0/users", params={"$filter": "(" * depth + "displayName eq 'Carol Smith'" + ")" * depth}
    )
    assert response.status_code == 200, response.text
    assert [u["id"] for u in response.json()["value"]] == ["u3"]


@pytest.mark.parametrize("option", ["$select", "$orderby", "$count"])
def test_signins_refuse_options_graph_does_not_document(client: httpx.Client, option: str) -> None:
    value = {"$select": "id", "$orderby": "createdDateTime asc", "$count": "true"}[option]
    response = client.get("/beta/auditLogs/signIns", params={"$filter": WINDOW, option: value})
    assert response.status_code == 400
    name = {"$select": "Select", "$orderby": "OrderBy", "$count": "Count"}[option]
    assert response.json()["error"] == {
        "code": "BadRequest",
        "message": SELECT_REFUSED.replace("'Select'", f"'{name}'"),
        "innerError": response.json()["error"]["innerError"],
    }


def test_signins_answer_the_documented_options(client: httpx.Client) -> None:
    response = client.get("/beta/auditLogs/signIns", params={"$filter": WINDOW, "$top": "2"})
    assert response.status_code == 200
    assert len(response.json()["value"]) == 2
    assert "$skiptoken=" in response.json()["@odata.nextLink"]


def test_a_snapshot_can_switch_select_on_for_signins(client: httpx.Client, snapshot_dir: Path) -> None:
    allow_signin_options(snapshot_dir, "$select")
    response = client.get("/beta/auditLogs/signIns", params={"$filter": WINDOW, "$select": "id", "$top": "1"})
    assert response.status_code == 200, response.text
    assert response.json()["value"] == [{"id": "s4"}]  # the newest interactive one
    assert client.get("/beta/auditLogs/signIns", params={"$orderby": "createdDateTime"}).status_code == 400


def test_query_options_in_simulator_json_must_be_a_map_of_option_lists(snapshot_dir: Path) -> None:
    from graphsim import SnapshotError

    write_json(snapshot_dir / "_simulator.json", {"queryOptions": {"beta/auditLogs/signIns": "$select"}})
    with pytest.raises(SnapshotError, match="queryOptions"):
        GraphSimulator(snapshot_dir)


class FakeClock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_throttle_answers_429_beyond_five_report_requests_in_ten_seconds(snapshot_dir: Path) -> None:
    clock = FakeClock()
    with (
        GraphSimulator(snapshot_dir, throttle=ThrottleModel(clock=clock)) as sim,
        httpx.Client(base_url=sim.url, headers={"Authorization": "Bearer t"}) as http,
    ):
        statuses = [http.get("/v1.0/auditLogs/directoryAudits").status_code for _ in range(6)]
        refused = http.get("/beta/auditLogs/signIns")
        other = http.get("/v1.0/users").status_code  # not a report: never throttled
        tap = http.get("/v1.0/users/u1/authentication/temporaryAccessPassMethods").status_code
        clock.now += 10.0
        after_window = http.get("/beta/auditLogs/signIns").status_code
    assert statuses == [200, 200, 200, 200, 200, 429]
    assert (refused.status_code, refused.headers["Retry-After"]) == (429, "10")
    assert (other, tap, after_window) == (200, 429, 200)
    assert sim.count(status=429) == 3


def test_throttle_is_switched_on_by_simulator_json(snapshot_dir: Path) -> None:
    write_json(snapshot_dir / "_simulator.json", {"throttle": True})
    with (
        GraphSimulator(snapshot_dir) as sim,
        httpx.Client(base_url=sim.url, headers={"Authorization": "Bearer t"}) as http,
    ):
        statuses = [http.get("/v1.0/auditLogs/directoryAudits").status_code for _ in range(6)]
    assert statuses.count(429) == 1
