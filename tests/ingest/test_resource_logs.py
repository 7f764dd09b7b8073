from __future__ import annotations

from datetime import UTC, datetime

import orjson
import pytest

from monitor.collectors.signins import pin_reset_signin
from monitor.entra import PIN_RESET_CLIENT_APP_ID
from monitor.ingest.errors import RejectedBody
from monitor.ingest.resource_logs import LogBatch, event_records, read_records
from tests.ingest.samples import signin_record, tap_issuance_record
from tests.support import TENANT_ID, graph_signin

OTHER_APP = "c44b4083-3bb0-49c1-b47d-974e53cbdf3c"  # the Azure portal


def read(*records: object) -> LogBatch:
    batch = LogBatch()
    read_records(records, batch)
    return batch


def test_a_streamed_pin_reset_signin_is_the_record_the_poll_makes_of_the_same_graph_signin() -> None:
    created = datetime(2026, 11, 20, 11, 2, 15, tzinfo=UTC)
    polled = graph_signin(7, created, error_code=65001)
    record = signin_record(polled["id"], created="2026-11-20T11:02:15.0000000+00:00", error_code=65001)
    for name in ("userPrincipalName", "userId", "appDisplayName", "resourceDisplayName", "correlationId"):
        record["properties"][name] = polled[name]
    record["properties"]["deviceDetail"] = polled["deviceDetail"]
    record["properties"]["location"] = polled["location"]
    record["properties"]["status"]["failureReason"] = polled["status"]["failureReason"]

    batch = read(record)

    assert batch.tenants[TENANT_ID].pin_reset_signins == [pin_reset_signin(polled)]


def test_the_envelope_fills_what_properties_lack() -> None:
    record = signin_record(error_code=65001, category="NonInteractiveUserSignInLogs")
    for name in ("createdDateTime", "ipAddress", "correlationId"):
        del record["properties"][name]
    del record["properties"]["status"]["errorCode"]

    (signin,) = read(record).tenants[TENANT_ID].pin_reset_signins

    assert (signin.created, signin.error_code, signin.ip_address, signin.interactive) == (
        datetime(2026, 11, 20, 11, 2, 15, 552213, tzinfo=UTC),
        65001,
        "203.0.113.7",
        False,
    )
    assert signin.correlation_id == "a75a10bd-c126-486b-9742-c03110d36262"


def test_a_tap_signin_and_a_tap_issuance_are_mapped_and_other_records_ignored() -> None:
    tap = signin_record(
        "7a900000-0000-4000-8000-000000000001",
        app_id=OTHER_APP,
        error_code=0,
        methods=("Temporary Access Pass",),
        risk="high",
    )
    other_app = signin_record("1f000000-0000-4000-8000-000000000001", app_id=OTHER_APP)
    other_app["properties"]["resourceId"] = OTHER_APP
    other_audit = tap_issuance_record("Directory_other")
    other_audit["properties"]["activityDisplayName"] = "Add member to group"
    other_category = {
        "time": "2026-11-20T11:00:00Z",
        "category": "ProvisioningLogs",
        "tenantId": TENANT_ID,
        "properties": {},
    }

    batch = read(tap, other_app, tap_issuance_record(), other_audit, other_category)

    found = batch.tenants[TENANT_ID]
    assert [(s.id, s.succeeded, s.risk_during_signin, s.prior_countries) for s in found.tap_signins] == [
        ("7a900000-0000-4000-8000-000000000001", True, "high", None)
    ]
    assert [(i.audit_id, i.user_id, i.issued_by) for i in found.tap_issuances] == [
        (
            "Directory_5e7a1b2c-0000-4000-8000-000000000001",
            "00000042-0000-4000-8000-000000000000",
            "helpdesk@contoso.com",
        )
    ]
    assert (batch.received, batch.ignored, batch.malformed) == (5, 3, 0)


def test_malformed_records_are_counted_with_their_reason_and_the_good_ones_kept() -> None:
    no_id = signin_record()
    del no_id["properties"]["id"]
    no_tenant = signin_record("2f000000-0000-4000-8000-000000000002")
    del no_tenant["tenantId"]
    no_tenant["resourceId"] = "/subscriptions/x"

    batch = read("not a record", {"category": "SignInLogs"}, no_id, no_tenant, signin_record())

    assert [s.id for s in batch.tenants[TENANT_ID].pin_reset_signins] == [
        "0231f922-93fa-4005-bb11-b344eca03c01"
    ]
    assert (batch.received, batch.malformed) == (5, 4)
    assert batch.malformed_reasons == [
        "record 0: body: 'not a record' is not of type 'object'",
        "record 1: body: 'time' is a required property",
        "record 2: the sign-in lacks an id, a time or a result code",
        "record 3: no tenantId, and resourceId does not name a tenant",
    ]


def test_the_tenant_comes_from_the_resource_id_when_the_record_has_no_tenant_id() -> None:
    record = signin_record()
    del record["tenantId"]

    assert list(read(record).tenants) == [TENANT_ID]


@pytest.mark.parametrize(
    ("body", "reason"),
    [
        (b"{", "not JSON: unexpected end of data: line 1 column 2 (char 1)"),
        (b'{"value": []}', 'not a resource-log batch: expected {"records": [...]}'),
    ],
)
def test_an_event_body_that_is_not_a_batch_is_rejected(body: bytes, reason: str) -> None:
    with pytest.raises(RejectedBody) as raised:
        event_records(body)
    assert str(raised.value) == reason


def test_an_event_body_holds_its_records() -> None:
    assert event_records(orjson.dumps({"records": [signin_record()]})) == [signin_record()]


def test_pin_reset_apps_are_found_by_resource_too() -> None:
    record = signin_record(app_id=OTHER_APP)

    (signin,) = read(record).tenants[TENANT_ID].pin_reset_signins

    assert (signin.app_id, signin.resource_id) == (OTHER_APP, "b8456c59-1230-44c7-a4a2-99b085333e84")
    assert PIN_RESET_CLIENT_APP_ID != OTHER_APP
