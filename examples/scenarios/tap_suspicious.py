"""The bundled tenant `tap-suspicious`."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from examples.builder.model import Expectations, GeneratedTenant, Person, Risk, TapIssuance, TenantSpec
from examples.builder.reference import PLACES
from examples.builder.stories import everyday, routine_taps, subjects
from examples.builder.tenant import TenantBuilder


def tap_suspicious() -> GeneratedTenant:
    spec = TenantSpec(
        name="tap-suspicious",
        display_name="Trey Research",
        story=(
            "TAP policy healthy, but three pass sign-ins need SOC review: user A's came with high sign-in"
            " risk, user B's came from Nigeria although B only ever signs in from Germany, and user C "
            "failed 8 times within 10 minutes before succeeding. Each had a pass from the helpdesk "
            "shortly before."
        ),
        domain="treyresearch.net",
        initial_domain="treyresearch.onmicrosoft.com",
        country="DE",
        users=85,
        devices=60,
        created=datetime(2019, 7, 1, 6, 30, 0, tzinfo=UTC),
        street="Theresienhöhe 28",
        postal_code="80339",
        pin_resets_per_day=3,
        noise_signins=300,
    )
    b = TenantBuilder(spec)
    everyday(b)
    b.add_pin_resets(per_day=spec.pin_resets_per_day)
    rng = b.rng
    user_a, user_b, user_c = rng.sample(b.ordinary, 3)
    helpdesk = b.helpdesk

    def issue(user: Person, days: int) -> TapIssuance:
        day_end = b.now - timedelta(days=days)
        issued = b.work_time(
            helpdesk.place,
            earliest=day_end - timedelta(hours=20),
            latest=day_end - timedelta(hours=2),
            office=True,
        )
        b.ensure_history(user, issued, count=4)
        return b.issue_tap(user, helpdesk, issued)

    tap_a = issue(user_a, 6)
    b.tap_signin(
        tap_a,
        tap_a.issued + timedelta(minutes=11, seconds=rng.randrange(60)),
        risk=Risk("high", "high", "atRisk", "none", ("unfamiliarFeatures",)),
    )
    tap_b = issue(user_b, 3)
    b.tap_signin(
        tap_b,
        tap_b.issued + timedelta(minutes=26, seconds=rng.randrange(60)),
        place=PLACES["NG"][0],
        ip="192.0.2.251",
        managed=False,
    )
    tap_c = issue(user_c, 1)
    start = tap_c.issued + timedelta(minutes=5, seconds=rng.randrange(60))
    for n in range(8):
        b.tap_signin(tap_c, start + timedelta(seconds=n * 68 + rng.randrange(20)), ok=False)
    b.tap_signin(tap_c, start + timedelta(minutes=10, seconds=rng.randrange(30)))
    routine_taps(b, (13,), exclude=[user_a, user_b, user_c])
    b.recovery_oma()
    b.notes |= {
        "user_a_high_risk": user_a.id,
        "user_b_new_country": user_b.id,
        "user_c_failure_burst": user_c.id,
    }
    return b.build(
        Expectations(
            fires={
                "tap.signin.risky": subjects((user_a, user_b)),
                "tap.signin.failure-burst": [user_c.id],
            }
        )
    )
