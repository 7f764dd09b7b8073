"""Graph semantics over HTTP: paths, query options, paging, errors, overrides, auth, the request log."""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import httpx
import orjson
import pytest

from graphsim import GraphSimulator, SnapshotError
from graphsim.server import GRAPH_CONTENT_TYPE
from tests.graphsim.tenant import (
    PIN_RESET_CLIENT,
    PIN_RESET_SERVICE,
    allow_signin_options,
    ids,
    signin,
    write_json,
)

GetJson = Callable[..., Any]
WINDOW = "createdDateTime ge 2026-11-13T00:00:00Z and createdDateTime le 2026-11-20T12:00:00Z"
BOTH_KINDS = "signInEventTypes/any(t: t eq 'interactiveUser' or t eq 'nonInteractiveUser')"


def error_of(response: httpx.Response) -> dict[str, Any]:
    error: dict[str, Any] = response.json()["error"]
    return error


# --- paths and entities


def test_collection_file_is_served_with_context_and_graph_headers(
    client: httpx.Client, sim: GraphSimulator
) -> None:
    response = client.get("/v1.0/organization", headers={"client-request-id": "abc-123"})
    assert response.status_code == 200
    assert response.headers["content-type"] == GRAPH_CONTENT_TYPE
    assert response.headers["client-request-id"] == "abc-123"
    assert len(response.headers["request-id"]) == 36
    assert response.json() == {
        "@odata.context": f"{sim.url}/v1.0/$metadata#organization",
        "value": [{"id": "tenant-1", "displayName": "Contoso"}],
    }


def test_path_segments_are_case_insensitive(get_json: GetJson) -> None:
    assert ids(get_json("/v1.0/AUDITLOGS/directoryaudits")) == ["a2", "a1", "a3"]
    assert ids(get_json("/BETA/auditlogs/SIGNINS", **{"$filter": f"{WINDOW} and {BOTH_KINDS}"})) == [
        "s6",
        "s4",
        "s5",
        "s2",
        "s3",
        "s1",
    ]


def test_entity_by_key_and_by_alternate_key(get_json: GetJson, sim: GraphSimulator) -> None:
    entity = get_json("/v1.0/servicePrincipals/sp-client")
    assert entity["@odata.context"] == f"{sim.url}/v1.0/$metadata#servicePrincipals/$entity"
    assert entity["appId"] == PIN_RESET_CLIENT
    assert get_json(f"/v1.0/servicePrincipals(appId='{PIN_RESET_SERVICE}')")["id"] == "sp-service"
    assert get_json("/v1.0/users/BOB@contoso.com")["id"] == "u2"


def test_missing_entity_is_404_request_resource_not_found(client: httpx.Client) -> None:
    response = client.get("/v1.0/servicePrincipals/no-such-id")
    assert response.status_code == 404
    error = error_of(response)
    assert error["code"] == "Request_ResourceNotFound"
    assert error["message"] == (
        "Resource 'no-such-id' does not exist or one of its queried reference-property objects "
        "are not present."
    )
    assert set(error["innerError"]) == {"date", "request-id", "client-request-id"}


def test_absent_collection_file_is_an_empty_collection(get_json: GetJson) -> None:
    assert get_json("/v1.0/domains")["value"] == []
    assert get_json("/beta/deviceManagement/windowsAutopilotDeviceIdentities")["value"] == []


def test_absent_tap_policy_is_404(client: httpx.Client) -> None:
    path = "/v1.0/policies/authenticationMethodsPolicy/authenticationMethodConfigurations/TemporaryAccessPass"
    assert client.get(path).status_code == 404


def test_tap_policy_single_entity_file(client: httpx.Client, snapshot_dir: Path, sim: GraphSimulator) -> None:
    policy = {
        "id": "TemporaryAccessPass",
        "state": "enabled",
        "isUsableOnce": False,
        "maximumLifetimeInMinutes": 480,
    }
    path = "v1.0/policies/authenticationMethodsPolicy/authenticationMethodConfigurations/TemporaryAccessPass"
    write_json(snapshot_dir / f"{path}.json", policy)
    body = client.get("/" + path).json()
    assert body == {
        "@odata.context": f"{sim.url}/v1.0/$metadata#policies/authenticationMethodsPolicy/"
        "authenticationMethodConfigurations/$entity",
        **policy,
    }


