"""What Intune really returns: legacy account protection intents, masked OMA strings, loose @odata.type."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

from graphsim import GraphSimulator
from monitor.collectors.intune import ACCOUNT_PROTECTION_TEMPLATE, INTENT_PIN_RECOVERY, read_device_policies
from monitor.graph.session import GraphSession
from monitor.records import DevicePolicy, OmaSetting
from tests.support import TENANT_ID, simulator_settings, write

INTENT = "b5a1e000-0000-4000-8000-000000000001"
BASELINE = "b5a1e000-0000-4000-8000-000000000002"
URI = f"./Device/Vendor/MSFT/Policy/PassportForWork/{TENANT_ID}/Policies/EnablePinRecovery"


def snapshot(root: Path, configurations: list[dict[str, Any]] | None = None) -> Path:
    write(root, "v1.0/organization", {"value": [{"id": TENANT_ID}]})
    write(root, "beta/deviceManagement/deviceConfigurations", {"value": configurations or []})
    write(
        root,
        "beta/deviceManagement/intents",
        {
            "value": [
                {
                    "id": INTENT,
                    "displayName": "WIN - Account protection",
                    "templateId": ACCOUNT_PROTECTION_TEMPLATE,
                },
                {"id": BASELINE, "displayName": "Security baseline", "templateId": "034ccd46-190c-4afc-adf1"},
            ]
        },
    )
    write(
        root,
        f"beta/deviceManagement/intents/{INTENT}/settings",
        {
            "value": [
                {
                    "@odata.type": "#microsoft.graph.deviceManagementBooleanSettingInstance",
                    "id": "s1",
                    "definitionId": INTENT_PIN_RECOVERY,
                    "valueJson": "true",
                    "value": True,
                }
            ]
        },
    )
    write(
        root,
        f"beta/deviceManagement/intents/{INTENT}/assignments",
        {
            "value": [
                {
                    "id": "a1",
                    "target": {"@odata.type": "#microsoft.graph.allDevicesAssignmentTarget"},
                }
            ]
        },
    )
    return root


def read(root: Path) -> tuple[tuple[DevicePolicy, ...], GraphSimulator]:
    async def go(url: str) -> tuple[DevicePolicy, ...]:
        async with GraphSession(simulator_settings(url)) as graph:
            return await read_device_policies(graph)

    with GraphSimulator(root) as sim:
        return asyncio.run(go(sim.url)), sim


def test_legacy_account_protection_intents_are_read_with_their_settings_and_assignments(
    tmp_path: Path,
) -> None:
    found, sim = read(snapshot(tmp_path))
    assert found == (
        DevicePolicy(
            id=INTENT,
            name="WIN - Account protection",
            kind="account-protection-intent",
            odata_type="",
            targets=("all devices",),
            pin_recovery_enabled=True,
            template=f"intent {ACCOUNT_PROTECTION_TEMPLATE}",
        ),
    )
    # Only the account protection intent's settings and assignments are read, not the baseline's.
    assert [r.path for r in sim.requests if "/intents/" in r.path] == [
        f"/beta/deviceManagement/intents/{INTENT}/settings",
        f"/beta/deviceManagement/intents/{INTENT}/assignments",
    ]


def test_masked_strings_and_loosely_spelled_types_are_read_as_intune_means_them(tmp_path: Path) -> None:
    profile = {
        "@odata.type": "microsoft.graph.WINDOWS10CUSTOMCONFIGURATION",
        "id": "oma-1",
        "displayName": "PIN recovery",
        "omaSettings": [
            {
                "@odata.type": "#Microsoft.Graph.omaSettingString",
                "omaUri": URI,
                "value": "****",
                "isEncrypted": True,
                "secretReferenceValueId": "8d9c0000-0000-4000-8000-000000000001_oma-1_s",
            },
            {"@odata.type": "omaSettingBoolean", "omaUri": URI, "value": True},
        ],
    }
    (policy, _intent), _ = read(snapshot(tmp_path, [profile]))
    assert (policy.kind, policy.odata_type) == ("custom", "#microsoft.graph.windows10CustomConfiguration")
    assert policy.oma_settings == (
        OmaSetting(URI, "#microsoft.graph.omaSettingString", "****", is_encrypted=True),
        OmaSetting(URI, "#microsoft.graph.omaSettingBoolean", True),
    )
