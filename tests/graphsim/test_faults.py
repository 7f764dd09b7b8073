"""Injected faults: each kind, when they start and stop, and the control endpoints that set them."""

from __future__ import annotations

import json

import httpx
import pytest

from graphsim import Fault, GraphSimulator
from tests.graphsim.tenant import ids


def test_429_carries_retry_after_and_a_throttling_body(client: httpx.Client, sim: GraphSimulator) -> None:
    sim.add_fault(Fault("429", path="/v1.0/users", retry_after=7))
    response = client.get("/v1.0/users", headers={"client-request-id": "crid-1"})
    assert response.status_code == 429
    assert response.headers["Retry-After"] == "7"
    error = response.json()["error"]
    assert error["code"] == "TooManyRequests"
    assert error["innerError"]["client-request-id"] == "crid-1"
    assert client.get("/v1.0/users").status_code == 200  # times=1 by default
    assert [(r.status, r.fault) for r in sim.requests] == [(429, "429"), (200, None)]


def test_429_retry_after_defaults_to_one_second(client: httpx.Client, sim: GraphSimulator) -> None:
    sim.add_fault(Fault("429"))
    assert client.get("/v1.0/users").headers["Retry-After"] == "1"


@pytest.mark.parametrize(
    ("kind", "status", "code"), [("503", 503, "ServiceUnavailable"), ("504", 504, "GatewayTimeout")]
)
def test_503_and_504_have_error_bodies_and_retry_after_when_given(
    client: httpx.Client, sim: GraphSimulator, kind: str, status: int, code: str
) -> None:
    sim.add_fault(Fault(kind, path="users", times=2))
    sim.add_fault(Fault(kind, path="organization", retry_after=3))
    first = client.get("/v1.0/users")
    assert (first.status_code, first.json()["error"]["code"]) == (status, code)
    assert "Retry-After" not in first.headers
    assert client.get("/v1.0/users").status_code == status
    assert client.get("/v1.0/users").status_code == 200
    assert client.get("/v1.0/organization").headers["Retry-After"] == "3"


def test_drop_closes_the_connection_without_a_response(client: httpx.Client, sim: GraphSimulator) -> None:
    sim.add_fault(Fault("drop", path="/v1.0/users"))
    with pytest.raises(httpx.RemoteProtocolError):
        client.get("/v1.0/users")
    assert client.get("/v1.0/users").status_code == 200
    assert [(r.status, r.fault) for r in sim.requests] == [(None, "drop"), (200, None)]


def test_malformed_returns_200_with_a_body_that_is_not_json(
    client: httpx.Client, sim: GraphSimulator
) -> None:
    sim.add_fault(Fault("malformed", path="/v1.0/users"))
    response = client.get("/v1.0/users")
    assert response.status_code == 200
    assert int(response.headers["Content-Length"]) == len(response.content)
    with pytest.raises(json.JSONDecodeError):
        json.loads(response.content)
    whole = client.get("/v1.0/users").content
    assert whole.startswith(response.content)
    assert ids(json.loads(whole)) == ["u1", "u2", "u3"]


def test_after_lets_requests_through_then_times_none_fails_every_one(
    client: httpx.Client, sim: GraphSimulator
) -> None:
    sim.add_fault(Fault("503", path="/v1.0/users", after=2, times=None))
    statuses = [client.get("/v1.0/users").status_code for _ in range(5)]
    assert statuses == [200, 200, 503, 503, 503]
    assert client.get("/v1.0/organization").status_code == 200
    sim.clear_faults()
    assert client.get("/v1.0/users").status_code == 200


def test_fault_path_matches_despite_case_and_doubled_slashes(
    client: httpx.Client, sim: GraphSimulator
) -> None:
    sim.add_fault(Fault("429", path="/V1.0/ServicePrincipals"))
    assert client.get("/v1.0//servicePrincipals").status_code == 429


def test_a_request_without_token_gets_401_not_the_fault(sim: GraphSimulator) -> None:
    sim.add_fault(Fault("429"))
    assert httpx.get(f"{sim.url}/v1.0/users").status_code == 401
    assert sim.faults.snapshot()[0]["fired"] == 0


def test_control_endpoints_set_list_and_clear_faults(client: httpx.Client, sim: GraphSimulator) -> None:
    response = client.post(
        "/_simulator/faults",
        json=[
            {"kind": "429", "path": "/v1.0/users", "times": 2, "retry_after": 1},
            {"kind": "drop", "after": 5},
        ],
    )
    assert response.status_code == 200
    assert [(f["kind"], f["path"], f["times"], f["after"]) for f in response.json()["faults"]] == [
        ("429", "/v1.0/users", 2, 0),
        ("drop", None, 1, 5),
    ]
    assert client.get("/v1.0/users").status_code == 429
    listed = client.get("/_simulator/faults").json()["faults"]
    assert (listed[0]["seen"], listed[0]["fired"]) == (1, 1)
    assert client.delete("/_simulator/faults").json() == {"faults": []}
    assert client.get("/v1.0/users").status_code == 200
    assert sim.count() == 2  # control requests are not Graph requests


def test_control_endpoint_rejects_a_bad_fault(client: httpx.Client) -> None:
    response = client.post("/_simulator/faults", json=[{"kind": "418"}])
    assert response.status_code == 400
    assert "fault kind must be one of" in response.json()["error"]


def test_reset_clears_faults_and_log(client: httpx.Client, sim: GraphSimulator) -> None:
    sim.add_fault(Fault("503", times=None))
    client.get("/v1.0/users")
    assert client.post("/_simulator/reset").json() == {"reset": True}
    assert sim.requests == []
    assert client.get("/v1.0/users").status_code == 200


def test_cli_fault_spec() -> None:
    assert Fault.parse("kind=429,path=/beta/auditLogs/signIns,times=2,retry_after=1") == Fault(
        "429", path="/beta/auditLogs/signIns", times=2, retry_after=1
    )
    assert Fault.parse("kind=503,times=none,after=3") == Fault("503", times=None, after=3)
    with pytest.raises(ValueError, match="whole number"):
        Fault.parse("kind=429,times=two")
    with pytest.raises(ValueError, match="unknown fault field"):
        Fault.parse("kind=429,colour=red")