def test_users_tap_methods_file_missing_file_and_unknown_user(client: httpx.Client) -> None:
    base = "/v1.0/users/{}/authentication/temporaryAccessPassMethods"
    assert client.get(base.format("u1")).json()["value"] == [
        {"id": "tap-1", "isUsableOnce": True, "lifetimeInMinutes": 60}
    ]
    assert client.get(base.format("adele@contoso.com")).json()["value"][0]["id"] == "tap-1"
    assert client.get(base.format("u2")).json()["value"] == []
    missing = client.get(base.format("u9"))
    assert missing.status_code == 404
    assert error_of(missing)["code"] == "Request_ResourceNotFound"


def test_users_tap_methods_without_users_file_is_empty(client: httpx.Client, snapshot_dir: Path) -> None:
    (snapshot_dir / "v1.0/users.json").unlink()
    response = client.get("/v1.0/users/u9/authentication/temporaryAccessPassMethods")
    assert response.status_code == 200
    assert response.json()["value"] == []


def test_navigation_into_inline_collection(get_json: GetJson) -> None:
    assert ids(get_json("/beta/deviceManagement/configurationPolicies/cp1/settings")) == ["0"]
    assert ids(get_json("/beta/deviceManagement/deviceConfigurations/dc1/assignments")) == ["as1"]


def test_unknown_version_is_400(client: httpx.Client) -> None:
    response = client.get("/v2.0/users")
    assert response.status_code == 400
    assert error_of(response) | {"innerError": None} == {
        "code": "BadRequest",
        "message": "Invalid version: v2.0",
        "innerError": None,
    }


def test_invalid_json_file_is_500_naming_the_file(client: httpx.Client, snapshot_dir: Path) -> None:
    (snapshot_dir / "v1.0/domains.json").write_text('{"value": [', encoding="utf-8")
    response = client.get("/v1.0/domains")
    assert response.status_code == 500
    assert error_of(response)["code"] == "InternalServerError"
    assert error_of(response)["message"].startswith("snapshot file v1.0/domains.json is not valid: ")


def test_edited_file_is_reloaded(client: httpx.Client, snapshot_dir: Path) -> None:
    assert ids(client.get("/v1.0/organization").json()) == ["tenant-1"]
    path = snapshot_dir / "v1.0/organization.json"
    write_json(path, {"value": [{"id": "tenant-2"}, {"id": "tenant-3"}]})
    stat = path.stat()
    os.utime(path, ns=(stat.st_atime_ns, stat.st_mtime_ns + 1_000_000_000))
    assert ids(client.get("/v1.0/organization").json()) == ["tenant-2", "tenant-3"]


@pytest.mark.parametrize(
    ("setup", "message"),
    [
        (lambda root: None, "does not exist"),
        (lambda root: root.write_text("x"), "is not a directory"),
        (lambda root: root.mkdir(), "has no v1.0 or beta subdirectory"),
    ],
)
def test_bad_snapshot_directory_raises_snapshot_error(
    tmp_path: Path, setup: Callable[[Path], object], message: str
) -> None:
    root = tmp_path / "snap"
    setup(root)
    with pytest.raises(SnapshotError, match=message):
        GraphSimulator(root)


# --- $filter


def test_filter_sent_percent_encoded_as_msgraph_sdk_does(client: httpx.Client) -> None:
    query = f"%24filter=appId%20eq%20%27{PIN_RESET_CLIENT}%27&%24select=id%2CappId%2CaccountEnabled"
    body = client.get(f"/v1.0/servicePrincipals?{query}").json()
    assert body["value"] == [{"id": "sp-client", "appId": PIN_RESET_CLIENT, "accountEnabled": False}]


def test_signin_window_app_and_event_types(get_json: GetJson) -> None:
    expression = f"{WINDOW} and appId eq '{PIN_RESET_CLIENT}' and {BOTH_KINDS}"
    assert ids(get_json("/beta/auditLogs/signIns", **{"$filter": expression, "$top": 1000})) == [
        "s6",
        "s4",
        "s5",
        "s2",
        "s1",
    ]


