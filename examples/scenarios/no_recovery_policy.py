"""The bundled tenant `no-recovery-policy`."""

from __future__ import annotations

from datetime import UTC, datetime

from examples.builder.constants import PASSPORT
from examples.builder.graph import all_devices_target, configuration_policy, group_collection_instance
from examples.builder.model import Expectations, GeneratedTenant, TenantSpec
from examples.builder.stories import everyday, routine_taps
from examples.builder.tenant import TenantBuilder


def no_recovery_policy() -> GeneratedTenant:
    spec = TenantSpec(
        name="no-recovery-policy",
        display_name="Adventure Works",
        story=(
            "Apps fine and Windows devices managed, but no assigned policy enables PIN recovery: the "
            "Identity protection profile has PIN recovery off, and the settings catalog policy that turns"
            " it on was never assigned (an assigned Windows Hello baseline does not touch it)."
        ),
        domain="adventure-works.com",
        initial_domain="adventureworks.onmicrosoft.com",
        country="NL",
        users=70,
        devices=55,
        created=datetime(2020, 9, 23, 7, 5, 31, tzinfo=UTC),
        street="Herengracht 182",
        postal_code="1016 BR",
        pin_resets_per_day=3,
        noise_signins=260,
    )
    b = TenantBuilder(spec)
    everyday(b)
    b.add_pin_resets(per_day=spec.pin_resets_per_day)
    routine_taps(b, (15, 4))
    off = b.recovery_identity_protection(enabled=False)
    draft = b.recovery_settings_catalog(
        nested=True, targets=[], name="WIN - Windows Hello for Business - PIN recovery (draft)"
    )
    created, modified = b.policy_time(330)
    baseline = configuration_policy(
        policy_id=b.next_id("configurationPolicy"),
        name="WIN - Windows Hello for Business - baseline",
        created=created,
        modified=modified,
        targets=[all_devices_target()],
        settings=[group_collection_instance(PASSPORT, b.whfb_settings(recovery=None))],
        description="Windows Hello for Business on, TPM required, PIN 6+",
    )
    b.configuration_policies.append(baseline)
    b.notes |= {
        "pin_recovery_off_profile": off["id"],
        "unassigned_recovery_policy": draft["id"],
        "whfb_baseline_without_recovery": baseline["id"],
    }
    return b.build(Expectations(fires={"policy.pin-recovery.not-configured": [b.tenant_id]}))
