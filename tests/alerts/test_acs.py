"""Email through Azure Communication Services: the real azure-communication-email client against a
loopback stand-in for the ACS Email REST API (POST /emails:send, then the operation's status).

The client always speaks https to the connection string's endpoint, so the stand-in serves TLS with a
throwaway certificate for 127.0.0.1 that the test trusts through REQUESTS_CA_BUNDLE."""

from __future__ import annotations

import asyncio
import ipaddress
import ssl
import threading
from collections.abc import Iterator
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import orjson
import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from monitor.alerts.process import process_alerts
from monitor.alerts.settings import AlertDestination, AlertSettings
from monitor.store.alerts import AlertStore
from tests.alerts.support import T0, TENANT, failing

# A made-up access key (base64), for the HMAC the SDK signs requests with.
ACCESS_KEY = "c2VjcmV0LWtleS1mb3ItdGVzdHMtb25seQ=="


class FakeAcs(ThreadingHTTPServer):
    def __init__(self) -> None:
        super().__init__(("127.0.0.1", 0), _AcsHandler)
        self.sent: list[dict[str, Any]] = []
        self.answer = 202
        self.lock = threading.Lock()

    @property
    def url(self) -> str:
        return f"https://127.0.0.1:{self.server_address[1]}"


class _AcsHandler(BaseHTTPRequestHandler):
    server: FakeAcs

    def log_message(self, format: str, *args: Any) -> None:
        pass

    def _reply(self, status: int, body: dict[str, Any], headers: dict[str, str] | None = None) -> None:
        raw = orjson.dumps(body)
        self.send_response(status)
        for name, value in (headers or {}).items():
            self.send_header(name, value)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(raw)))
        self.end_headers()
        self.wfile.write(raw)

    def do_POST(self) -> None:
        body = orjson.loads(self.rfile.read(int(self.headers.get("Content-Length") or 0)))
        assert self.headers["Authorization"].startswith("HMAC-SHA256 ")
        if self.server.answer != 202:
            self._reply(self.server.answer, {"error": {"code": "BadRequest", "message": "Invalid sender."}})
            return
        with self.server.lock:
            self.server.sent.append(body)
            operation = f"op-{len(self.server.sent)}"
        location = f"{self.server.url}/emails/operations/{operation}?api-version=2025-09-01"
        self._reply(
            202, {"id": operation, "status": "Running"}, {"Operation-Location": location, "Retry-After": "0"}
        )

    def do_GET(self) -> None:
        operation = self.path.split("/")[-1].split("?")[0]
        self._reply(200, {"id": operation, "status": "Succeeded"})


def self_signed(directory: Path) -> tuple[Path, Path]:
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "127.0.0.1")])
    now = datetime.now(UTC)
    certificate = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - timedelta(minutes=5))
        .not_valid_after(now + timedelta(days=1))
        .add_extension(
            x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]), False
        )
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), True)
        .sign(key, hashes.SHA256())
    )
    cert_file, key_file = directory / "acs.pem", directory / "acs.key"
    cert_file.write_bytes(certificate.public_bytes(serialization.Encoding.PEM))
    key_file.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        )
    )
    return cert_file, key_file


@pytest.fixture
def acs(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[FakeAcs]:
    cert_file, key_file = self_signed(tmp_path)
    monkeypatch.setenv("REQUESTS_CA_BUNDLE", str(cert_file))
    server = FakeAcs()
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(cert_file, key_file)
    server.socket = context.wrap_socket(server.socket, server_side=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server
    server.shutdown()
    server.server_close()


def acs_settings(acs: FakeAcs) -> AlertSettings:
    return AlertSettings(
        destinations=(AlertDestination("admins", "email", recipients=("alex@contoso.com",)),),
        default_route=("admins",),
        email_transport="acs",
        email_sender="DoNotReply@contoso.com",
        acs_connection_string=f"endpoint={acs.url}/;accesskey={ACCESS_KEY}",
    )


def test_acs_gets_one_message_with_plain_text_and_html(alert_store: AlertStore, acs: FakeAcs) -> None:
    findings = [failing(), failing("tap.signin.risky", "user-1", severity="medium")]

    summary = asyncio.run(process_alerts(alert_store, findings, TENANT, T0, acs_settings(acs), graph=None))

    assert summary.sent == 2
    [message] = acs.sent
    assert message["senderAddress"] == "DoNotReply@contoso.com"
    assert message["recipients"]["to"] == [{"address": "alex@contoso.com"}]
    assert (
        message["content"]["subject"]
        == "2 alerts need attention at Contoso: PIN reset service app is not consented"
    )
    assert "New alert: PIN reset service app is not consented" in message["content"]["plainText"]
    assert message["content"]["html"].startswith("<!DOCTYPE html>")


def test_acs_refusing_the_message_marks_it_dead(alert_store: AlertStore, acs: FakeAcs) -> None:
    acs.answer = 400

    asyncio.run(process_alerts(alert_store, [failing()], TENANT, T0, acs_settings(acs), graph=None))

    [row] = alert_store.notifications(TENANT.id)
    assert (row.status, row.last_error) == (
        "dead",
        "email destination admins answered 400 (BadRequest): not retried, check the destination's settings",
    )


def test_acs_throttling_is_retried_on_a_later_pass(alert_store: AlertStore, acs: FakeAcs) -> None:
    acs.answer = 429
    settings = replace(acs_settings(acs), retry_base_minutes=5)

    asyncio.run(process_alerts(alert_store, [failing()], TENANT, T0, settings, graph=None))

    [row] = alert_store.notifications(TENANT.id)
    assert (row.status, row.attempts) == ("pending", 1)
    assert row.last_error.startswith("email destination admins answered 429 Too Many Requests")
