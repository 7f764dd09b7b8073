"""The bundled tenant `no-licence`."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from examples.builder.constants import FREE_AUDIT_DAYS
from examples.builder.model import Expectations, GeneratedTenant, TenantSpec
from examples.builder.tenant import TenantBuilder


def no_licence() -> GeneratedTenant:
    spec = TenantSpec(
        name="no-licence",
        display_name="Fourth Coffee",
        story=(
            "A small tenant on Microsoft 365 Business Basic: no Entra ID P1 (the sign-in log answers 403)"
            " and no Intune (deviceManagement answers 400); both PIN reset apps consented, TAP policy "
            "healthy, audit log kept for 7 days."
        ),
        domain="fourthcoffee.com",
        initial_domain="fourthcoffee.onmicrosoft.com",
        country="US",
        users=40,
        devices=0,
        created=datetime(2023, 3, 3, 17, 45, 0, tzinfo=UTC),
        street="4567 Main Street",
        postal_code="98052",
        licence="Free",
        pin_resets_per_day=0,
        noise_signins=0,
        noise_audits=25,
    )
    b = TenantBuilder(spec)
    b.add_noise_audits(spec.noise_audits, earliest=b.now - timedelta(days=FREE_AUDIT_DAYS))
    user = b.rng.choice([p for p in b.people if p.signs_in and not p.roles])
    issued = b.work_time(
        b.helpdesk.place, earliest=b.now - timedelta(days=4), latest=b.now - timedelta(days=3), office=True
    )
    b.issue_tap(user, b.helpdesk, issued)
    b.simulator_responses = [
        {
            "path": "beta/auditLogs/signIns",
            "status": 403,
            "code": "Authentication_RequestFromNonPremiumTenantOrB2CTenant",
            "message": "Neither tenant is B2C or tenant doesn't have premium license",
        },
        {
            "path": "beta/deviceManagement",
            "status": 400,
            "code": "BadRequest",
            "message": "Request not applicable to target tenant.",
        },
    ]
    no_p1 = (
        "the sign-in log needs Entra ID P1: Graph answers 403 "
        "Authentication_RequestFromNonPremiumTenantOrB2CTenant"
    )
    no_intune = (
        "no Intune licence: beta/deviceManagement answers 400 'Request not applicable to target tenant.'"
    )
    return b.build(
        Expectations(
            skipped={
                "signin.pin-reset.consent-errors": no_p1,
                "signin.pin-reset.failure-spike": no_p1,
                "tap.signin.risky": no_p1,
                "tap.signin.failure-burst": no_p1,
                "tap.recovery.old-methods-kept": no_p1,
                "policy.pin-recovery.not-configured": no_intune,
                "policy.pin-recovery.oma-uri-invalid": no_intune,
                "device.pin-reset.unsupported-os": no_intune,
                "device.pin-reset.destructive-only": no_intune,
            },
            unasserted={
                "policy.web-signin-urls.missing": "no domain is federated, so nothing is missing (pass); an "
                "implementation that reads Intune first may report skipped"
            },
        )
    )
