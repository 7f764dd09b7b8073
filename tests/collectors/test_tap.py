"""TAP collection against the simulator: targeted reading (the planned reader a pass runs) costs a
request per pass holder; a full scan reads every interactive sign-in of the window. The simulator counts
the requests."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from graphsim import GraphSimulator
from monitor.collectors.auth_audits import read_auth_method_audits
from monitor.collectors.tap import (
    full_scan_tap_signins,
    read_privileged_users,
    read_tap_policy,
    with_current_passes,
)
from monitor.collectors.tap_plan import TapKnowledge, TapPlanRead, read_tap_signins_planned
from monitor.graph.session import GraphSession
from monitor.records import RoleHolding, TapIssuance, TapSignIn, UnusableItem
from tests.support import (
    NOW,
    graph_signin,
    simulator_settings,
    tap_audit,
    tap_method,
    user_id_of,
    write,
    write_tenant,
)

SIGNINS = "auditLogs/signIns"
START = NOW - timedelta(days=14)


@pytest.fixture(scope="module")
def snapshot(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """5,000 ordinary sign-ins of 50 users over 10 days; two of them got a pass."""
    noise = []
    for i in range(5000):
        noise.append(
            graph_signin(
                100_000 + i,
                NOW - timedelta(days=10) + i * timedelta(minutes=2.8),
                app_id="00000003-0000-0000-c000-000000000000",
                user=f"user{i % 50:02d}",
            )
        )
    alice_issued = NOW - timedelta(hours=30)
    bob_issued = NOW - timedelta(days=3)
    taps = [
        graph_signin(
            1, alice_issued + timedelta(minutes=5), user="user07", methods=("Temporary Access Pass",)
        ),
        graph_signin(
            2,
            bob_issued + timedelta(minutes=3),
            user="user08",
            methods=("Temporary Access Pass",),
            country="NG",
        ),
        graph_signin(
            3,
            bob_issued + timedelta(minutes=4),
            user="user08",
            methods=("Temporary Access Pass",),
            error_code=50126,
            country="NG",
        ),
    ]
    signins = sorted(noise + taps, key=lambda s: s["createdDateTime"], reverse=True)
    snapshot = write_tenant(tmp_path_factory.mktemp("tenant"), signins=signins)
    write(
        snapshot,
        "v1.0/auditLogs/directoryAudits",
        {"value": [tap_audit(1, "user07", alice_issued), tap_audit(2, "user08", bob_issued)]},
    )
    write(
        snapshot,
        f"v1.0/users/{user_id_of('user07')}/authentication/temporaryAccessPassMethods",
        {"value": [tap_method(alice_issued)]},
    )
    write(
        snapshot,
        "v1.0/roleManagement/directory/roleAssignments",
        {
            "value": [
                {
                    "id": "ra1",
                    "principalId": user_id_of("user07"),
                    "roleDefinitionId": "62e90394-69f5-4237-9190-012177145e10",
                    "directoryScopeId": "/",
                },
                {
                    "id": "ra2",
                    "principalId": user_id_of("user09"),
                    "roleDefinitionId": "88d8e3e3-8f55-4a1e-953a-9b9898b8876b",
                    "directoryScopeId": "/",
                },
            ]
        },
    )
    return snapshot


@pytest.fixture(scope="module")
def simulator(snapshot: Path) -> Iterator[GraphSimulator]:
    with GraphSimulator(snapshot) as sim:
        yield sim


@pytest.fixture(autouse=True)
def fresh(simulator: GraphSimulator) -> None:
    simulator.reset()


def run(simulator: GraphSimulator, work: Any) -> Any:
    async def go() -> Any:
        async with GraphSession(simulator_settings(simulator.url)) as graph:
            return await work(graph)

    return asyncio.run(go())


def issuances(simulator: GraphSimulator) -> list[TapIssuance]:
    async def read(graph: GraphSession) -> list[TapIssuance]:
        audits = await read_auth_method_audits(graph, START, NOW)
        return await with_current_passes(graph, audits.issuances)

    return list(run(simulator, read))


async def targeted(graph: GraphSession, known: list[TapIssuance]) -> tuple[list[TapSignIn], TapPlanRead]:
    """What a first targeted pass reads: the planned reader with nothing learned yet."""
    found: list[TapSignIn] = []

    def keep(part: list[TapSignIn], until: datetime, unusable: list[UnusableItem]) -> None:
        found.extend(part)

    read = await read_tap_signins_planned(
        graph, known, START, NOW, TapKnowledge(), history_days=14, fallback_lifetime=480, keep=keep
    )
    return sorted(found, key=lambda s: (s.created, s.id)), read


def test_issuances_come_from_the_audit_log_and_carry_the_current_pass(simulator: GraphSimulator) -> None:
    bob, alice = issuances(simulator)  # oldest first
    assert (
        alice.user_principal_name,
        alice.issued_by,
        alice.lifetime_minutes,
        alice.usable_once,
        alice.usability,
    ) == (
        "user07@contoso.com",
        "helpdesk@contoso.com",
        60,
        True,
        "OneTimeUsed",
    )
    # Bob's pass is gone (deleted or expired): the audit is all there is.
    assert (bob.user_principal_name, bob.lifetime_minutes, bob.start) == ("user08@contoso.com", None, None)
    audit_filters = [r.query["$filter"] for r in simulator.requests if "directoryaudits" in r.path.lower()]
    assert audit_filters == [
        "activityDateTime ge 2026-11-06T12:00:00Z and activityDateTime le 2026-11-20T12:00:00Z"
        " and loggedByService eq 'Authentication Methods'"
    ]


def test_targeted_reading_asks_only_for_the_pass_holders_sign_ins(simulator: GraphSimulator) -> None:
    known = issuances(simulator)
    simulator.reset()

    async def read(graph: GraphSession) -> tuple[list[TapSignIn], TapPlanRead]:
        return await targeted(graph, known)

    found, read_stats = run(simulator, read)

    assert [(s.user_principal_name, s.succeeded, s.country, s.prior_countries) for s in found] == [
        ("user08@contoso.com", True, "NG", ("DE",)),
        ("user08@contoso.com", False, "NG", ("DE", "NG")),
        ("user07@contoso.com", True, "DE", ("DE",)),
    ]
    assert [s.issuance.audit_id if s.issuance else None for s in found] == [
        "Directory_TAP_00002",
        "Directory_TAP_00002",
        "Directory_TAP_00001",
    ]
    # One query per pass holder, none refused (no $select is asked for).
    assert simulator.count(path_contains=SIGNINS, status=200) == 2
    assert simulator.count(path_contains=SIGNINS, status=400) == 0
    assert read_stats.plan.strategy == "per-user"
    assert read_stats.received < 300


def test_a_full_scan_finds_the_same_sign_ins_reading_every_one_of_the_window(
    simulator: GraphSimulator,
) -> None:
    known = issuances(simulator)

    async def planned(graph: GraphSession) -> Any:
        return await targeted(graph, known)

    async def full(graph: GraphSession) -> Any:
        return await full_scan_tap_signins(graph, known, START, NOW, history_days=14, fallback_lifetime=480)

    simulator.reset()
    targeted_found, targeted_read = run(simulator, planned)
    targeted_requests = simulator.count(path_contains=SIGNINS, status=200)
    simulator.reset()
    full_found, full_read = run(simulator, full)
    full_requests = simulator.count(path_contains=SIGNINS, status=200)

    assert [s.id for s in full_found] == [s.id for s in targeted_found]
    # 5,003 interactive sign-ins: six pages of 1,000, then one history query per pass holder.
    assert (targeted_requests, full_requests) == (2, 8)
    assert full_read.received > 20 * targeted_read.received


def test_privileged_users_are_the_holders_of_the_watched_roles(simulator: GraphSimulator) -> None:
    found = run(simulator, read_privileged_users)
    assert dict(found.holders) == {user_id_of("user07"): (RoleHolding("Global Administrator", "direct"),)}


def test_the_tap_policy_is_read_from_its_v1_endpoint(simulator: GraphSimulator) -> None:
    policy = run(simulator, read_tap_policy)
    assert (policy.state, policy.is_usable_once, policy.maximum_lifetime_minutes, policy.include_targets) == (
        "enabled",
        True,
        480,
        ("all_users",),
    )
