"""The bundled tenant `hybrid-gpo`: PIN recovery comes from Group Policy, which Graph cannot see.

https://learn.microsoft.com/windows/security/identity-protection/hello-for-business/pin-reset
"""

from __future__ import annotations

from datetime import UTC, datetime

from examples.builder.model import Expectations, GeneratedTenant, TenantSpec
from examples.builder.stories import everyday, routine_taps
from examples.builder.tenant import TenantBuilder


def hybrid_gpo() -> GeneratedTenant:
    spec = TenantSpec(
        name="hybrid-gpo",
        display_name="Coho Winery",
        story=(
            "Every Windows device is hybrid joined (some co-managed): Windows Hello for Business and PIN "
            "recovery are deployed by Group Policy (Use PIN Recovery), which Microsoft Graph cannot see, "
            "so no Intune policy enables PIN recovery. PIN resets succeed; the monitor must say what it "
            "could not see rather than raise a false alarm."
        ),
        domain="cohowinery.com",
        initial_domain="cohowinery.onmicrosoft.com",
        country="FR",
        users=70,
        devices=55,
        created=datetime(2017, 9, 4, 9, 12, 51, tzinfo=UTC),
        street="12 Rue de la Paix",
        postal_code="75002",
        pin_resets_per_day=3,
        noise_signins=260,
        hybrid_share=1.0,
    )
    b = TenantBuilder(spec)
    everyday(b)
    b.add_pin_resets(per_day=spec.pin_resets_per_day)
    routine_taps(b, (16, 5))
    windows = [d for d in b.devices if d.platform == "Windows"]
    b.notes["hybrid_joined_windows_devices"] = f"{len(windows)} of {len(windows)}"
    return b.build(
        Expectations(
            skipped={
                "policy.pin-recovery.not-configured": "every Windows device is hybrid joined and no Intune "
                "policy enables PIN recovery: Group Policy may enable it, and Graph cannot see Group Policy"
            }
        )
    )
