"""Fewer report requests per pass: the "Authentication Methods" audits in one incremental read, and
users' methods read again only when an audit says they may have changed.

Graph's identity and access reports allow 5 requests per 10 s per app per tenant and 122 per 10 s per
app across tenants ("Microsoft Graph service-specific throttling limits"): a quiet tenant's steady pass
(one after a pass that found nothing new) must cost at most 5 of them.
"""

from __future__ import annotations

import asyncio
from datetime import datetime, timedelta
from pathlib import Path

import pytest

from graphsim import GraphSimulator
from graphsim.server import RequestRecord
from monitor.collectors.auth_audits import AUTH_METHODS_SERVICE, METHODS_MAX_AGE
from monitor.graph.pacing import REPORTS
from monitor.graph.session import GraphSession
from monitor.pipeline import PassResult, run_pass
from monitor.store.memory import MemoryStore
from tests.support import (
    NOW,
    authentication_methods,
    method_audit,
    simulator_settings,
    tap_audit,
    user_id_of,
    write_recovery_tenant,
)
from tests.support import write as write_document

EXAMPLES = Path(__file__).resolve().parents[2] / "examples" / "tenants"
METHODS = "/authentication/methods"


def one_pass(snapshot: Path, store: MemoryStore, now: datetime) -> tuple[PassResult, list[RequestRecord]]:
    """A pass at `now` over `snapshot`; its result and the report requests it sent."""
    with GraphSimulator(snapshot) as sim:

        async def go() -> PassResult:
            settings = simulator_settings(sim.url)
            async with GraphSession(settings, transport_retry_delay=0.01) as graph:
                return await run_pass(graph, store, settings, now)

        result = asyncio.run(go())
        return result, [r for r in sim.requests if REPORTS.pattern.match(r.path)]


@pytest.mark.parametrize("tenant", ["healthy", "tap-suspicious", "privileged-pim"])
def test_a_steady_pass_of_a_quiet_bundled_tenant_costs_at_most_five_report_requests(tenant: str) -> None:
    store = MemoryStore()
    first, first_requests = one_pass(EXAMPLES / tenant, store, NOW)
    steady, requests = one_pass(EXAMPLES / tenant, store, NOW + timedelta(minutes=15))

    assert len(requests) <= 5, [(r.path, dict(r.query)) for r in requests]
    assert all(r.status == 200 for r in requests)
    # One directory audit query, of the Authentication Methods service, from the last pass on.
    audits = [r for r in requests if r.path.endswith("/auditLogs/directoryAudits")]
    assert len(audits) == 1
    assert f"loggedByService eq '{AUTH_METHODS_SERVICE}'" in audits[0].query["$filter"]
    # No user's methods read again: nothing new happened to anyone.
    assert not [r for r in requests if r.path.endswith(METHODS)]
    # And the same conclusions as the first pass, which read everything.
    assert [(f.rule, f.subject, f.severity) for f in steady.findings] == [
        (f.rule, f.subject, f.severity) for f in first.findings
    ]
    assert len(first_requests) > len(requests)


def test_a_users_methods_are_read_again_only_after_a_new_audit_of_theirs(tmp_path: Path) -> None:
    snapshot = write_recovery_tenant(tmp_path / "tenant")
    store = MemoryStore()

    first, requests = one_pass(snapshot, store, NOW)
    assert len([r for r in requests if r.path.endswith(METHODS)]) == 1
    [chain] = first.recoveries
    assert chain.stage == "new-method-registered"
    assert chain.to_json()["methodsReadAt"] == "2026-11-20T12:00:00Z"
    kept_before = chain.to_json()["oldMethodsKept"]
    assert [m["type"] for m in kept_before] == [
        "microsoftAuthenticatorAuthenticationMethod",
        "phoneAuthenticationMethod",
    ]

    # Nothing new: the stored answer stands, and the chain says when it was read.
    second, requests = one_pass(snapshot, store, NOW + timedelta(minutes=15))
    assert not [r for r in requests if r.path.endswith(METHODS)]
    [chain] = second.recoveries
    assert chain.stage == "new-method-registered"
    assert chain.to_json()["oldMethodsKept"] == kept_before
    assert chain.to_json()["methodsReadAt"] == "2026-11-20T12:00:00Z"

    # The helpdesk removes the old methods: the audit appears, so her methods are read again.
    later = NOW + timedelta(minutes=20)
    audits = [
        tap_audit(1, "adelev", NOW - timedelta(days=10)),
        method_audit(2, "adelev", NOW - timedelta(days=10) + timedelta(minutes=25)),
        method_audit(
            3, "adelev", later, "Admin deleted security info", "Admin deleted Microsoft Authenticator App"
        ),
    ]
    write_document(snapshot, "v1.0/auditLogs/directoryAudits", {"value": audits})
    write_document(
        snapshot,
        f"v1.0/users/{user_id_of('adelev')}/authentication/methods",
        authentication_methods(
            ("passwordAuthenticationMethod", "", None),
            ("fido2AuthenticationMethod", "YubiKey 5 NFC", NOW - timedelta(days=10) + timedelta(minutes=25)),
        ),
    )
    third, requests = one_pass(snapshot, store, NOW + timedelta(minutes=30))
    assert len([r for r in requests if r.path.endswith(METHODS)]) == 1
    [chain] = third.recoveries
    assert chain.stage == "old-methods-removed"
    assert chain.to_json()["oldMethodsKept"] == []
    assert chain.to_json()["methodsReadAt"] == "2026-11-20T12:30:00Z"
    assert [c.audit_id for c in chain.removed] == ["AuthMethods_00003"]

    # A kept answer is read again once it is older than METHODS_MAX_AGE, audit or not.
    _, requests = one_pass(snapshot, store, NOW + timedelta(minutes=30) + METHODS_MAX_AGE)
    assert len([r for r in requests if r.path.endswith(METHODS)]) == 1


def test_method_changes_kept_between_passes_are_those_a_whole_read_finds(tmp_path: Path) -> None:
    """The incremental read keeps the lookback's changes: a pass over a fresh store, which reads the whole
    lookback, finds the same chain as the third pass of a store that read it bit by bit."""
    snapshot = write_recovery_tenant(tmp_path / "tenant", removed=True)
    store = MemoryStore()
    for minutes in (0, 15, 30):
        stepwise, _ = one_pass(snapshot, store, NOW + timedelta(minutes=minutes))
    whole, _ = one_pass(snapshot, MemoryStore(), NOW + timedelta(minutes=30))
    # The same chain; only when the methods were read differs (the first pass, against this one).
    assert [c.to_json() | {"methodsReadAt": None} for c in stepwise.recoveries] == [
        c.to_json() | {"methodsReadAt": None} for c in whole.recoveries
    ]
    assert [c.methods_read_at for c in stepwise.recoveries] == [NOW]
    assert [c.methods_read_at for c in whole.recoveries] == [NOW + timedelta(minutes=30)]
    assert [(f.rule, f.subject) for f in stepwise.findings] == [(f.rule, f.subject) for f in whole.findings]
