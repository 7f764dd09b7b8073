"""The bundled tenant `legacy-intent`: PIN recovery enabled only by a legacy Endpoint security policy.

https://learn.microsoft.com/graph/api/resources/intune-deviceintent-devicemanagementintent
"""

from __future__ import annotations

from datetime import UTC, datetime

from examples.builder.graph import group_target
from examples.builder.model import Expectations, GeneratedTenant, TenantSpec
from examples.builder.stories import everyday, routine_taps
from examples.builder.tenant import TenantBuilder


def legacy_intent() -> GeneratedTenant:
    spec = TenantSpec(
        name="legacy-intent",
        display_name="Margie's Travel",
        story=(
            "PIN recovery is enabled only by an Endpoint security account protection policy created from "
            "the Account protection template years ago, before the settings catalog: Graph lists it under "
            "beta deviceManagement/intents (with its settings and assignments), not under "
            "configurationPolicies. Everything else healthy."
        ),
        domain="margiestravel.com",
        initial_domain="margiestravel.onmicrosoft.com",
        country="CA",
        users=65,
        devices=50,
        created=datetime(2016, 11, 28, 18, 37, 9, tzinfo=UTC),
        street="300 Bay Street",
        postal_code="M5H 2S8",
        pin_resets_per_day=3,
        noise_signins=250,
    )
    b = TenantBuilder(spec)
    everyday(b)
    b.add_pin_resets(per_day=spec.pin_resets_per_day)
    routine_taps(b, (20, 9))
    intent = b.recovery_intent(
        targets=[group_target(b.group("SG-Intune-Windows-Devices"))],
        name="ES - Account protection - Windows Hello (legacy)",
    )
    b.notes["legacy_account_protection_intent"] = intent["id"]
    return b.build(Expectations())
