"""Generated bodies thrown at each POST route through the azure-functions library: every answer is 202,
400 with a one-line reason, 401 or 413, never a 500; and only the accepted bodies left anything in
Table Storage or on the queue.

The sample is seeded (derandomize) and bounded: four strategies, 10,000 bodies per route.
A rejected body never reaches storage, so each of those calls costs no Azurite round trip.
"""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

import azure.functions as func
import orjson
import pytest
from azure.data.tables import TableServiceClient
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from jsonschema import Draft202012Validator

from monitor.ingest.schemas import SCHEMA_DIR
from monitor.settings import Settings
from monitor.store.pass_queue import open_pass_queue
from tests.ingest.samples import alert, device_report_body, dsregcmd_status
from tests.support import clear_pass_queue, indexed_functions

LIMIT = 8_192
BODIES_PER_EXAMPLE = 25
KEY = {"x-functions-key": "fuzz-key"}
FUZZ = settings(
    derandomize=True,
    database=None,
    deadline=None,
    suppress_health_check=[
        HealthCheck.function_scoped_fixture,
        HealthCheck.too_slow,
        HealthCheck.data_too_large,
    ],
)
ANSWERS = {202, 400, 401, 413}

JSON = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(-(2**63), 2**63 - 1)
    | st.floats(allow_nan=False)
    | st.text(max_size=12),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=12), inner, max_size=4),
    max_leaves=8,
)
UUIDS = st.uuids().map(str)


def schema(name: str) -> Draft202012Validator:
    return Draft202012Validator(orjson.loads((SCHEMA_DIR / f"{name}.json").read_bytes()))


