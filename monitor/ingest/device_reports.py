"""A device's `dsregcmd /status`, posted by the Intune Remediations script in devices/, as a DeviceReport.

The body follows docs/schemas/device-report.json: the raw text, or the same output as sections. What
the schema cannot say is checked here: the output must hold a Device State or User State section, a
CanReset must be one of the four values Microsoft's dsregcmd page documents, and the tenant must be
known (from the body or the Tenant Details section) and the same in both when both name it.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import datetime, timedelta
from typing import Any, Final

from monitor.collectors.fields import parse_time
from monitor.ingest.dsregcmd import (
    DEVICE_DETAILS,
    DEVICE_STATE,
    SSO_STATE,
    TENANT_DETAILS,
    USER_STATE,
    Sections,
    field,
    parse_status,
    yes_no,
)
from monitor.ingest.errors import RejectedBody
from monitor.ingest.resource_logs import EARLIEST, LATEST
from monitor.records import CanReset, DeviceReport
from monitor.rules.evidence import iso

# Microsoft Learn, "Troubleshoot devices by using the dsregcmd command": the values of CanReset. Only
# DestructiveOnly means non-destructive reset is not available (device.pin-reset.destructive-only);
# Unknown says the device could not tell, which is no evidence either way.
CAN_RESET_VALUES: Final[tuple[CanReset, ...]] = (
    "DestructiveOnly",
    "NonDestructiveOnly",
    "DestructiveAndNonDestructive",
    "Unknown",
)
# How far after its receipt a report may say it was collected (device clocks drift): later is a wrong
# clock or a calendar that is not Gregorian (the script once formatted the year with the user's culture).
CLOCK_SKEW: Final = timedelta(days=1)
_GUID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}", re.ASCII)
# The script once formatted the time with the user's culture, whose time separator may be "." (fi-FI).
_CULTURE_TIME = re.compile(
    r"([0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2})\.([0-9]{2})\.([0-9]{2})(.*)", re.ASCII | re.DOTALL
)


def device_report(body: Mapping[str, Any], received: datetime) -> DeviceReport:
    """The report in a schema-valid body; raises RejectedBody with the reason for one that says too little."""
    sections: Sections = (
        parse_status(body["dsregcmd"])
        if "dsregcmd" in body
        else {name: dict(fields) for name, fields in body["sections"].items()}
    )
    if DEVICE_STATE not in sections and USER_STATE not in sections:
        raise RejectedBody(
            "the dsregcmd output has neither a Device State nor a User State section "
            "(run dsregcmd /status in the signed-in user's context and send all of its output)"
        )
    can_reset = _can_reset(field(sections, USER_STATE, "CanReset"))
    reported_tenant = field(sections, TENANT_DETAILS, "TenantId").lower()
    tenant = str(body.get("tenantId", "")).lower()
    if tenant and reported_tenant and tenant != reported_tenant:
        raise RejectedBody(
            f"tenantId {tenant} differs from the Tenant Details TenantId {reported_tenant[:40]} of the output"
        )
    tenant = tenant or reported_tenant
    if not tenant:
        raise RejectedBody("no tenant: send tenantId, or output with a Tenant Details section")
    if not _GUID.fullmatch(tenant):
        raise RejectedBody(f"the Tenant Details TenantId {tenant[:40]!r} is not a tenant ID (a GUID)")
    collected = _collected(body, received)
    return DeviceReport(
        intune_device_id=str(body["intuneDeviceId"]).lower(),
        tenant_id=tenant,
        received=received,
        collected=collected,
        can_reset=can_reset,
        ngc_set=yes_no(sections, USER_STATE, "NgcSet"),
        ngc_key_id=field(sections, USER_STATE, "NgcKeyId"),
        workplace_joined=yes_no(sections, USER_STATE, "WorkplaceJoined"),
        azure_ad_joined=yes_no(sections, DEVICE_STATE, "AzureAdJoined"),
        domain_joined=yes_no(sections, DEVICE_STATE, "DomainJoined"),
        entra_device_id=field(sections, DEVICE_DETAILS, "DeviceId").lower(),
        user_principal_name=str(body.get("userPrincipalName", "")),
        azure_ad_prt=yes_no(sections, SSO_STATE, "AzureAdPrt"),
    )


def _collected(body: Mapping[str, Any], received: datetime) -> datetime | None:
    """collectedDateTime in UTC (a culture's "." between hours, minutes and seconds is read as ":");
    refused when it is not a time Table Storage can keep and give back, or is after the receipt."""
    if "collectedDateTime" not in body:
        return None
    value = str(body["collectedDateTime"])
    dotted = _CULTURE_TIME.fullmatch(value)
    if dotted:
        value = f"{dotted[1]}:{dotted[2]}:{dotted[3]}{dotted[4]}"
    try:
        collected = parse_time(value)
    except OverflowError:  # year 1 or 9999 with an offset
        collected = None
    if collected is None:
        raise RejectedBody(f"collectedDateTime {value[:40]!r} is not a time")
    if not EARLIEST <= collected < LATEST:
        raise RejectedBody(f"collectedDateTime {value[:40]!r} is outside {EARLIEST.year} to {LATEST.year}")
    if collected > received + CLOCK_SKEW:
        raise RejectedBody(
            f"collectedDateTime {value[:40]!r} is later than the report was received ({iso(received)}): "
            "the device's clock or calendar is off (send the time as ISO 8601 in the invariant culture)"
        )
    return collected


def _can_reset(value: str) -> CanReset:
    for known in ("", *CAN_RESET_VALUES):
        if value == known:
            return known
    raise RejectedBody(f"User State CanReset is {value[:60]!r}, not one of {', '.join(CAN_RESET_VALUES)}")


def report_json(report: DeviceReport) -> dict[str, Any]:
    """The one public JSON shape of a stored report (route answers, CLI output, finding evidence)."""
    return {
        "intuneDeviceId": report.intune_device_id,
        "tenantId": report.tenant_id,
        "receivedDateTime": iso(report.received),
        "collectedDateTime": iso(report.collected) if report.collected else None,
        "canReset": report.can_reset or None,
        "ngcSet": report.ngc_set,
        "ngcKeyId": report.ngc_key_id or None,
        "workplaceJoined": report.workplace_joined,
        "azureAdJoined": report.azure_ad_joined,
        "domainJoined": report.domain_joined,
        "entraDeviceId": report.entra_device_id or None,
        "userPrincipalName": report.user_principal_name or None,
        "azureAdPrt": report.azure_ad_prt,
    }
