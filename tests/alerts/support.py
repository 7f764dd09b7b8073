"""Findings ledgers, alert settings and stores for the alert tests."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from graphsim import GraphSimulator
from monitor.alerts.settings import AlertDestination, AlertRoute, AlertSettings
from monitor.entra import PIN_RESET_SERVICE_APP_ID
from monitor.records import Tenant
from monitor.settings import Settings
from monitor.store.account import TableAccount
from monitor.store.alerts import AlertStore, MemoryAlertStore
from monitor.store.base import StoredFinding
from tests.support import write, write_tenant

TENANT = Tenant("4b1c5b67-3f1e-4e38-9d5e-2a2f3c1d0e9a", "Contoso")
T0 = datetime(2026, 11, 20, 12, 0, tzinfo=UTC)
CONSENT_RULE = "consent.pin-reset-service.missing"
HMAC_KEY = b"0123456789abcdef0123"


def failing(
    rule: str = CONSENT_RULE,
    subject: str = PIN_RESET_SERVICE_APP_ID,
    *,
    since: datetime = T0,
    severity: str = "high",
    evidence: dict[str, Any] | None = None,
) -> StoredFinding:
    """An open ledger entry, as the pipeline stores it."""
    return StoredFinding(
        rule=rule,
        subject=subject,
        severity=severity,  # type: ignore[arg-type]
        title="PIN reset service app is not consented",
        detail="Microsoft Pin Reset Service Production has no service principal in tenant Contoso.",
        evidence=evidence if evidence is not None else {"appId": subject, "signInFailures": {"failures": 12}},
        status="open",
        first_seen=since,
        last_seen=since,
    )


def passing(finding: StoredFinding, at: datetime) -> StoredFinding:
    """The same ledger entry after a pass found it passing at `at`."""
    return replace(finding, status="resolved", resolved_at=at)


def alert_settings(receiver_url: str = "", **changes: Any) -> AlertSettings:
    """Teams `ops` and webhook `soc` on the receiver, everything routed to both unless changed."""
    destinations = (
        AlertDestination("ops", "teams", url=f"{receiver_url}/teams/ops"),
        AlertDestination("soc", "webhook", url=f"{receiver_url}/webhook/soc", hmac_key=HMAC_KEY),
    )
    base = AlertSettings(
        destinations=destinations,
        default_route=("ops", "soc"),
        retry_base_minutes=5,
        request_timeout_seconds=5,
    )
    return replace(base, **changes)


def route(to: tuple[str, ...], severities: tuple[str, ...] = (), rules: tuple[str, ...] = ()) -> AlertRoute:
    return AlertRoute(to, severities, rules)


@pytest.fixture(params=["memory", "tables"])
def any_alert_store(request: pytest.FixtureRequest) -> Iterator[AlertStore]:
    if request.param == "memory":
        yield MemoryAlertStore()
        return
    yield from _table_store(request)


@pytest.fixture
def alert_store(request: pytest.FixtureRequest) -> Iterator[AlertStore]:
    """The alert tables in Azurite."""
    yield from _table_store(request)


def _table_store(request: pytest.FixtureRequest) -> Iterator[AlertStore]:
    connection = request.getfixturevalue("azurite")
    prefix = request.getfixturevalue("table_prefix")
    store = TableAccount.shared(connection, prefix=prefix).alerts()
    yield store
    store.close()


def storage_settings(connection: str, prefix: str, alerts: AlertSettings) -> Settings:
    return Settings(storage_connection_string=connection, table_prefix=prefix, alerts=alerts)


MAILBOX = "pinreset-monitor@contoso.com"


@pytest.fixture
def graph(tmp_path: Path) -> Iterator[GraphSimulator]:
    """A Graph simulator whose tenant has one mailbox, MAILBOX, to send alert email from; what it sends
    is kept under tmp_path/mail."""
    snapshot = write_tenant(tmp_path / "tenant")
    write(
        snapshot,
        "v1.0/users",
        {"value": [{"id": "0f0f0f0f-0000-4000-8000-000000000001", "userPrincipalName": MAILBOX}]},
    )
    with GraphSimulator(snapshot, mail_dir=tmp_path / "mail") as sim:
        yield sim
