"""The bundled tenant `client-missing`."""

from __future__ import annotations

from datetime import UTC, datetime

from examples.builder.constants import PIN_RESET_CLIENT
from examples.builder.model import Expectations, GeneratedTenant, TenantSpec
from examples.builder.stories import everyday, routine_taps
from examples.builder.tenant import TenantBuilder


def client_missing() -> GeneratedTenant:
    spec = TenantSpec(
        name="client-missing",
        display_name="Tailspin Toys",
        story=(
            "Only the Service app was ever consented: Microsoft Pin Reset Client Production has no "
            "service principal, so every Client sign-in fails with 700016 across the 30 days; PIN "
            "recovery is enabled by a correct custom OMA-URI profile."
        ),
        domain="tailspintoys.com",
        initial_domain="tailspintoys.onmicrosoft.com",
        country="GB",
        users=60,
        devices=45,
        created=datetime(2021, 1, 19, 10, 12, 5, tzinfo=UTC),
        street="10 Finsbury Square",
        postal_code="EC2A 1AF",
        licence="P1",
        pin_resets_per_day=3,
        noise_signins=250,
    )
    b = TenantBuilder(spec)
    everyday(b)
    b.pin_apps[PIN_RESET_CLIENT] = "missing"
    b.add_pin_resets(
        per_day=spec.pin_resets_per_day, outcome=lambda when: (0, 700016), recent=4, retry_rate=0.3
    )
    routine_taps(b, (16, 6), pin_reset_with_tap=False)
    b.recovery_oma()
    return b.build(
        Expectations(
            fires={
                "consent.pin-reset-client.missing": [PIN_RESET_CLIENT],
                "signin.pin-reset.consent-errors": [b.tenant_id],
            },
            # signin.pin-reset.failure-spike passes: the Client has failed at the same rate for 30 days.
        )
    )
