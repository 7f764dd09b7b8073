"""Every privileged admin: active, PIM-eligible, activated through PIM, or through a role-assignable group."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import orjson

from graphsim import GraphSimulator
from monitor.collectors.tap import PrivilegedRead, read_privileged_users
from monitor.graph.session import GraphSession
from monitor.records import RoleHolding
from tests.support import simulator_settings, write, write_tenant

GLOBAL_ADMIN = "62e90394-69f5-4237-9190-012177145e10"
PRIVILEGED_ROLE_ADMIN = "e8611ab8-c189-46e8-94e1-60213ab1f814"
AUTH_ADMIN = "c4e39bd9-1100-46d3-8c65-fb160da0071f"
READER = "88d8e3e3-8f55-4a1e-953a-9b9898b8876b"  # Directory Readers: not watched
ALICE, BOB, CAROL, DAN, ERIN = (f"{n}0000000-0000-4000-8000-00000000000{i}" for i, n in enumerate("abcde", 1))
TIER0 = "90000000-0000-4000-8000-000000000000"
PIPELINE_SP = "5e000000-0000-4000-8000-000000000000"
ROLES = "v1.0/roleManagement/directory"


def row(n: int, principal: str, role: str, **extra: Any) -> dict[str, Any]:
    return {
        "id": f"row-{n}",
        "principalId": principal,
        "roleDefinitionId": role,
        "directoryScopeId": "/",
        **extra,
    }


def tenant(root: Path) -> Path:
    snapshot = write_tenant(root)
    user = "#microsoft.graph.user"
    write(
        snapshot,
        "v1.0/users",
        {"value": [{"id": u, "displayName": u[:1].upper()} for u in (ALICE, BOB, CAROL, DAN, ERIN)]},
    )
    write(snapshot, "v1.0/groups", {"value": [{"id": TIER0, "displayName": "Tier 0 admins"}]})
    write(snapshot, "v1.0/servicePrincipals", {"value": [{"id": PIPELINE_SP, "appId": "x"}]})
    write(
        snapshot,
        f"{ROLES}/roleAssignments",
        {
            "value": [
                row(1, ALICE, GLOBAL_ADMIN),
                row(2, BOB, PRIVILEGED_ROLE_ADMIN),  # activated: listed as active too
                row(3, TIER0, AUTH_ADMIN),
                row(4, PIPELINE_SP, GLOBAL_ADMIN),
                row(5, ERIN, READER),
            ]
        },
    )
    write(
        snapshot,
        f"{ROLES}/roleEligibilityScheduleInstances",
        {"value": [row(6, CAROL, GLOBAL_ADMIN, memberType="Direct"), row(7, BOB, PRIVILEGED_ROLE_ADMIN)]},
    )
    write(
        snapshot,
        f"{ROLES}/roleAssignmentScheduleInstances",
        {
            "value": [
                row(8, ALICE, GLOBAL_ADMIN, assignmentType="Assigned"),
                row(9, BOB, PRIVILEGED_ROLE_ADMIN, assignmentType="Activated"),
            ]
        },
    )
    write(
        snapshot,
        f"v1.0/groups/{TIER0}/transitiveMembers",
        {
            "value": [
                {"@odata.type": user, "id": DAN},
                {"@odata.type": "#microsoft.graph.device", "id": "dev-1"},
            ]
        },
    )
    return snapshot


def read(snapshot: Path) -> tuple[PrivilegedRead, GraphSimulator]:
    async def go(url: str) -> PrivilegedRead:
        async with GraphSession(simulator_settings(url)) as graph:
            return await read_privileged_users(graph)

    with GraphSimulator(snapshot) as sim:
        return asyncio.run(go(sim.url)), sim


def test_every_way_of_holding_a_privileged_role_is_found_and_named(tmp_path: Path) -> None:
    found, sim = read(tenant(tmp_path / "t"))
    assert dict(found.holders) == {
        ALICE: (RoleHolding("Global Administrator", "direct"),),
        BOB: (RoleHolding("Privileged Role Administrator", "active through PIM"),),
        CAROL: (RoleHolding("Global Administrator", "eligible"),),
        DAN: (RoleHolding("Authentication Administrator", "through group Tier 0 admins"),),
    }
    assert found.unread == ()
    assert sim.count(path_contains="transitiveMembers") == 1  # the group; users and apps need none


def test_without_p2_the_active_roles_are_kept_and_pim_is_named_as_unread(tmp_path: Path) -> None:
    snapshot = tenant(tmp_path / "t")
    (snapshot / "_simulator.json").write_bytes(
        orjson.dumps(
            {
                "responses": [
                    {
                        "path": f"{ROLES}/roleEligibilityScheduleInstances",
                        "status": 400,
                        "code": "AadPremiumLicenseRequired",
                        "message": "The tenant needs an AAD Premium 2 license.",
                    }
                ]
            }
        )
    )
    found, _ = read(snapshot)
    assert sorted(found.holders) == sorted([ALICE, BOB, DAN])
    assert [p.source for p in found.unread] == [f"{ROLES}/roleEligibilityScheduleInstances"]
