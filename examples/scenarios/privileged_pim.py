"""The bundled tenant `privileged-pim`: privileged roles held through PIM and a role-assignable group.

https://learn.microsoft.com/entra/id-governance/privileged-identity-management/pim-configure
https://learn.microsoft.com/entra/identity/role-based-access-control/groups-concept
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from examples.builder.constants import GLOBAL_ADMIN, PRIVILEGED_AUTH_ADMIN, PRIVILEGED_ROLE_ADMIN
from examples.builder.model import Expectations, GeneratedTenant, Person, TenantSpec
from examples.builder.stories import everyday, routine_taps
from examples.builder.tenant import TenantBuilder


def privileged_pim() -> GeneratedTenant:
    spec = TenantSpec(
        name="privileged-pim",
        display_name="VanArsdel Ltd",
        story=(
            "A well-run tenant that grants admin roles through Privileged Identity Management and a "
            "role-assignable group, and three of those admins were issued a Temporary Access Pass: one is "
            "only PIM-eligible for Global Administrator (roleAssignments does not list them), one "
            "activated Privileged Role Administrator through PIM this morning (an 8-hour activation, "
            "listed in roleAssignments while it lasts), and one holds Privileged Authentication "
            "Administrator as a member of a role-assignable group (roleAssignments names the group)."
        ),
        domain="vanarsdelltd.com",
        initial_domain="vanarsdelltd.onmicrosoft.com",
        country="US",
        users=80,
        devices=60,
        created=datetime(2019, 1, 22, 15, 4, 40, tzinfo=UTC),
        street="1500 Fourth Avenue",
        postal_code="98101",
        pin_resets_per_day=3,
        noise_signins=280,
    )
    b = TenantBuilder(spec)
    everyday(b)
    b.add_pin_resets(per_day=spec.pin_resets_per_day)
    rng = b.rng
    eligible, activated, member, other_member = rng.sample(b.ordinary, 4)
    issuer = b.person(6)  # the Privileged Authentication Administrator: only that role may give admins a pass

    b.eligible_role(
        eligible, GLOBAL_ADMIN, since=b.now - timedelta(days=230), until=b.now + timedelta(days=135)
    )
    start = b.now - timedelta(hours=3, minutes=rng.randrange(60), seconds=rng.randrange(60))
    b.activate_role(activated, PRIVILEGED_ROLE_ADMIN, start=start, hours=8)
    group = b.role_assignable_group(
        "SG-Role-Privileged-Authentication-Admins",
        [member, other_member],
        PRIVILEGED_AUTH_ADMIN,
        description="Role-assignable: Privileged Authentication Administrator for the identity team",
    )

    def issue(user: Person, days: int) -> None:
        day_end = b.now - timedelta(days=days)
        issued = b.work_time(
            issuer.place,
            earliest=day_end - timedelta(hours=20),
            latest=day_end - timedelta(hours=2),
            office=True,
        )
        b.tap_registration(b.issue_tap(user, issuer, issued))

    issue(eligible, 6)
    issue(activated, 1)
    issue(member, 10)
    routine_taps(b, (18, 4), exclude=[eligible, activated, member, other_member])
    b.recovery_identity_protection()
    b.notes |= {
        "pim_eligible_global_admin": eligible.id,
        "pim_activated_privileged_role_admin": activated.id,
        "role_assignable_group": group["id"],
        "group_member_with_a_pass": member.id,
        "group_member_without_a_pass": other_member.id,
    }
    return b.build(
        Expectations(
            fires={"tap.issued.privileged-user": sorted(p.id for p in (eligible, activated, member))}
        )
    )
