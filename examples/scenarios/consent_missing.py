"""The bundled tenant `consent-missing`, and its fixed twin `consent-missing-fixed`."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from examples.builder.constants import PIN_RESET_SERVICE, PIN_RESET_SERVICE_NAME
from examples.builder.graph import all_users_target, audit_target
from examples.builder.ids import guid, iso
from examples.builder.model import Expectations, GeneratedTenant, TenantSpec
from examples.builder.reference import EDGE_UA
from examples.builder.stories import everyday, routine_taps
from examples.builder.tenant import TenantBuilder

# The fixed twin: an admin re-consented the Service app this long before the snapshot time, so the last
# consent failure is outside the monitor's 24-hour consent-error window.
CONSENT_RESTORED_AGO = timedelta(hours=25, minutes=17)


def consent_missing() -> GeneratedTenant:
    return _northwind(fixed=False)


def consent_missing_fixed() -> GeneratedTenant:
    return _northwind(fixed=True)


def _northwind(*, fixed: bool) -> GeneratedTenant:
    """consent-missing, and its fixed twin: the same tenant, people, devices and history (same IDs and
    random draws) up to the moment an admin restored the Service app's consent."""
    spec = TenantSpec(
        name="consent-missing-fixed" if fixed else "consent-missing",
        display_name="Northwind Traders",
        story=(
            "The fixed twin of consent-missing (same tenant, users, devices and history): 8 days after the "
            "Microsoft Pin Reset Service Production service principal was deleted, an admin opened the "
            "admin-consent link again (25 hours before the snapshot time); every PIN reset since succeeds."
            if fixed
            else "An admin tidying up 'unused' enterprise apps deleted the Microsoft Pin Reset Service "
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
        twin_of="consent-missing" if fixed else "",
    )
    b = TenantBuilder(spec)
    everyday(b)
    deleted = b.work_time(
        b.person(0).place,
        earliest=b.now - timedelta(days=9, hours=6),
        latest=b.now - timedelta(days=9),
        office=True,
    )
    restored = b.now - CONSENT_RESTORED_AGO if fixed else None
    if fixed:
        # Consent creates a new service principal: a new object ID for the same appId.
        b.sp_ids[PIN_RESET_SERVICE] = guid(spec.name, "servicePrincipal", PIN_RESET_SERVICE)
    else:
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
                guid(spec.key, "servicePrincipal", PIN_RESET_SERVICE),
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
        if when < deleted or (restored is not None and when >= restored):
            return 0, 0
        return 700016, rng.choice((500011, 500011, 500011, 65001))

    b.add_pin_resets(per_day=spec.pin_resets_per_day, outcome=outcome, recent=4)
    routine_taps(b, (18, 11), pin_reset_with_tap=False)
    b.recovery_settings_catalog(nested=True, targets=[all_users_target()])
    b.notes["service_principal_deleted"] = iso(deleted)
    if restored is not None:
        # After the rest, so the twin's random draws match consent-missing's up to here.
        new_sp = b.sp_ids[PIN_RESET_SERVICE]
        for activity, operation in (("Add service principal", "Add"), ("Consent to application", "Assign")):
            b.audit(
                restored,
                category="ApplicationManagement",
                activity=activity,
                service="Core Directory",
                operation=operation,
                reason="",
                by_user=admin,
                targets=[audit_target(new_sp, type_="ServicePrincipal", display_name=PIN_RESET_SERVICE_NAME)],
                details=[("AppId", PIN_RESET_SERVICE), ("User-Agent", EDGE_UA)],
            )
        b.notes["service_principal_restored"] = iso(restored)
        return b.build(Expectations())
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
