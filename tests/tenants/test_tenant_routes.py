"""GET /api/tenants, PUT and DELETE /api/tenants/{tenant_id}: called as the host calls them (the
azure-functions library's indexing of function_app), one each against Azurite; what they decide, over
memory stores."""

from __future__ import annotations

from typing import Any

import azure.functions as func
import orjson
import pytest

from monitor.errors import BadRequest
from monitor.service import tenants as service
from monitor.service.runtime import Runtime
from monitor.settings import Settings
from tests.support import indexed_functions

KEY = {"x-functions-key": "test-key"}
CONTOSO = "11111111-1111-4111-8111-111111111111"
FABRIKAM = "22222222-2222-4222-8222-222222222222"


@pytest.fixture
def stored(azurite: str, table_prefix: str, monkeypatch: pytest.MonkeyPatch) -> str:
    monkeypatch.setenv("MONITOR_STORAGE_CONNECTION_STRING", azurite)
    monkeypatch.setenv("MONITOR_TABLE_PREFIX", table_prefix)
    monkeypatch.setenv("MONITOR_ALERT_DESTINATIONS", "contoso-hook=webhook")
    monkeypatch.setenv("MONITOR_ALERT_CONTOSO_HOOK_URL", "http://127.0.0.1:9/hook")
    monkeypatch.setenv("MONITOR_ALERT_CONTOSO_HOOK_HMAC_KEY", "k" * 32)
    return table_prefix


def call(name: str, method: str, tenant: str | None = None, body: bytes = b"") -> tuple[int, Any]:
    params = {"tenant_id": tenant} if tenant is not None else {}
    url = f"/api/tenants/{tenant}" if tenant is not None else "/api/tenants"
    request = func.HttpRequest(method, url, headers=KEY, body=body, route_params=params)
    response = indexed_functions()[name].get_user_function()(request)
    return response.status_code, orjson.loads(response.get_body())


def test_the_routes_are_indexed_with_a_function_key() -> None:
    bindings = {
        name: orjson.loads(indexed_functions()[name].get_function_json())["bindings"][0]
        for name in ("tenants_status", "tenant_change")
    }
    assert {name: (b["route"], b["methods"], b["authLevel"]) for name, b in bindings.items()} == {
        "tenants_status": ("tenants", ["GET"], "FUNCTION"),
        "tenant_change": ("tenants/{tenant_id}", ["PUT", "DELETE"], "FUNCTION"),
    }


def test_put_adds_then_changes_a_tenant_in_table_storage(stored: str) -> None:
    body = {"displayName": "Contoso", "tags": ["eu"], "destinations": ["contoso-hook"]}
    status, created = call("tenant_change", "PUT", CONTOSO.upper(), orjson.dumps(body))
    assert (status, created["tenantId"], created["destinations"]) == (201, CONTOSO, ["contoso-hook"])

    status, changed = call("tenant_change", "PUT", CONTOSO, b'{"thresholds": {"spike_ratio": 8}}')

    assert status == 200
    assert (changed["displayName"], changed["tags"], changed["thresholds"]) == (
        "Contoso",
        ["eu"],
        {"spike_ratio": 8},
    )
    with Runtime.from_env() as runtime:
        [record] = runtime.tenants.tenants()
    assert (record.tenant_id, record.display_name, dict(record.thresholds)) == (
        CONTOSO,
        "Contoso",
        {"spike_ratio": 8},
    )


def test_get_answers_every_tenants_status(stored: str) -> None:
    assert call("tenant_change", "PUT", FABRIKAM, b'{"displayName": "Fabrikam"}')[0] == 201
    assert call("tenant_change", "PUT", CONTOSO, b"")[0] == 201

    status, document = call("tenants_status", "GET")

    assert status == 200
    assert document["budgetMeasure"] == "graph_requests"
    assert [
        (t["tenantId"], t["displayName"], t["lastPass"], t["openFindings"]["critical"])
        for t in document["tenants"]
    ] == [
        (CONTOSO, "", None, 0),
        (FABRIKAM, "Fabrikam", None, 0),
    ]


def test_delete_removes_a_tenant_and_an_unknown_one_is_a_404(stored: str) -> None:
    assert call("tenant_change", "PUT", CONTOSO, b"{}")[0] == 201

    assert call("tenant_change", "DELETE", CONTOSO) == (200, {"removed": CONTOSO})
    status, answer = call("tenant_change", "DELETE", CONTOSO)
    assert (status, answer) == (
        404,
        {"error": f"no tenant {CONTOSO} (python -m monitor tenants list lists them)"},
    )
    assert call("tenants_status", "GET")[1]["tenants"] == []


def test_without_storage_the_routes_answer_503_with_what_is_missing(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("MONITOR_STORAGE_CONNECTION_STRING", "MONITOR_STORAGE_ENDPOINT"):
        monkeypatch.delenv(name, raising=False)

    status, answer = call("tenants_status", "GET")

    assert status == 503
    assert answer["problems"] == [
        "MONITOR_STORAGE_CONNECTION_STRING or MONITOR_STORAGE_ENDPOINT is required to keep state"
    ]


# -- what the routes decide, over memory stores ------------------------------------------------------


@pytest.mark.parametrize(
    ("tenant", "body", "message"),
    [
        ("contoso.onmicrosoft.com", b"{}", "a tenant ID is the directory's GUID"),
        ("", b"{}", "a tenant ID is the directory's GUID"),
        (CONTOSO, b'{"tags": ["' + b"t" * 65 + b'"]}', "a tag is 1 to 64 printable characters"),
        (
            CONTOSO,
            orjson.dumps({"tags": [str(n) for n in range(21)]}),
            "a tenant has at most 20 tags, got 21",
        ),
        (
            CONTOSO,
            b'{"thresholds": {"spike_window_hours": 2.5}}',
            "threshold spike_window_hours must be an integer",
        ),
        (CONTOSO, b'{"thresholds": {"spike_ratio": "8"}}', None),
        (CONTOSO, b'{"displayName": "a\\nb"}', "displayName must be at most 256 printable characters"),
    ],
)
def test_put_checks_the_tenant_id_and_the_body(tenant: str, body: bytes, message: str | None) -> None:
    runtime = Runtime.in_memory(Settings())
    if message is None:
        assert service.put_tenant_request(runtime, tenant, body).status == 201
        return
    with pytest.raises(BadRequest) as refused:
        service.put_tenant_request(runtime, tenant, body)
    assert str(refused.value).startswith(message), str(refused.value)
    assert runtime.tenants.tenants() == []


def test_a_threshold_given_as_a_whole_float_is_kept_as_an_integer() -> None:
    runtime = Runtime.in_memory(Settings())

    answer = service.put_tenant_request(runtime, CONTOSO, b'{"thresholds": {"spike_min_failures": 12.0}}')

    assert answer.json()["thresholds"] == {"spike_min_failures": 12}
    assert isinstance(answer.json()["thresholds"]["spike_min_failures"], int)


def test_the_published_body_schema_names_every_threshold_with_its_type_and_bounds() -> None:
    from monitor.ingest.schemas import SCHEMA_DIR
    from monitor.settings import _threshold_maximum
    from monitor.thresholds import Thresholds

    published = orjson.loads((SCHEMA_DIR / "tenant.json").read_bytes())
    thresholds = published["properties"]["thresholds"]["properties"]

    assert thresholds == {
        name: {
            "type": "integer" if kind is int else "number",
            "minimum": 0,
            "maximum": _threshold_maximum(name),
        }
        for name, kind in Thresholds.types().items()
    }
    assert sorted(published["properties"]) == sorted(service.BODY_FIELDS)
