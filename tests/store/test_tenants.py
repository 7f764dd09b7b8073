"""The tenants table: rows round-trip, ETags keep a pass and a person from overwriting each other, and a
quarantine backs off from one hour to a day."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from itertools import count

import pytest

from monitor.store.account import TableAccount
from monitor.store.tenants import (
    MemoryTenantStore,
    TenantConflict,
    TenantRecord,
    TenantStore,
    change_tenant,
)
from tests.support import NOW

TENANT = "0E3F0D4B-1111-4C2A-9D3E-5A6B7C8D9E0F"
_prefixes = count()


@pytest.fixture(params=["memory", "tables"])
def store(request: pytest.FixtureRequest) -> Iterator[TenantStore]:
    if request.param == "memory":
        yield MemoryTenantStore()
        return
    connection: str = request.getfixturevalue("azurite")
    tables = TableAccount.shared(connection, prefix=f"t{next(_prefixes)}x").tenants()
    yield tables
    tables.close()


def test_a_tenant_round_trips_with_its_routing_thresholds_and_times(store: TenantStore) -> None:
    record = TenantRecord(
        TENANT,
        "Contoso Müller GmbH",
        tags=("eu", "gold"),
        destinations=("contoso-teams",),
        thresholds={"pin_reset_failure_burst": 5.0},
        added=NOW,
        last_pass=NOW + timedelta(minutes=15),
        last_outcome="ok",
    )
    store.save(record)

    [kept] = store.tenants()
    assert kept == TenantRecord(**{**record.__dict__, "tenant_id": TENANT.lower()})
    assert store.tenant(TENANT.upper()) == kept
    assert store.remove(TENANT) is True
    assert (store.tenants(), store.tenant(TENANT), store.remove(TENANT)) == ([], None, False)


def test_a_stale_write_is_refused_and_change_tenant_re_reads(store: TenantStore) -> None:
    first = store.save(TenantRecord(TENANT, "Contoso"))
    store.save(TenantRecord(**{**first.__dict__, "display_name": "Contoso Ltd"}))
    with pytest.raises(TenantConflict):
        store.save(TenantRecord(**{**first.__dict__, "last_outcome": "ok"}))  # read before the rename

    changed = change_tenant(store, TENANT, lambda r: TenantRecord(**{**r.__dict__, "last_outcome": "ok"}))
    assert changed is not None
    kept = store.tenant(TENANT)
    assert kept is not None
    assert (kept.display_name, kept.last_outcome) == ("Contoso Ltd", "ok")
    assert change_tenant(store, "no-such-tenant", lambda r: r) is None


def test_a_quarantine_backs_off_from_an_hour_to_a_day_and_restores_clean() -> None:
    record = TenantRecord(TENANT)
    waits = []
    moment = NOW
    for _ in range(8):
        record = record.quarantine("consent_revoked", "AADSTS65001: consent revoked", moment)
        assert record.next_probe is not None
        waits.append(record.next_probe - moment)
        moment = record.next_probe
    assert waits == [timedelta(hours=h) for h in (1, 2, 4, 8, 16, 24, 24, 24)]
    assert record.quarantined_since == NOW
    back = record.restored(moment)
    assert (back.state, back.next_probe, back.probes, back.restored_at) == ("active", None, 0, moment)
    assert back.quarantine("app_disabled", "AADSTS7000112", moment).quarantined_since == moment