def test_signin_filters_on_user_resource_ip_and_error_code(get_json: GetJson) -> None:
    def query(clause: str) -> list[str]:
        return ids(
            get_json("/beta/auditLogs/signIns", **{"$filter": f"{WINDOW} and {clause} and {BOTH_KINDS}"})
        )

    assert query("userId eq 'u2'") == ["s5"]
    assert query(f"resourceId eq '{PIN_RESET_SERVICE}'") == ["s6", "s4", "s5", "s2", "s3", "s1"]
    assert query("startsWith(ipAddress, '198.51.')") == ["s5"]
    assert query("status/errorCode eq 65001") == ["s4"]
    assert query("status/errorCode ne 0") == ["s6", "s4"]


def test_signin_time_window_with_seven_fractional_digits(get_json: GetJson) -> None:
    expression = (
        "createdDateTime ge 2026-11-14T09:00:00.1234567Z and createdDateTime le 2026-11-14T09:59:59.9999999Z"
        f" and {BOTH_KINDS}"
    )
    assert ids(get_json("/beta/auditLogs/signIns", **{"$filter": expression})) == ["s5", "s2", "s3"]


def test_beta_signins_default_to_interactive_only(get_json: GetJson) -> None:
    # s2 and s6 are non-interactive; s7 does not say, so it counts as interactive.
    assert ids(get_json("/beta/auditLogs/signIns", **{"$filter": WINDOW})) == ["s4", "s5", "s3", "s1", "s7"]
    assert ids(get_json("/beta/auditLogs/signIns")) == ["s4", "s5", "s3", "s1", "s7", "s0"]
    only_non_interactive = f"{WINDOW} and signInEventTypes/any(t: t eq 'nonInteractiveUser')"
    assert ids(get_json("/beta/auditLogs/signIns", **{"$filter": only_non_interactive})) == ["s6", "s2"]


@pytest.mark.parametrize(
    "expression",
    [
        "authenticationDetails/any(a: a/authenticationMethod eq 'Temporary Access Pass')",
        "riskyProperty eq 'x'",
        "startsWith(appId, '9115')",
        f"appId eq '{PIN_RESET_CLIENT}' or appId eq '{PIN_RESET_SERVICE}'",
        f"appId in ('{PIN_RESET_CLIENT}', '{PIN_RESET_SERVICE}')",
        "not (userId eq 'u1')",
    ],
)
def test_unsupported_signin_filters_are_invalid_filter_clause(client: httpx.Client, expression: str) -> None:
    response = client.get("/beta/auditLogs/signIns", params={"$filter": expression})
    assert response.status_code == 400
    error = error_of(response)
    assert (error["code"], error["message"]) == ("BadRequest", "Invalid filter clause")


def test_malformed_filter_is_400_invalid_filter_clause(client: httpx.Client) -> None:
    response = client.get("/v1.0/servicePrincipals", params={"$filter": "appId eq"})
    assert response.status_code == 400
    assert error_of(response)["code"] == "BadRequest"
    assert error_of(response)["message"].startswith("Invalid filter clause")


def test_directory_unsupported_filter_property(client: httpx.Client) -> None:
    response = client.get("/v1.0/servicePrincipals", params={"$filter": "homepage eq 'x'"})
    assert response.status_code == 400
    assert error_of(response)["code"] == "Request_UnsupportedQuery"
    assert error_of(response)["message"] == (
        "Unsupported or invalid query filter clause specified for property 'homepage' "
        "of resource 'ServicePrincipal'."
    )


def test_directory_ne_needs_advanced_query_headers(client: httpx.Client) -> None:
    params = {"$filter": "accountEnabled ne true"}
    assert client.get("/v1.0/servicePrincipals", params=params).status_code == 400
    advanced = client.get(
        "/v1.0/servicePrincipals",
        params={**params, "$count": "true"},
        headers={"ConsistencyLevel": "eventual"},
    )
    assert advanced.status_code == 200
    assert advanced.json()["@odata.count"] == 1
    assert ids(advanced.json()) == ["sp-client"]


