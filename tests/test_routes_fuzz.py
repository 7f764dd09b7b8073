"""Generated bodies thrown at each POST route through the azure-functions library: every answer is 202,
400 with a one-line reason, 401 or 413, never a 500; and only the accepted bodies left anything in
Table Storage or on the queue.

The sample is seeded (derandomize) and bounded: five strategies, 10,000 bodies per route. Leaves include
extreme numbers, extreme dates and digits that are not ASCII; one strategy nests up to 1,030 levels and
sends Content-Length headers such as "²". The alert action and the SOC view's filters get 500 generated
requests each, with the same odd digits, extreme dates and deep nesting.
The tenants route gets 2,500 generated PUTs and DELETEs (odd tenant IDs in the path among them), checked
against the published body schema (docs/schemas/tenant.json) and a model of what the table must hold.
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

# -- shapes that once answered 500: deep nesting, non-ASCII digits, extreme dates and numbers ---------


def nested(depth: int, leaf: bytes = b"1") -> bytes:
    """`depth` nested arrays as text (orjson writes at most 254 levels; it reads up to 1,024)."""
    return b"[" * depth + leaf + b"]" * depth


def nested_objects(depth: int) -> bytes:
    return b'{"a":' * depth + b"1" + b"}" * depth


DEEP_BODIES = [
    body
    for depth in (65, 254, 255, 990, 1_000, 1_023, 1_024, 1_025)
    for body in (nested(depth), nested_objects(depth))
] + [
    b'{"intuneDeviceId": ' + nested(1_000) + b"}",
    b'{"schemaId": "azureMonitorCommonAlertSchema", "data": ' + nested_objects(1_000) + b"}",
]
# Characters that str.isdigit() calls digits but int() refuses, or int() reads although they are not ASCII.
ODD_DIGITS = ["²", "¹²³", "٣", "１２", "9" * 40, "-1", " 12", "1e3", ""]
EXTREME_TIMES = [
    "0001-01-01T00:00:00+01:00",
    "0001-01-01T00:00:00Z",
    "0001-01-01T00:00:00-01:00",
    "9999-12-31T23:59:59-01:00",
    "9999-12-31T23:59:59+01:00",
    "9999-12-31T23:59:59Z",
    "0001-01-01",
    "9999-12-31",
]
EXTREME_NUMBERS = [2**31, 2**63 - 1, -(2**63), 2**64 - 1, 1e308, -1e308, 5e-324]


JSON = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(-(2**63), 2**63 - 1)
    | st.floats(allow_nan=False)
    | st.text(max_size=12)
    | st.sampled_from(EXTREME_NUMBERS)
    | st.sampled_from(EXTREME_TIMES + ODD_DIGITS),
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


def depth(document: Any) -> int:
    """How deep arrays and objects nest (the schema check's error text would recurse past ~500)."""
    deepest, stack = 0, [(document, 1)]
    while stack:
        value, level = stack.pop()
        if isinstance(value, dict | list):
            deepest = max(deepest, level)
            stack.extend(
                (child, level + 1) for child in (value.values() if isinstance(value, dict) else value)
            )
    return deepest


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
        declared = headers.get("Content-Length", "")
        if len(body) > LIMIT or (declared.isascii() and declared.isdigit() and int(declared) > LIMIT):
            assert status == 413
            return
        try:
            document = orjson.loads(body)
        except orjson.JSONDecodeError:
            document = ValueError
        if document is ValueError or depth(document) > 64 or not self.schema.is_valid(document):
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
DEEP = st.integers(60, 1_030).flatmap(lambda n: st.sampled_from([nested(n), nested_objects(n)]))
ODD_LENGTHS = st.sampled_from(ODD_DIGITS).map(lambda n: {**KEY, "Content-Length": n})


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
        (4_000, RAW_BYTES, HEADERS),
        (500, DEEP | json_bodies(JSON), ODD_LENGTHS | HEADERS),
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


@pytest.mark.parametrize(
    "changes",
    [
        *({"collectedDateTime": t} for t in EXTREME_TIMES),
        *({"tenantId": t} for t in ("a/b", "\x01", "t" * 2_000, "٣")),
        {"intuneDeviceId": "i" * 100_000},
        {"userPrincipalName": "u" * 100_000},
    ],
)
def test_a_device_report_with_extreme_values_is_a_202_or_400(
    fuzzed: Settings, changes: dict[str, str]
) -> None:
    route = Route("device-reports", "device-report")
    monkey = orjson.dumps(device_report_body(**changes))
    route.post(monkey, {**KEY, "Content-Length": str(len(monkey))})

    assert set(route.answers) <= {202, 400, 413}


@pytest.mark.parametrize("route_name", ["device-reports", "azure-monitor-alerts"])
def test_deep_nesting_and_odd_lengths_are_answered_without_a_500(fuzzed: Settings, route_name: str) -> None:
    route = Route(
        route_name, route_name.rstrip("s") if route_name == "device-reports" else "azure-monitor-alert"
    )
    for body in DEEP_BODIES:
        route.post(body, KEY)
    valid = orjson.dumps(VALID_REPORTS[0] if route_name == "device-reports" else VALID_ALERTS[1])
    for length in ODD_DIGITS:
        route.post(valid, {**KEY, "Content-Length": length})

    assert 500 not in route.answers


def call(name: str, request: func.HttpRequest) -> tuple[int, Any]:
    response = indexed_functions()[name].get_user_function()(request)
    return response.status_code, response.get_body()


@pytest.mark.parametrize(
    "body",
    [
        *(orjson.dumps({"for": f"{n}d"}) for n in ("9999999999", "99999999", "1" + "0" * 30, "²", "٣")),
        *(orjson.dumps({"for": f"{n}{unit}"}) for n in ("999999999999", "2562047788015216") for unit in "mh"),
        *(orjson.dumps({"until": t}) for t in EXTREME_TIMES),
        *DEEP_BODIES[:4],
    ],
)
def test_an_extreme_snooze_is_a_400_or_404_never_a_500(fuzzed: Settings, body: bytes) -> None:
    request = func.HttpRequest(
        "POST",
        "/api/alerts/no-such-alert/snooze",
        headers=KEY,
        body=body,
        route_params={"alert_id": "no-such-alert", "action": "snooze"},
    )

    status, answer = call("alert_action", request)

    assert status in (400, 404), answer


@pytest.mark.parametrize(
    "params",
    [
        *({name: t} for name in ("since", "until") for t in EXTREME_TIMES),
        {"since": "9999-12-31T23:59:59Z", "until": "9999-12-31T23:59:59Z"},
        *({"limit": n} for n in ("²", "9" * 40, "-1", "٣")),
    ],
)
def test_extreme_tap_signin_filters_are_answered_without_a_500(
    fuzzed: Settings, params: dict[str, str]
) -> None:
    status, answer = call(
        "tap_signins", func.HttpRequest("GET", "/api/tap-signins", headers=KEY, body=b"", params=params)
    )

    assert status in (200, 400), answer


# -- the other two routes: an alert action's body, and the SOC view's filters -------------------------

ACTION_VALUES = (
    st.sampled_from(["30m", "2h", "7d", "90d", "91d", "0m", "9999999999d", "²h", "٣d", " 5 h", "1e3m"])
    | st.sampled_from(EXTREME_TIMES + ODD_DIGITS)
    | st.text(max_size=12)
)
ACTION_BODIES = (
    st.dictionaries(st.sampled_from(["for", "until", "by", "x"]), ACTION_VALUES | JSON, max_size=3).map(
        orjson.dumps
    )
    | DEEP
    | RAW_BYTES
)
FILTER_VALUES = st.sampled_from(
    EXTREME_TIMES + ODD_DIGITS + ["0", "1", "50", "2026-11-20T12:00:00Z"]
) | st.text(max_size=12)


def test_generated_alert_actions_are_answered_without_a_500(fuzzed: Settings) -> None:
    answers: dict[int, int] = {}

    @settings(FUZZ, max_examples=20)
    @given(
        requests=st.lists(
            st.tuples(st.sampled_from(["ack", "snooze", "other"]), ACTION_BODIES),
            min_size=BODIES_PER_EXAMPLE,
            max_size=BODIES_PER_EXAMPLE,
        )
    )
    def answered(requests: list[tuple[str, bytes]]) -> None:
        for action, body in requests:
            request = func.HttpRequest(
                "POST",
                f"/api/alerts/no-such-alert/{action}",
                headers=KEY,
                body=body,
                route_params={"alert_id": "no-such-alert", "action": action},
            )
            status, _ = call("alert_action", request)
            answers[status] = answers.get(status, 0) + 1
            assert status in (400, 404), (action, body[:80])

    answered()
    assert sum(answers.values()) == 500


def test_generated_tap_signin_filters_are_answered_without_a_500(fuzzed: Settings) -> None:
    answers: dict[int, int] = {}

    @settings(FUZZ, max_examples=20)
    @given(
        queries=st.lists(
            st.dictionaries(
                st.sampled_from(["since", "until", "limit", "format", "user", "cursor"]),
                FILTER_VALUES,
                max_size=3,
            ),
            min_size=BODIES_PER_EXAMPLE,
            max_size=BODIES_PER_EXAMPLE,
        )
    )
    def answered(queries: list[dict[str, str]]) -> None:
        for params in queries:
            request = func.HttpRequest("GET", "/api/tap-signins", headers=KEY, body=b"", params=params)
            status, _ = call("tap_signins", request)
            answers[status] = answers.get(status, 0) + 1
            assert status in (200, 400), params

    answered()
    assert sum(answers.values()) == 500


# -- the tenants routes: PUT /api/tenants/{tenant_id} with generated bodies and IDs, and DELETE --------

TENANT_IDS = [f"{n}{n}{n}{n}{n}{n}{n}{n}-{n}{n}{n}{n}-4{n}{n}{n}-8{n}{n}{n}-{n * 12}" for n in "123"]
TENANT_PATHS = st.sampled_from(
    [*TENANT_IDS, TENANT_IDS[0].upper(), "{" + TENANT_IDS[1] + "}"]
) | st.sampled_from(["", "contoso.com", "٣" * 36, "1" * 36, TENANT_IDS[0] + "x", "..", "a/b"])
VALID_TENANT_BODIES: list[Any] = [
    {},
    {"displayName": "Contoso"},
    {"displayName": "Fabrikam Müller", "tags": ["eu", "retail"]},
    {"tags": [], "destinations": ["ops"]},
    {"destinations": [], "thresholds": {"spike_ratio": 8.5, "tap_max_lifetime_hours": 4}},
    {"thresholds": {}},
    {"displayName": "", "tags": ["x"], "destinations": ["ops"], "thresholds": {"device_inactive_days": 3650}},
]


def expected_record(before: dict[str, Any] | None, body: dict[str, Any]) -> dict[str, Any]:
    """What a stored tenant holds after an accepted PUT: each field given replaces, tags without
    repeats."""
    record = dict(before or {"displayName": "", "tags": [], "destinations": [], "thresholds": {}})
    for field, value in body.items():
        if field in ("tags", "destinations"):
            value = list(dict.fromkeys(v.strip() for v in value))
        elif field == "displayName":
            value = value.strip()
        record[field] = value
    return record


def test_generated_tenant_changes_are_answered_and_only_accepted_ones_stored(
    fuzzed: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("MONITOR_ALERT_DESTINATIONS", "ops=webhook")
    monkeypatch.setenv("MONITOR_ALERT_OPS_URL", "http://127.0.0.1:9/hook")
    monkeypatch.setenv("MONITOR_ALERT_OPS_HMAC_KEY", "k" * 32)
    contract = schema("tenant")
    model: dict[str, dict[str, Any]] = {}
    answers: dict[int, int] = {}
    change = indexed_functions()["tenant_change"].get_user_function()

    def request(method: str, tenant: str, body: bytes) -> None:
        response = change(
            func.HttpRequest(
                method, f"/api/tenants/{tenant}", headers=KEY, body=body, route_params={"tenant_id": tenant}
            )
        )
        status, answer = response.status_code, orjson.loads(response.get_body())
        answers[status] = answers.get(status, 0) + 1
        key = tenant.strip().strip("{}").lower()
        known = key in TENANT_IDS
        if status == 400:
            assert answer["error"], answer
            assert "\n" not in answer["error"], answer
        if not known:
            assert status == 400, (tenant, status)
            return
        if method == "DELETE":
            assert status == (200 if key in model else 404), (status, answer)
            model.pop(key, None)
            return
        try:
            document = orjson.loads(body) if body.strip() else {}
        except orjson.JSONDecodeError:
            document = ValueError
        if document is ValueError or depth(document) > 64 or not contract.is_valid(document):
            assert status == 400, (status, answer, body[:80])
        assert status in (200, 201, 400), (status, answer)
        if status != 400:
            assert status == (200 if key in model else 201)
            model[key] = expected_record(model.get(key), document)
            assert {k: answer[k] for k in model[key]} == model[key]

    @settings(FUZZ, max_examples=100)
    @given(
        requests=st.lists(
            st.tuples(
                st.sampled_from(["PUT"] * 9 + ["DELETE"]),
                TENANT_PATHS,
                json_bodies(st.sampled_from(VALID_TENANT_BODIES))
                | json_bodies(mutations(VALID_TENANT_BODIES))
                | json_bodies(JSON)
                | RAW_BYTES
                | DEEP,
            ),
            min_size=BODIES_PER_EXAMPLE,
            max_size=BODIES_PER_EXAMPLE,
        )
    )
    def answered(requests: list[tuple[str, str, bytes]]) -> None:
        for method, tenant, body in requests:
            request(method, tenant, body)

    answered()
    assert sum(answers.values()) == 2_500
    assert {200, 201, 400, 404} <= set(answers)
    service = TableServiceClient.from_connection_string(fuzzed.storage_connection_string)
    table = service.get_table_client(f"{fuzzed.table_prefix}tenants")
    try:
        stored = {
            e["RowKey"]: {
                "displayName": e.get("DisplayName", ""),
                "tags": orjson.loads(e.get("Tags", "[]")),
                "destinations": orjson.loads(e.get("Destinations", "[]")),
                "thresholds": orjson.loads(e.get("Thresholds", "{}")),
            }
            for e in table.query_entities("PartitionKey eq 'tenant'")
        }
    finally:
        table.close()
        service.close()
    assert stored == model
    status, listed = call("tenants_status", func.HttpRequest("GET", "/api/tenants", headers=KEY, body=b""))
    assert (status, sorted(t["tenantId"] for t in orjson.loads(listed)["tenants"])) == (200, sorted(model))
