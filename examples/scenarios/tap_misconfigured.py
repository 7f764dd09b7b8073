"""The bundled tenant `tap-misconfigured`."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from examples.builder.constants import AZURE_PORTAL, TAP_POLICY_ID
from examples.builder.graph import tap_policy_object
from examples.builder.model import Expectations, GeneratedTenant, TenantSpec
from examples.builder.reference import App
from examples.builder.stories import everyday, routine_taps
from examples.builder.tenant import TenantBuilder


def tap_misconfigured() -> GeneratedTenant:
    spec = TenantSpec(
        name="tap-misconfigured",
        display_name="Wingtip Toys",
        story=(
            "The TAP policy allows reusable passes (isUsableOnce false) living up to 24 hours (default 8 "
            "h); 2 days ago a Privileged Authentication Administrator gave a Global Administrator a "
            "24-hour reusable pass, which the admin then used to sign in to the Azure portal and My Sign-"
            "ins."
        ),
        domain="wingtiptoys.com",
        initial_domain="wingtiptoys.onmicrosoft.com",
        country="GB",
        users=50,
        devices=35,
        created=datetime(2021, 4, 7, 9, 55, 18, tzinfo=UTC),
        street="2 Kingdom Street",
        postal_code="W2 6BD",
        pin_resets_per_day=2.5,
        noise_signins=240,
    )
    b = TenantBuilder(spec)
    b.tap_policy = tap_policy_object(
        default_lifetime=480, minimum_lifetime=60, maximum_lifetime=1440, usable_once=False
    )
    everyday(b)
    b.add_pin_resets(per_day=spec.pin_resets_per_day)
    admin, issuer = b.person(0), b.person(6)
    day_end = b.now - timedelta(days=2)
    issued = b.work_time(
        issuer.place, earliest=day_end - timedelta(hours=3), latest=day_end + timedelta(hours=2), office=True
    )
    b.ensure_history(admin, issued)
    tap = b.issue_tap(admin, issuer, issued, lifetime=1440, usable_once=False)
    portal = App(AZURE_PORTAL, "Azure Portal")
    b.tap_signin(tap, issued + timedelta(minutes=9, seconds=b.rng.randrange(60)), client=portal)
    b.tap_signin(tap, issued + timedelta(minutes=16, seconds=b.rng.randrange(60)))
    b.tap_signin(tap, issued + timedelta(hours=17, minutes=b.rng.randrange(60)), client=portal)
    routine_taps(b, (14, 4), exclude=[admin])
    b.recovery_settings_catalog(nested=True)
    b.notes |= {"privileged_tap_user": admin.id, "privileged_tap_issuer": issuer.id}
    return b.build(
        Expectations(
            fires={
                "tap.policy.multi-use": [TAP_POLICY_ID],
                "tap.policy.lifetime-too-long": [TAP_POLICY_ID],
                "tap.issued.privileged-user": [admin.id],
            }
        )
    )
