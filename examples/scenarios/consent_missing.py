"""The bundled tenant `consent-missing`."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from examples.builder.constants import PIN_RESET_SERVICE, PIN_RESET_SERVICE_NAME
from examples.builder.graph import all_users_target, audit_target
from examples.builder.ids import iso
from examples.builder.model import Expectations, GeneratedTenant, TenantSpec
from examples.builder.reference import EDGE_UA
from examples.builder.stories import everyday, routine_taps
from examples.builder.tenant import TenantBuilder


def consent_missing() -> GeneratedTenant:
    spec = TenantSpec(
        name="consent-missing",
        display_name="Northwind Traders",
        story=(
            "An admin tidying up 'unused' enterprise apps deleted the Microsoft Pin Reset Service "
            "Production service principal 9 days ago; every PIN reset since fails (700016 for the "
            "Service, 500011 and 65001 for the Client's sign-ins to it) while the Client app is still "
            "present and enabled."
        ),
        domain="northwindtraders.com",
        initial_domain="northwindtraders.onmicrosoft.com",
        country="DE",
        users=90,
        devices=70,
        created=datetime(2020, 6, 2, 8, 41, 53, tzinfo=UTC),
        street="Friedrichstraße 68",
        postal_code="10117",
        pin_resets_per_day=4,
        noise_signins=300,
    )
    b = TenantBuilder(spec)
    everyday(b)
    deleted = b.work_time(
        b.person(0).place,
        earliest=b.now - timedelta(days=9, hours=6),
        latest=b.now - timedelta(days=9),
        office=True,
    )
    b.pin_apps[PIN_RESET_SERVICE] = "missing"
    admin = b.person(0)
    b.audit(
        deleted,
        category="ApplicationManagement",
        activity="Delete service principal",
        service="Core Directory",
        operation="Delete",
        reason="",
        by_user=admin,
        targets=[
            audit_target(
                b.sp_ids[PIN_RESET_SERVICE],
                type_="ServicePrincipal",
                display_name=PIN_RESET_SERVICE_NAME,
                modified=[
                    ("AccountEnabled", "[true]", "[]"),
                    ("AppPrincipalId", f'["{PIN_RESET_SERVICE}"]', "[]"),
                    ("DisplayName", f'["{PIN_RESET_SERVICE_NAME}"]', "[]"),
                    ("ServicePrincipalName", f'["{PIN_RESET_SERVICE}"]', "[]"),
                    (
                        "Included Updated Properties",
                        None,
                        '"AccountEnabled, AppPrincipalId, DisplayName, ServicePrincipalName"',
                    ),
                ],
            )
        ],
        details=[("AppId", PIN_RESET_SERVICE), ("User-Agent", EDGE_UA)],
    )
    rng = b.rng

    def outcome(when: datetime) -> tuple[int, int]:
        if when < deleted:
            return 0, 0
        return 700016, rng.choice((500011, 500011, 500011, 65001))

    b.add_pin_resets(per_day=spec.pin_resets_per_day, outcome=outcome, recent=4)
    routine_taps(b, (18, 11), pin_reset_with_tap=False)
    b.recovery_settings_catalog(nested=True, targets=[all_users_target()])
    b.notes["service_principal_deleted"] = iso(deleted)
    return b.build(
        Expectations(
            fires={
                "consent.pin-reset-service.missing": [PIN_RESET_SERVICE],
                "signin.pin-reset.consent-errors": [b.tenant_id],
            },
            # signin.pin-reset.failure-spike passes: every reset has failed for 9 days, so the last
            # window is no rise over the baseline days before it.
        )
    )
