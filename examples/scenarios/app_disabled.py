"""The bundled tenant `app-disabled`."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from examples.builder.constants import PIN_RESET_SERVICE, PIN_RESET_SERVICE_NAME
from examples.builder.graph import audit_target
from examples.builder.ids import iso
from examples.builder.model import Expectations, GeneratedTenant, TenantSpec
from examples.builder.reference import EDGE_UA
from examples.builder.stories import everyday, routine_taps
from examples.builder.tenant import TenantBuilder


def app_disabled() -> GeneratedTenant:
    spec = TenantSpec(
        name="app-disabled",
        display_name="Woodgrove Bank",
        story=(
            "Both PIN reset apps are consented, but 5 days ago an admin set 'Enabled for users to sign "
            "in' to No on the Service's enterprise app (accountEnabled false); since then resets fail "
            "with 7000112 (some 70001). PIN recovery comes from an endpoint security account protection "
            "policy."
        ),
        domain="woodgrovebank.com",
        initial_domain="woodgrovebank.onmicrosoft.com",
        country="US",
        users=100,
        devices=80,
        created=datetime(2018, 11, 5, 19, 30, 44, tzinfo=UTC),
        street="500 Pine Street",
        postal_code="98101",
        pin_resets_per_day=4,
        noise_signins=320,
    )
    b = TenantBuilder(spec)
    everyday(b)
    disabled = b.work_time(
        b.person(0).place,
        earliest=b.now - timedelta(days=5, hours=6),
        latest=b.now - timedelta(days=5) + timedelta(hours=10),
        weekends=1.0,
        office=True,
    )
    b.pin_apps[PIN_RESET_SERVICE] = "disabled"
    b.audit(
        disabled,
        category="ApplicationManagement",
        activity="Update service principal",
        service="Core Directory",
        operation="Update",
        reason="",
        by_user=b.person(0),
        targets=[
            audit_target(
                b.sp_ids[PIN_RESET_SERVICE],
                type_="ServicePrincipal",
                display_name=PIN_RESET_SERVICE_NAME,
                modified=[
                    ("AccountEnabled", "[true]", "[false]"),
                    ("Included Updated Properties", None, '"AccountEnabled"'),
                ],
            )
        ],
        details=[("AppId", PIN_RESET_SERVICE), ("User-Agent", EDGE_UA)],
    )
    rng = b.rng

    def outcome(when: datetime) -> tuple[int, int]:
        if when < disabled:
            return 0, 0
        return rng.choice((7000112, 7000112, 7000112, 70001)), 7000112

    b.add_pin_resets(per_day=spec.pin_resets_per_day, outcome=outcome, recent=4)
    routine_taps(b, (20, 9, 3))
    b.recovery_account_protection()
    b.notes["service_principal_disabled"] = iso(disabled)
    return b.build(
        Expectations(
            fires={
                "consent.pin-reset-app.disabled": [PIN_RESET_SERVICE],
                "signin.pin-reset.consent-errors": [b.tenant_id],
            },
            # signin.pin-reset.failure-spike passes: resets have failed at the same rate for 5 days, so the
            # last window is no rise over the baseline days before it.
        )
    )