def paths(document: Any, prefix: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    found = [prefix] if prefix else []
    if isinstance(document, dict):
        for key, value in document.items():
            found += paths(value, (*prefix, key))
    elif isinstance(document, list):
        for index, value in enumerate(document):
            found += paths(value, (*prefix, index))
    return found


def mutate(document: Any, path: tuple[Any, ...], how: str, value: Any) -> Any:
    """`document` with the value at `path` deleted, replaced by `value`, or given a sibling."""
    changed = copy.deepcopy(document)
    parent = changed
    for step in path[:-1]:
        parent = parent[step]
    last = path[-1]
    if how == "delete":
        del parent[last]
    elif how == "replace":
        parent[last] = value
    elif isinstance(parent, dict):
        parent[f"{last}x"] = value
    else:
        parent.append(value)
    return changed


def mutations(valid: list[Any]) -> st.SearchStrategy[Any]:
    """Valid bodies with one thing changed: a field deleted, replaced by any JSON, or a sibling added."""
    targets = [(document, path) for document in valid for path in paths(document)]
    return st.builds(
        lambda target, how, value: mutate(target[0], target[1], how, value),
        st.sampled_from(targets),
        st.sampled_from(["delete", "replace", "add"]),
        JSON,
    )


def valid_reports() -> list[dict[str, Any]]:
    """Valid bodies of both forms and both CanReset values, each for its own device."""
    found: list[dict[str, Any]] = []
    for n, can_reset in enumerate(["DestructiveOnly", "DestructiveAndNonDestructive"] * 3):
        device = f"0d5e0000-0000-4000-8000-{n:012d}"
        found.append(device_report_body(can_reset, intuneDeviceId=device))
        found.append(
            {
                "intuneDeviceId": device.replace("0d5e", "1d5e"),
                "tenantId": "4b1c5b67-3f1e-4e38-9d5e-2a2f3c1d0e9a",
                "sections": {"User State": {"CanReset": can_reset, "NgcSet": "YES"}},
            }
        )
    return found


VALID_REPORTS = valid_reports()
VALID_ALERTS = [
    alert(c, t) for c in ("Fired", "Resolved") for t in (None, "4b1c5b67-3f1e-4e38-9d5e-2a2f3c1d0e9a")
]


@pytest.fixture
def fuzzed(
    tmp_path: Path, azurite_with_queues: str, table_prefix: str, monkeypatch: pytest.MonkeyPatch
) -> Settings:
    monkeypatch.setenv("MONITOR_STORAGE_CONNECTION_STRING", azurite_with_queues)
    monkeypatch.setenv("MONITOR_TABLE_PREFIX", table_prefix)
    clear_pass_queue(azurite_with_queues)
    monkeypatch.setenv("MONITOR_INGEST_MAX_BODY_BYTES", str(LIMIT))
    return Settings.from_env()


class Route:
    """One POST route, called as the host calls it, with what an independent check expects of each body."""

    def __init__(self, name: str, schema_name: str) -> None:
        self.call = indexed_functions()[name.replace("-", "_")].get_user_function()
        self.name = name
        self.schema = schema(schema_name)
        self.accepted: list[Any] = []
        self.answers: dict[int, int] = {}

    def post(self, body: bytes, headers: dict[str, str]) -> None:
        response = self.call(func.HttpRequest("POST", f"/api/{self.name}", headers=headers, body=body))
        status = response.status_code
        answer = orjson.loads(response.get_body())
        self.answers[status] = self.answers.get(status, 0) + 1
        assert status in ANSWERS, (status, answer)
        if not headers:
            assert status == 401
            return
        if len(body) > LIMIT:
            assert status == 413
            return
        try:
            document = orjson.loads(body)
        except orjson.JSONDecodeError:
            document = ValueError
        if document is ValueError or not self.schema.is_valid(document):
            assert status == 400, (status, answer)
        if status == 400:
            reason = answer["error"]
            assert reason
            assert "\n" not in reason
        if status == 202:
            self.accepted.append(document)


def json_bodies(documents: st.SearchStrategy[Any]) -> st.SearchStrategy[bytes]:
    return documents.map(orjson.dumps)


RAW_BYTES = st.binary(max_size=64) | st.text(max_size=64).map(str.encode)
HEADERS = st.sampled_from([KEY, KEY, KEY, {}])


def throw(
    route: Route,
    examples: int,
    strategy: st.SearchStrategy[bytes],
    headers: st.SearchStrategy[dict[str, str]],
) -> None:
    # Many bodies an example: the engine's cost per example is paid that much less often.
    @settings(FUZZ, max_examples=examples // BODIES_PER_EXAMPLE)
    @given(
        requests=st.lists(
            st.tuples(strategy, headers), min_size=BODIES_PER_EXAMPLE, max_size=BODIES_PER_EXAMPLE
        )
    )
    def answers(requests: list[tuple[bytes, dict[str, str]]]) -> None:
        for body, key in requests:
            route.post(body, key)

    answers()


def strategies(
    valid: list[Any],
) -> list[tuple[int, st.SearchStrategy[bytes], st.SearchStrategy[dict[str, str]]]]:
    """(bodies, strategy, headers): cheap shapes get most of the 10,000; valid bodies (the only ones that
    reach Azurite) are a quarter of the last strategy, the rest of it past the size limit."""
    padded = st.sampled_from(valid).map(orjson.dumps).map(lambda b: b + b" " * (LIMIT + 1 - len(b)))
    whole = st.sampled_from(valid).map(orjson.dumps)
    return [
        (4_500, RAW_BYTES, HEADERS),
        (2_500, json_bodies(JSON), HEADERS),
        (2_000, json_bodies(mutations(valid)), st.just(KEY)),
        (1_000, whole | padded | padded | padded, st.sampled_from([KEY, KEY, KEY, KEY, {}])),
    ]


def stored_reports(settings_: Settings) -> set[tuple[str, str]]:
    service = TableServiceClient.from_connection_string(settings_.storage_connection_string)
    table = service.get_table_client(f"{settings_.table_prefix}devicereports")
    try:
        return {
            (e["PartitionKey"], e["IntuneDeviceId"])
            for e in table.list_entities()
            if e["RowKey"].startswith("L_")
        }
    finally:
        table.close()
        service.close()


def test_ten_thousand_generated_device_reports_are_answered_and_only_accepted_ones_stored(
    fuzzed: Settings,
) -> None:
    route = Route("device-reports", "device-report")
    for examples, strategy, headers in strategies(VALID_REPORTS):
        throw(route, examples, strategy, headers)

    assert sum(route.answers.values()) >= 10_000
    assert {400, 401, 413, 202} <= set(route.answers)
    expected = {
        (
            str(d.get("tenantId") or "4b1c5b67-3f1e-4e38-9d5e-2a2f3c1d0e9a").lower(),
            str(d["intuneDeviceId"]).lower(),
        )
        for d in route.accepted
    }
    assert stored_reports(fuzzed) == expected


def test_ten_thousand_generated_alerts_are_answered_and_only_fired_ones_queued(fuzzed: Settings) -> None:
    route = Route("azure-monitor-alerts", "azure-monitor-alert")
    for examples, strategy, headers in strategies(VALID_ALERTS):
        throw(route, examples, strategy, headers)

    assert sum(route.answers.values()) >= 10_000
    assert {400, 401, 413, 202} <= set(route.answers)
    fired = [a for a in route.accepted if a["data"]["essentials"]["monitorCondition"] == "Fired"]
    queue = open_pass_queue(fuzzed.queue_connection_string, "", fuzzed.pass_queue_name)
    try:
        assert len(queue.receive_all()) == len(fired)
    finally:
        queue.close()


def test_a_raw_dsregcmd_text_posted_as_the_body_is_a_400_with_the_reason(fuzzed: Settings) -> None:
    route = Route("device-reports", "device-report")
    route.post(dsregcmd_status().encode(), KEY)

    assert route.answers == {400: 1}