def test_directory_audits_filters(get_json: GetJson) -> None:
    expression = (
        "activityDateTime ge 2026-10-21T12:00:00Z and activityDisplayName eq 'Admin registered security info'"
    )
    assert ids(get_json("/v1.0/auditLogs/directoryAudits", **{"$filter": expression})) == ["a1"]
    by_target = "targetResources/any(t: t/id eq 'u2')"
    assert ids(get_json("/v1.0/auditLogs/directoryAudits", **{"$filter": by_target})) == ["a2"]
    upto = "activityDateTime le 2026-11-01T10:00:00Z"
    assert ids(get_json("/v1.0/auditLogs/directoryAudits", **{"$filter": upto})) == ["a1", "a3"]


def test_role_assignments_filter_and_expand_principal(get_json: GetJson) -> None:
    body = get_json(
        "/v1.0/roleManagement/directory/roleAssignments",
        **{"$filter": "roleDefinitionId eq '62e90394-69f5-4237-9190-012177145e10'", "$expand": "principal"},
    )
    assert [(item["id"], item["principal"]) for item in body["value"]] == [
        (
            "ra1",
            {
                "@odata.type": "#microsoft.graph.user",
                "id": "u1",
                "userPrincipalName": "adele@contoso.com",
                "displayName": "Adele Vance",
            },
        ),
        ("ra2", None),
    ]
    plain = get_json("/v1.0/roleManagement/directory/roleAssignments")
    assert all("principal" not in item for item in plain["value"])


def test_managed_devices_filter_and_select(get_json: GetJson) -> None:
    body = get_json(
        "/beta/deviceManagement/managedDevices",
        **{"$filter": "operatingSystem eq 'Windows'", "$select": "id,deviceName,osVersion"},
    )
    assert body["value"] == [{"id": "d1", "deviceName": "PC1", "osVersion": "10.0.19045.3693"}]


# --- $select and $expand


def test_select_keeps_only_selected_properties_and_odata_type(get_json: GetJson) -> None:
    body = get_json("/v1.0/servicePrincipals", **{"$select": "appId,displayName"})
    assert body["value"] == [
        {
            "@odata.type": "#microsoft.graph.servicePrincipal",
            "appId": PIN_RESET_SERVICE,
            "displayName": "Microsoft Pin Reset Service Production",
        },
        {"appId": PIN_RESET_CLIENT, "displayName": "Microsoft Pin Reset Client Production"},
    ]


def test_navigation_properties_appear_only_when_expanded(get_json: GetJson) -> None:
    plain = get_json("/beta/deviceManagement/deviceConfigurations")["value"][0]
    assert "assignments" not in plain
    expanded = get_json("/beta/deviceManagement/deviceConfigurations", **{"$expand": "assignments"})["value"][
        0
    ]
    assert expanded["assignments"] == [{"id": "as1", "target": {"groupId": "g1"}}]
    assert expanded["pinRecoveryEnabled"] is True

    policy = get_json("/beta/deviceManagement/configurationPolicies")["value"][0]
    assert set(policy) == {"id", "name"}
    for expand in ("settings,assignments", "assignments,settings"):
        both = get_json("/beta/deviceManagement/configurationPolicies", **{"$expand": expand})["value"][0]
        assert set(both) == {"id", "name", "settings", "assignments"}
    only_settings = get_json("/beta/deviceManagement/configurationPolicies", **{"$expand": "settings"})[
        "value"
    ][0]
    assert set(only_settings) == {"id", "name", "settings"}


def test_expanding_a_navigation_not_in_the_snapshot_gives_an_empty_collection(get_json: GetJson) -> None:
    body = get_json("/beta/deviceManagement/deviceConfigurations", **{"$expand": "deviceStatuses"})
    assert body["value"][0]["deviceStatuses"] == []


def test_unknown_expand_is_400(client: httpx.Client) -> None:
    response = client.get("/beta/deviceManagement/configurationPolicies", params={"$expand": "owners"})
    assert response.status_code == 400
    assert error_of(response)["message"] == (
        "Could not find a property named 'owners' on type "
        "'microsoft.graph.deviceManagementConfigurationPolicy'."
    )


# --- ordering, paging, $top


def test_signins_are_newest_first_across_fractional_digit_widths(
    get_json: GetJson, snapshot_dir: Path
) -> None:
    allow_signin_options(snapshot_dir, "$select")
    body = get_json("/beta/auditLogs/signIns", **{"$filter": f"{WINDOW} and {BOTH_KINDS}", "$select": "id"})
    assert body["value"] == [{"id": i} for i in ("s6", "s4", "s5", "s2", "s3", "s1")]


