"""The bundled tenant `tap-disabled`."""

from __future__ import annotations

from datetime import UTC, datetime

from examples.builder.constants import TAP_POLICY_ID
from examples.builder.graph import tap_policy_object
from examples.builder.model import Expectations, GeneratedTenant, TenantSpec
from examples.builder.stories import everyday
from examples.builder.tenant import TenantBuilder


def tap_disabled() -> GeneratedTenant:
    spec = TenantSpec(
        name="tap-disabled",
        display_name="Alpine Ski House",
        story=(
            "The Temporary Access Pass method is disabled in the authentication methods policy, so users "
            "who lose their passwordless credential have no recovery path; no pass was issued in 30 days."
        ),
        domain="alpineskihouse.com",
        initial_domain="alpineskihouse.onmicrosoft.com",
        country="AT",
        users=45,
        devices=30,
        created=datetime(2022, 2, 1, 11, 11, 11, tzinfo=UTC),
        street="Mariahilfer Straße 77",
        postal_code="1060",
        pin_resets_per_day=2,
        noise_signins=220,
    )
    b = TenantBuilder(spec)
    b.tap_policy = tap_policy_object(state="disabled")
    everyday(b)
    b.add_pin_resets(per_day=spec.pin_resets_per_day)
    b.recovery_account_protection()
    return b.build(Expectations(fires={"tap.policy.disabled": [TAP_POLICY_ID]}))
