"""The bundled tenant `legacy-devices`."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any, Final

from examples.builder.model import Expectations, GeneratedTenant, TenantSpec
from examples.builder.stories import everyday, routine_taps
from examples.builder.tenant import TenantBuilder

# osVersion, skuFamily, joinType, can it do a non-destructive reset (Enterprise 1709-1809,
# Enterprise or Pro 1903 and later, Windows 11: https://learn.microsoft.com/windows/security/identity-protection/hello-for-business/pin-reset)?
LEGACY_DEVICES: Final = (
    ("10.0.14393.7428", "Enterprise", "hybridAzureADJoined", False),
    ("10.0.15063.2679", "Enterprise", "hybridAzureADJoined", False),
    ("10.0.16299.2166", "Pro", "azureADJoined", False),
    ("10.0.17763.6414", "Pro", "azureADJoined", False),
    ("10.0.19045.5131", "Core", "azureADRegistered", False),
    ("10.0.16299.2166", "Enterprise", "hybridAzureADJoined", True),
    ("10.0.17763.6414", "Enterprise", "hybridAzureADJoined", True),
    ("10.0.18362.1256", "Pro", "azureADJoined", True),
    ("10.0.22631.4460", "Pro", "azureADJoined", True),
)


def legacy_devices() -> GeneratedTenant:
    spec = TenantSpec(
        name="legacy-devices",
        display_name="Lamna Healthcare",
        story=(
            "Apps and policy fine, but some managed Windows devices cannot do a non-destructive reset by "
            "edition and build (1607 and 1703 Enterprise, 1709 and 1809 Pro, 22H2 Home) next to ones that"
            " can (1709 and 1809 Enterprise, 1903 Pro, Windows 11 Pro)."
        ),
        domain="lamnahealthcare.com",
        initial_domain="lamnahealthcare.onmicrosoft.com",
        country="CA",
        users=75,
        devices=50,
        created=datetime(2018, 2, 12, 14, 0, 37, tzinfo=UTC),
        street="220 Yonge Street",
        postal_code="M5B 2H1",
        licence="P1",
        pin_resets_per_day=3,
        noise_signins=280,
        hybrid_share=0.4,
    )
    b = TenantBuilder(spec)
    owners = [p for p in b.people if p.signs_in and not p.roles and not p.devices]
    verdicts: list[dict[str, Any]] = []
    for n, (build, sku, join_type, supported) in enumerate(LEGACY_DEVICES):
        device = b.add_windows_device(owners[n], spec.devices + n, build=build, sku=sku, join_type=join_type)
        verdicts.append(
            {
                "id": device.intune_id,
                "deviceName": device.name,
                "windows": device.label,
                "osVersion": build,
                "skuFamily": sku,
                "joinType": join_type,
                "nonDestructiveReset": supported,
            }
        )
    everyday(b)
    b.add_pin_resets(per_day=spec.pin_resets_per_day)
    routine_taps(b, (17, 7))
    b.recovery_identity_protection()
    b.notes["legacy_devices"] = verdicts
    return b.build(
        Expectations(
            fires={
                "device.pin-reset.unsupported-os": [
                    v["id"] for v in verdicts if not v["nonDestructiveReset"]
                ],
            }
        )
    )
