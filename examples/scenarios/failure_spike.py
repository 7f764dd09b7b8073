"""The bundled tenant `failure-spike`."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

from examples.builder.graph import audit_target
from examples.builder.ids import guid, iso
from examples.builder.model import Expectations, GeneratedTenant, TenantSpec
from examples.builder.reference import FIRST_PARTY_APPS
from examples.builder.stories import everyday, routine_taps
from examples.builder.tenant import TenantBuilder


def failure_spike() -> GeneratedTenant:
    spec = TenantSpec(
        name="failure-spike",
        display_name="Relecloud",
        story=(
            "Apps and policies fine and PIN reset failures low (0-3 a day) for weeks; 3.5 hours ago a new"
            " Conditional Access policy started blocking the PIN reset apps and about 45 reset sign-ins "
            "have failed since, mostly with 53003."
        ),
        domain="relecloud.com",
        initial_domain="relecloud.onmicrosoft.com",
        country="GB",
        users=150,
        devices=120,
        created=datetime(2018, 8, 20, 12, 0, 5, tzinfo=UTC),
        street="1 Canada Square",
        postal_code="E14 5AB",
        pin_resets_per_day=6,
        noise_signins=400,
    )
    b = TenantBuilder(spec)
    everyday(b)
    security = b.person(6)
    created = b.now - timedelta(
        hours=3, minutes=30, seconds=b.rng.randrange(60), microseconds=b.rng.randrange(1_000_000)
    )
    policy_id = guid(spec.key, "ca", "block")
    name = "CA010: Block access to unapproved cloud apps"
    b.ca_block = (policy_id, name, created)
    definition = json.dumps(
        {
            "id": policy_id,
            "displayName": name,
            "state": "enabled",
            "conditions": {
                "applications": {
                    "includeApplications": ["All"],
                    "excludeApplications": [app.app_id for app in FIRST_PARTY_APPS[:6]],
                },
                "users": {"includeUsers": ["All"], "excludeUsers": [b.person(1).id]},
            },
            "grantControls": {"operator": "OR", "builtInControls": ["block"]},
        },
        separators=(",", ":"),
    )
    b.audit(
        created,
        category="Policy",
        activity="Add conditional access policy",
        service="Conditional Access",
        operation="Add",
        reason="",
        by_user=security,
        targets=[
            audit_target(
                policy_id,
                type_="Policy",
                display_name=name,
                modified=[("ConditionalAccessPolicy", None, definition)],
            )
        ],
    )
    baseline = b.add_pin_resets(
        per_day=spec.pin_resets_per_day,
        latest=created,
        user_failure_rate=0.15,
        user_failures=(50126, 50126, 50076, 50079, 53000),
    )
    rng = b.rng
    people = b.resetters()
    spike = 0
    while spike < 45:
        person = rng.choice(people)
        when = b.any_time(created + timedelta(minutes=25), b.latest - timedelta(minutes=3))
        user_failure = 50126 if rng.random() < 0.1 else None
        spike += b.pin_reset_attempt(
            person,
            when,
            service_code=53003,
            client_code=53003,
            user_failure=user_failure,
            client=rng.random() < 0.5,
        )
    routine_taps(b, (21, 10, 6))
    b.recovery_identity_protection()
    b.notes |= {
        "conditional_access_policy": policy_id,
        "policy_created": iso(created),
        "spike_failures": spike,
        "baseline_failures": baseline,
    }
    return b.build(Expectations(fires={"signin.pin-reset.failure-spike": [b.tenant_id]}))
