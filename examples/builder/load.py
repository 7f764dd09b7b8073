"""Load tenants for benchmarks and targeting tests: a healthy tenant with exactly N sign-ins."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

from examples.builder.constants import NOW
from examples.builder.graph import tap_policy_object
from examples.builder.model import Expectations, GeneratedTenant, TenantDescription, TenantSpec
from examples.builder.snapshot import write_tenant
from examples.builder.tenant import _USER_SIDE_FAILURES, TenantBuilder


def load_tenant(
    *, signins: int, tap_users: int = 5, pin_reset_share: float = 1.0, seed: int = 0, now: datetime = NOW
) -> GeneratedTenant:
    """A healthy tenant whose sign-in log holds exactly `signins` sign-ins over the last 14 days.

    `pin_reset_share` of them are PIN reset sign-ins (both kinds, mostly successes), the rest everyday
    noise; `tap_users` users were issued a pass (audits) and used it (PIN reset sign-ins with the pass, or
    My Sign-ins when there are no PIN reset sign-ins to spend).
    """
    if signins < 0 or tap_users < 0 or not 0.0 <= pin_reset_share <= 1.0:
        raise ValueError("signins and tap_users must be >= 0 and pin_reset_share within [0, 1]")
    users = max(60, min(4000, signins // 40 + 4 * tap_users))
    spec = TenantSpec(
        name=f"load-{seed}",
        display_name="Proseware Inc",
        story=(
            f"Load tenant: {signins} sign-ins over 14 days, {pin_reset_share:.0%} of them PIN reset "
            "sign-ins, "
            f"{tap_users} users with a Temporary Access Pass."
        ),
        domain="proseware.com",
        initial_domain="prosewareinc.onmicrosoft.com",
        country="US",
        users=users,
        devices=round(users * 0.9),
        created=datetime(2016, 9, 12, 8, 0, 0, tzinfo=UTC),
        street="123 Elm Street",
        postal_code="98052",
        days=14,
        noise_signins=0,
        noise_audits=min(500, 20 + users // 10),
        windows_share=0.9,
    )
    b = TenantBuilder(spec, now=now, seed=seed, compact_signins=True)
    # The portal's defaults let a pass be used more than once, so one pass can sign in 1-3 times
    # (https://learn.microsoft.com/entra/identity/authentication/howto-authentication-temporary-access-pass).
    b.tap_policy = tap_policy_object(usable_once=False)
    rng = b.rng
    pin_budget = round(signins * pin_reset_share)
    noise_budget = signins - pin_budget
    candidates = b.ordinary
    for user in rng.sample(candidates, min(tap_users, len(candidates))):
        issued = b.work_time(
            b.helpdesk.place,
            earliest=b.earliest + timedelta(hours=1),
            latest=now - timedelta(hours=3),
            office=True,
        )
        tap = b.issue_tap(user, b.helpdesk, issued)
        for use in range(rng.randint(1, 3)):
            when = min(issued + timedelta(minutes=5 + 7 * use, seconds=rng.randrange(300)), b.latest)
            if pin_budget >= 1:
                pair = pin_budget >= 2
                b.pin_reset_attempt(user, when, with_tap=True, client=pair)
                tap.uses.append(when)
                pin_budget -= 2 if pair else 1
            elif noise_budget >= 1:
                b.tap_signin(tap, when)
                noise_budget -= 1
    people = b.resetters()
    while pin_budget > 0:
        person = rng.choice(people)
        when = b.work_time(person.place)
        if rng.random() < 0.03:  # a user-side failure: the reset stops at the user's own sign-in
            b.pin_reset_attempt(person, when, service_code=rng.choice(_USER_SIDE_FAILURES), client=False)
            pin_budget -= 1
        else:
            pair = pin_budget >= 2
            b.pin_reset_attempt(person, when, client=pair)
            pin_budget -= 2 if pair else 1
    b.add_noise_signins(noise_budget)
    b.add_noise_audits(spec.noise_audits)
    b.add_intune_noise()
    b.recovery_identity_protection()
    return b.build(Expectations())


def write_load_tenant(
    directory: Path,
    *,
    signins: int,
    tap_users: int = 5,
    pin_reset_share: float = 1.0,
    seed: int = 0,
    now: datetime = NOW,
) -> TenantDescription:
    """Write a load tenant (see load_tenant) under `directory`; returns its description (IDs and counts)."""
    tenant = load_tenant(
        signins=signins, tap_users=tap_users, pin_reset_share=pin_reset_share, seed=seed, now=now
    )
    write_tenant(Path(directory), tenant, fast=True)
    return tenant.description
