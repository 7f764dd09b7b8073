"""Graph's error answers sorted into what an admin can act on."""

from __future__ import annotations

import pytest
from msgraph.generated.models.o_data_errors.main_error import MainError
from msgraph.generated.models.o_data_errors.o_data_error import ODataError

from monitor.graph.errors import from_odata_error


def answer(status: int, code: str, message: str) -> ODataError:
    error = ODataError(error=MainError(code=code, message=message))
    error.response_status_code = status
    return error


@pytest.mark.parametrize("status", [400, 403])
def test_intune_without_a_licence_is_a_missing_licence_whether_it_answers_400_or_403(status: int) -> None:
    said = from_odata_error(
        answer(status, "BadRequest", "Request not applicable to target tenant."),
        "beta/deviceManagement/managedDevices",
        "DeviceManagementManagedDevices.Read.All",
    )
    assert (said.kind, said.reason.split(" (")[0]) == (
        "skipped",
        "licence missing: beta/deviceManagement/managedDevices needs Microsoft Intune",
    )


def test_any_other_403_is_a_missing_permission_naming_what_to_grant() -> None:
    said = from_odata_error(
        answer(403, "Authorization_RequestDenied", "Insufficient privileges to complete the operation."),
        "v1.0/servicePrincipals",
        "Application.Read.All",
    )
    assert (said.kind, said.reason.split(" (")[0]) == (
        "skipped",
        "permission missing: v1.0/servicePrincipals needs Application.Read.All",
    )
