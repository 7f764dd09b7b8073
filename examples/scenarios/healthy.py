"""The bundled tenant `healthy`."""

from __future__ import annotations

from datetime import UTC, datetime

from examples.builder.model import Expectations, GeneratedTenant, TenantSpec
from examples.builder.stories import everyday, routine_taps
from examples.builder.tenant import TenantBuilder


def healthy() -> GeneratedTenant:
    spec = TenantSpec(
        name="healthy",
        display_name="Contoso Ltd",
        story=(
            "Everything right: both PIN reset apps consented and enabled, PIN recovery enabled by an "
            "assigned Identity protection profile, supported Windows builds only, TAP policy strict and "
            "passes issued to ordinary users."
        ),
        domain="contoso.com",
        initial_domain="contosoltd.onmicrosoft.com",
        country="US",
        users=120,
        devices=90,
        created=datetime(2019, 3, 14, 16, 2, 11, tzinfo=UTC),
        street="1 Microsoft Way",
        postal_code="98052",
        pin_resets_per_day=5,
        noise_signins=450,
    )
    b = TenantBuilder(spec)
    everyday(b)
    b.add_pin_resets(per_day=spec.pin_resets_per_day)
    routine_taps(b, (22, 13, 5))
    b.recovery_identity_protection()
    return b.build(Expectations())
