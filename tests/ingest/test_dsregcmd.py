from __future__ import annotations

from monitor.ingest.dsregcmd import parse_status, yes_no
from tests.ingest.samples import ENTRA_DEVICE_ID, dsregcmd_status
from tests.support import TENANT_ID


def test_the_documented_sections_are_read_with_their_fields() -> None:
    sections = parse_status(dsregcmd_status("DestructiveAndNonDestructive"))

    assert list(sections) == ["Device State", "Device Details", "Tenant Details", "User State", "SSO State"]
    assert sections["User State"]["CanReset"] == "DestructiveAndNonDestructive"
    assert sections["User State"]["NgcKeyId"] == "{FA0DB076-A5D7-4844-82D8-50A2FB42EC7B}"
    assert sections["User State"]["WamDefaultId"] == "https://login.microsoft.com"
    assert sections["Device Details"]["DeviceId"] == ENTRA_DEVICE_ID
    assert sections["Tenant Details"]["TenantId"] == TENANT_ID
    assert sections["SSO State"]["AzureAdPrtUpdateTime"] == "2026-11-20 08:15:26.000 UTC"
    assert sections["SSO State"]["EnterprisePrtAuthority"] == ""


def test_unknown_lines_and_sections_are_ignored_or_kept_as_printed() -> None:
    text = "\n".join(
        [
            "garbage before anything",
            "| Future Section |",
            "   NewField : 42",
            "| User State |",
            "   NgcSet : NO",
            "a line without a colon",
            "   NgcSet : YES",  # a repeat: the first value stands
            "   : no name",
        ]
    )

    assert parse_status(text) == {"Future Section": {"NewField": "42"}, "User State": {"NgcSet": "NO"}}


def test_yes_and_no_are_booleans_and_anything_else_unknown() -> None:
    sections = {"Device State": {"AzureAdJoined": "YES", "DomainJoined": "no", "EnterpriseJoined": "maybe"}}

    assert yes_no(sections, "Device State", "AzureAdJoined") is True
    assert yes_no(sections, "Device State", "DomainJoined") is False
    assert yes_no(sections, "Device State", "EnterpriseJoined") is None
    assert yes_no(sections, "User State", "NgcSet") is None