def test_orderby(get_json: GetJson, client: httpx.Client, snapshot_dir: Path) -> None:
    allow_signin_options(snapshot_dir, "$orderby")
    assert ids(get_json("/v1.0/users", **{"$orderby": "displayName desc"})) == ["u3", "u2", "u1"]
    oldest_first = get_json(
        "/beta/auditLogs/signIns",
        **{"$filter": f"{WINDOW} and {BOTH_KINDS}", "$orderby": "createdDateTime asc"},
    )
    assert ids(oldest_first) == ["s1", "s3", "s2", "s5", "s4", "s6"]
    response = client.get("/v1.0/users", params={"$orderby": "jobTitle"})
    assert response.status_code == 400
    assert error_of(response)["code"] == "Request_UnsupportedQuery"


def test_paging_across_pages_with_next_link(client: httpx.Client, sim: GraphSimulator) -> None:
    params = {"$filter": f"{WINDOW} and {BOTH_KINDS}", "$top": "4"}
    first = client.get("/beta/auditLogs/signIns", params=params).json()
    assert ids(first) == ["s6", "s4", "s5", "s2"]
    next_link = first["@odata.nextLink"]
    url = urlsplit(next_link)
    assert f"{url.scheme}://{url.netloc}{url.path}" == f"{sim.url}/beta/auditLogs/signIns"
    query = parse_qs(url.query)
    assert set(query) == {"$filter", "$top", "$skiptoken"}
    assert query["$top"] == ["4"]
    assert query["$filter"] == [params["$filter"]]
    second = client.get(next_link).json()
    assert ids(second) == ["s3", "s1"]
    assert "@odata.nextLink" not in second
    assert sim.engine.evaluations == 1


def test_next_link_still_works_after_the_cached_result_is_evicted(
    client: httpx.Client, sim: GraphSimulator
) -> None:
    first = client.get("/v1.0/users", params={"$top": "2"}).json()
    sim.engine.clear_cache()
    second = client.get(first["@odata.nextLink"]).json()
    assert ids(first) + ids(second) == ["u1", "u2", "u3"]
    assert sim.engine.evaluations == 2


def test_skiptoken_of_another_query_is_400(client: httpx.Client) -> None:
    first = client.get("/v1.0/users", params={"$top": "1"}).json()
    token = first["@odata.nextLink"].split("$skiptoken=")[1]
    response = client.get("/v1.0/servicePrincipals", params={"$skiptoken": token})
    assert response.status_code == 400


def test_default_page_size_of_configuration_policies_is_25(client: httpx.Client, snapshot_dir: Path) -> None:
    write_json(
        snapshot_dir / "beta/deviceManagement/configurationPolicies.json",
        {"value": [{"id": f"cp{n:02d}"} for n in range(30)]},
    )
    first = client.get("/beta/deviceManagement/configurationPolicies").json()
    assert len(first["value"]) == 25
    assert ids(client.get(first["@odata.nextLink"]).json()) == [f"cp{n:02d}" for n in range(25, 30)]


def test_signin_top_above_1000_is_capped_at_1000(client: httpx.Client, snapshot_dir: Path) -> None:
    many = [
        signin(f"m{n:04d}", f"2026-11-14T{n // 3600 % 24:02d}:{n // 60 % 60:02d}:{n % 60:02d}Z")
        for n in range(1003)
    ]
    write_json(snapshot_dir / "beta/auditLogs/signIns.json", {"value": many})
    first = client.get("/beta/auditLogs/signIns", params={"$top": "5000"}).json()
    assert len(first["value"]) == 1000
    assert len(client.get(first["@odata.nextLink"]).json()["value"]) == 3
    default = client.get("/beta/auditLogs/signIns").json()
    assert len(default["value"]) == 1000


def test_directory_top_above_999_is_400(client: httpx.Client) -> None:
    response = client.get("/v1.0/users", params={"$top": "1000"})
    assert response.status_code == 400
    assert error_of(response)["code"] == "Request_UnsupportedQuery"
    assert (
        error_of(response)["message"]
        == "Invalid page size specified: '1000'. Must be between 1 and 999 inclusive."
    )


def test_beta_accepts_query_options_without_dollar(get_json: GetJson) -> None:
    body = get_json("/beta/deviceManagement/managedDevices", filter="operatingSystem eq 'iOS'", select="id")
    assert body["value"] == [{"id": "d2"}]


def test_repeated_query_option_is_400(client: httpx.Client) -> None:
    response = client.get("/v1.0/users?$top=1&$top=2")
    assert response.status_code == 400


# --- overrides, auth, log


def test_simulator_json_override_models_a_missing_licence(snapshot_dir: Path) -> None:
    write_json(
        snapshot_dir / "_simulator.json",
        {
            "responses": [
                {
                    "path": "beta/auditLogs/signIns",
                    "status": 403,
                    "code": "Authentication_RequestFromNonPremiumTenantOrB2CTenant",
                    "message": "Tenant is not a B2C tenant and doesn't have premium license",
                },
                {"path": "beta/deviceManagement", "status": 403, "code": "Forbidden", "message": "No Intune"},
            ]
        },
    )
    with GraphSimulator(snapshot_dir) as sim, httpx.Client(headers={"Authorization": "Bearer t"}) as http:
        signins = http.get(f"{sim.url}/beta/AUDITLOGS/signIns", params={"$filter": WINDOW})
        assert signins.status_code == 403
        assert error_of(signins)["code"] == "Authentication_RequestFromNonPremiumTenantOrB2CTenant"
        assert error_of(signins)["message"] == "Tenant is not a B2C tenant and doesn't have premium license"
        assert http.get(f"{sim.url}/beta/deviceManagement/managedDevices").status_code == 403
        assert http.get(f"{sim.url}/v1.0/auditLogs/directoryAudits").status_code == 200
        assert http.get(f"{sim.url}/beta/auditLogs/signInsX").status_code == 200


def test_invalid_simulator_json_is_a_snapshot_error(snapshot_dir: Path) -> None:
    (snapshot_dir / "_simulator.json").write_text('{"responses": [{"path": "users", "status": 403}]}')
    with pytest.raises(SnapshotError, match=r"must start with v1\.0/ or beta/"):
        GraphSimulator(snapshot_dir)


@pytest.mark.parametrize("authorization", [None, "Bearer", "Basic dXNlcjpwYXNz"])
def test_requests_without_a_bearer_token_are_401(sim: GraphSimulator, authorization: str | None) -> None:
    headers = {"Authorization": authorization} if authorization is not None else {}
    response = httpx.get(f"{sim.url}/v1.0/users", headers=headers)
    assert response.status_code == 401
    assert error_of(response)["code"] == "InvalidAuthenticationToken"
    assert sim.count(status=401) == 1


def test_non_get_methods_are_405(client: httpx.Client) -> None:
    response = client.post("/v1.0/users", json={})
    assert response.status_code == 405


def test_request_log_and_counts(client: httpx.Client, sim: GraphSimulator) -> None:
    client.get("/v1.0/users")
    client.get("/v1.0/users/u1")
    client.get("/v1.0/users/nobody")
    client.get("/beta/auditLogs/signIns", params={"$filter": WINDOW, "$top": "10"})
    client.get("/_simulator/requests")
    assert sim.count() == 4
    assert sim.count(path_contains="/v1.0/users") == 3
    assert sim.count(path_contains="AUDITLOGS/signIns") == 1
    assert sim.count(status=404) == 1
    assert sim.count(path_contains="users", status=200) == 2
    last = sim.requests[-1]
    assert (last.method, last.path, last.status, last.fault) == ("GET", "/beta/auditLogs/signIns", 200, None)
    assert last.query == {"$filter": WINDOW, "$top": "10"}
    sim.reset()
    assert sim.requests == []


def test_control_endpoint_reports_the_log(client: httpx.Client) -> None:
    client.get("/v1.0/users")
    client.get("/v1.0/users/nobody")
    body = orjson.loads(client.get("/_simulator/requests").content)
    assert body["count"] == 2
    assert body["by_status"] == {"200": 1, "404": 1}
    assert [(r["path"], r["status"]) for r in body["requests"]] == [
        ("/v1.0/users", 200),
        ("/v1.0/users/nobody", 404),
    ]
    assert client.post("/_simulator/reset").status_code == 200
    assert client.get("/_simulator/requests").json()["count"] == 0
