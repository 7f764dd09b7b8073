"""The HTTP side of the simulator: a loopback `ThreadingHTTPServer` in a background thread.

Per Graph request, in this order: control endpoints (`/_simulator/...`, no auth, not logged) are
answered; `Authorization: Bearer <token>` is required (401 `InvalidAuthenticationToken` otherwise);
serving many tenants, the token's `tid` chooses the tenant (tenants.py: a tenant not served, or whose
app is gone or disabled, is 401; one whose consent lost its permissions is 403); an active fault may
take the request; then the report throttles (when on, see throttle.py) may answer 429;
`_simulator.json` overrides and the tenant's snapshot answer the rest.
Every Graph request is logged with its status, the fault it got, and its tenant and app.

`POST /{tenant}/oauth2/v2.0/token` is the token endpoint of Microsoft Entra as the simulator models it
(tenants.py); its requests are logged apart (`GraphSimulator.token_requests`).
"""

from __future__ import annotations

import contextlib
import logging
import re
import selectors
import socket
import threading
import time
import uuid
from collections import Counter
from collections.abc import Callable, Iterable, Mapping
from dataclasses import asdict, dataclass, field, replace
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from os import PathLike
from pathlib import Path
from typing import Any
from urllib.parse import quote, unquote

import orjson

from graphsim.engine import Reply, parse_query
from graphsim.errors import GraphError, SnapshotError
from graphsim.faults import Fault, FaultPlan, normalize_path
from graphsim.mail import SEND_MAIL, Outbox
from graphsim.snapshot import LARGE_FILE_BYTES, Snapshot
from graphsim.tenants import (
    TOKEN_PATH,
    ServedTenant,
    TenantState,
    TokenRecord,
    load_tenants,
    parse_token_form,
    token_answer,
)
from graphsim.throttle import ThrottleModel, retry_after_header
from graphsim.tokens import TokenClaims, read_token

log_ = logging.getLogger(__name__)

GRAPH_CONTENT_TYPE = (
    "application/json;odata.metadata=minimal;odata.streaming=true;IEEE754Compatible=false;charset=utf-8"
)
ERROR_CONTENT_TYPE = "application/json"
CONTROL_PREFIX = "/_simulator"


@dataclass(frozen=True)
class RequestRecord:
    """One Graph request as the simulator saw it."""

    method: str
    path: str  # the request path as sent, without the query
    query: Mapping[str, str]  # every query parameter, names and values percent-decoded
    status: int | None  # None when the connection was dropped
    fault: str | None  # the fault kind applied, if any
    request_id: str
    time: float = field(default_factory=time.time)
    tenant: str | None = None  # the token's tenant (`tid`), when it is JWT-shaped
    app: str | None = None  # the token's client application (`appid`/`azp`)
    throttle_limit: str | None = None  # "tenant" or "app": which report limit answered 429

    def as_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["query"] = dict(self.query)
        return data


class GraphSimulator:
    """Serves a tenant snapshot directory, or many, over HTTP with Microsoft Graph's semantics.

    >>> with GraphSimulator("examples/tenants/contoso") as sim:   # doctest: +SKIP
    ...     sim.url                       # "http://127.0.0.1:54321"
    ...     sim.add_fault(Fault("429", path="/beta/auditLogs/signIns", retry_after=1))
    ...     sim.count(path_contains="auditLogs/signIns")

    Many tenants: `GraphSimulator(tenants={tenant_id: dir, ...})` or `GraphSimulator(tenants=parent)`
    (each subdirectory a tenant, named by its tenant ID); each request's token chooses its tenant.
    """

    def __init__(
        self,
        snapshot_dir: str | PathLike[str] | None = None,
        host: str = "127.0.0.1",
        port: int = 0,
        *,
        large_file_bytes: int = LARGE_FILE_BYTES,
        mail_dir: str | PathLike[str] | None = None,
        throttle: bool | ThrottleModel = False,
        tenants: Mapping[str, str | PathLike[str]] | str | PathLike[str] | None = None,
    ) -> None:
        if (snapshot_dir is None) == (tenants is None):
            raise SnapshotError("give the simulator a snapshot directory or tenants: exactly one of the two")
        # Tenant ID (lower case) -> its snapshot; "" when one snapshot serves every token.
        self.tenants: dict[str, ServedTenant] = (
            load_tenants(tenants, large_file_bytes)
            if tenants is not None
            else {"": ServedTenant("", Snapshot(snapshot_dir or "", large_file_bytes=large_file_bytes))}
        )
        self.multi_tenant = tenants is not None
        # One snapshot: that one. Many: the first tenant's (in tenant ID order); see tenant().
        first = self.tenants[min(self.tenants)]
        self.snapshot = first.snapshot
        # Messages accepted by POST /users/{id}/sendMail; written as .eml files under mail_dir if given.
        self.mail = Outbox(Path(mail_dir) if mail_dir is not None else None)
        # Graph's report throttle: given here, or switched on by the snapshot's _simulator.json.
        self._throttle = throttle if isinstance(throttle, ThrottleModel) else ThrottleModel()
        self._throttle_on = throttle is not False
        self.engine = first.engine
        self.faults = FaultPlan()
        self.host = host
        self.port = port
        self._records: list[RequestRecord] = []
        self._token_records: list[TokenRecord] = []
        self._records_lock = threading.Lock()
        self._server: _Server | None = None
        self._thread: threading.Thread | None = None

    # --- lifetime

    def start(self) -> GraphSimulator:
        if self._server is not None:
            return self
        server = _Server((self.host, self.port), _Handler, self)
        self.port = server.server_address[1]
        self._server = server
        self._thread = threading.Thread(target=server.serve_until_woken, name="graph-simulator", daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        server, thread = self._server, self._thread
        if server is None:
            return
        self._server = self._thread = None
        server.wake()
        if thread is not None:
            thread.join(timeout=5)
        server.close_connections()
        server.server_close()

    def __enter__(self) -> GraphSimulator:
        return self.start()

    def __exit__(self, *exc_info: object) -> None:
        self.stop()

    @property
    def url(self) -> str:
        """The root URL, without version: `http://127.0.0.1:54321`."""
        if self._server is None:
            raise RuntimeError("the simulator is not running: call start() or use it as a context manager")
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"http://{host}:{self.port}"

    # --- faults and log

    @property
    def throttle(self) -> ThrottleModel | None:
        """The report throttle when it is on (here or in `_simulator.json`), else None."""
        if self._throttle_on or any(t.snapshot.config().throttle for t in self.tenants.values()):
            return self._throttle
        return None

    def throttle_for(self, tenant: ServedTenant) -> ThrottleModel | None:
        """The report throttles for a request to `tenant`: on here, or in its `_simulator.json`."""
        if self._throttle_on or tenant.snapshot.config().throttle:
            return self._throttle
        return None

    def throttle_stats(self) -> dict[str, Any]:
        """Answers 429 of the report throttles: in all, by limit ("tenant", "app"), by tenant."""
        return self._throttle.stats()

    # --- tenants

    def tenant(self, tenant_id: str) -> ServedTenant:
        """A served tenant by ID (any case); KeyError when it is not served."""
        return self.tenants[tenant_id.lower()]

    def set_tenant_state(self, tenant_id: str, state: TenantState) -> None:
        """Model what the tenant's admin did to the app: "consented" (the default), "revoked" (the
        enterprise app deleted, so its consent is gone), "disabled" (sign-in disabled on it), or
        "permissions-removed" (consent to its permissions revoked, the app still there)."""
        self.tenant(tenant_id).set_state(state)

    def set_tenant_permissions(self, tenant_id: str, granted: Iterable[str] | None) -> None:
        """Model an admin who granted the app only `granted` (application permission names): Graph
        answers 403 `Authorization_RequestDenied` to each request none of them allows. None grants
        all the app asks for again."""
        self.tenant(tenant_id).set_permissions(granted)

    def serve_token(self, claims: TokenClaims | None) -> ServedTenant | None:
        """The tenant a Graph request's token reaches; None when Graph would refuse the token."""
        if not self.multi_tenant:
            return self.tenants[""]
        if claims is None:
            return None
        return self.tenants.get(claims.tenant)

    def add_fault(self, fault: Fault) -> None:
        self.faults.add(fault)

    def clear_faults(self) -> None:
        self.faults.clear()

    @property
    def requests(self) -> list[RequestRecord]:
        with self._records_lock:
            return list(self._records)

    def count(
        self,
        path_contains: str | None = None,
        status: int | None = None,
        *,
        tenant: str | None = None,
        throttle_limit: str | None = None,
    ) -> int:
        """Graph requests whose path contains `path_contains` (case-insensitive), whose status is
        `status`, whose token's tenant is `tenant` and that the report limit `throttle_limit`
        ("tenant" or "app") answered 429."""
        needle = normalize_path(path_contains) if path_contains is not None else None
        tenant = tenant.lower() if tenant is not None else None
        with self._records_lock:
            return sum(
                1
                for record in self._records
                if (needle is None or needle in normalize_path(record.path))
                and (status is None or record.status == status)
                and (tenant is None or record.tenant == tenant)
                and (throttle_limit is None or record.throttle_limit == throttle_limit)
            )

    @property
    def token_requests(self) -> list[TokenRecord]:
        """Requests to the token endpoint, with what each was answered."""
        with self._records_lock:
            return list(self._token_records)

    def reset(self) -> None:
        """Clear faults, the request logs and the throttles' windows (tenant states stay)."""
        self.faults.clear()
        self._throttle.reset()
        with self._records_lock:
            self._records.clear()
            self._token_records.clear()

    def record(self, record: RequestRecord) -> None:
        with self._records_lock:
            self._records.append(record)

    def record_token(self, record: TokenRecord) -> None:
        with self._records_lock:
            self._token_records.append(record)


# --- HTTP


# Graph's organization resource is the tenant itself: its `id` is the tenant ID ("organization resource
# type"). Serving many tenants, each from a snapshot that may be shared or copied, the simulator answers
# with the ID of the tenant the token was issued in, as Graph would.
_ORGANIZATION = re.compile(r"^/(?:v1\.0|beta)/organization/?$", re.IGNORECASE)


def _organization_of(reply: Reply, tenant_id: str) -> Reply:
    document = orjson.loads(reply.body)
    for item in document.get("value", []) if isinstance(document, dict) else []:
        if isinstance(item, dict):
            item["id"] = tenant_id
    return replace(reply, body=orjson.dumps(document))


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True
    # The listen backlog. socketserver's default of 5 drops the connections of a burst of clients (many
    # tenants' sessions opening at once), which then wait a second or more for the SYN to be resent.
    request_queue_size = 1024

    def __init__(
        self, address: tuple[str, int], handler: type[BaseHTTPRequestHandler], sim: GraphSimulator
    ) -> None:
        self.address_family = socket.AF_INET6 if ":" in address[0] else socket.AF_INET
        self.simulator = sim
        self._connections: set[socket.socket] = set()
        self._connections_lock = threading.Lock()
        self._wake_reader, self._wake_writer = socket.socketpair()
        super().__init__(address, handler)

    def serve_until_woken(self) -> None:
        """`serve_forever` without its polling: `wake()` ends the loop at once, so stop() takes no
        poll interval (tests start and stop a simulator each)."""
        with selectors.DefaultSelector() as selector:
            selector.register(self, selectors.EVENT_READ)
            selector.register(self._wake_reader, selectors.EVENT_READ)
            while True:
                for key, _ in selector.select():
                    if key.fileobj is self._wake_reader:
                        return
                self.handle_request()  # the socket is readable: accepts without waiting

    def wake(self) -> None:
        with contextlib.suppress(OSError):
            self._wake_writer.send(b"x")

    def server_close(self) -> None:
        super().server_close()
        self._wake_reader.close()
        self._wake_writer.close()

    def track(self, connection: socket.socket, active: bool) -> None:
        with self._connections_lock:
            if active:
                self._connections.add(connection)
            else:
                self._connections.discard(connection)

    def close_connections(self) -> None:
        """End keep-alive connections, so that no request is answered after stop()."""
        with self._connections_lock:
            connections = list(self._connections)
        for connection in connections:
            with contextlib.suppress(OSError):
                connection.shutdown(socket.SHUT_RDWR)


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    disable_nagle_algorithm = True
    server: _Server

    def setup(self) -> None:
        super().setup()
        self.server.track(self.connection, True)

    def finish(self) -> None:
        try:
            super().finish()
        finally:
            self.server.track(self.connection, False)

    def log_message(self, format: str, *args: Any) -> None:
        """Quiet: the request log is `GraphSimulator.requests`."""

    def do_GET(self) -> None:
        self._dispatch()

    def do_POST(self) -> None:
        self._dispatch()

    def do_DELETE(self) -> None:
        self._dispatch()

    def do_PUT(self) -> None:
        self._dispatch()

    def do_PATCH(self) -> None:
        self._dispatch()

    # --- dispatch

    def _dispatch(self) -> None:
        body = self._read_body()
        if body is None:
            return
        path = self.path.partition("?")[0]
        token_path = TOKEN_PATH.match(path)
        if path == CONTROL_PREFIX or path.startswith(CONTROL_PREFIX + "/"):
            self._control(path, body)
        elif token_path is not None and self.command == "POST":
            self._token(unquote(token_path.group(1)), body)
        else:
            self._graph(body)

    def _read_body(self) -> bytes | None:
        if self.headers.get("Transfer-Encoding", "").lower() == "chunked":
            self._send(411, b'{"error":"send a Content-Length"}', {"Content-Type": ERROR_CONTENT_TYPE})
            self.close_connection = True
            return None
        try:
            length = int(self.headers.get("Content-Length") or 0)
        except ValueError:
            length = -1
        if length < 0:
            self._send(400, b'{"error":"bad Content-Length"}', {"Content-Type": ERROR_CONTENT_TYPE})
            self.close_connection = True
            return None
        return self.rfile.read(length) if length > 0 else b""

    def _send(self, status: int, body: bytes, headers: Mapping[str, str]) -> None:
        self.send_response(status)
        for name, value in headers.items():
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    # --- Graph

    def _graph(self, body: bytes = b"") -> None:
        sim = self.server.simulator
        request_id = str(uuid.uuid4())
        client_request_id = self.headers.get("client-request-id") or request_id
        path, _, raw_query = self.path.partition("?")
        version = path.strip("/").split("/", 1)[0].lower()
        try:
            _, query = parse_query(raw_query, version)
        except GraphError:
            query = {}
        ids = {"request-id": request_id, "client-request-id": client_request_id}
        authorization = self.headers.get("Authorization", "")
        scheme, _, token = authorization.partition(" ")
        claims = read_token(token) if scheme.lower() == "bearer" else None

        def log(status: int | None, fault: str | None, limit: str | None = None) -> None:
            sim.record(
                RequestRecord(
                    self.command,
                    path,
                    query,
                    status,
                    fault,
                    request_id,
                    tenant=claims.tenant if claims else None,
                    app=claims.app if claims else None,
                    throttle_limit=limit,
                )
            )

        def unauthorized(message: str) -> None:
            error = GraphError(
                401, "InvalidAuthenticationToken", message, {"WWW-Authenticate": 'Bearer realm=""'}
            )
            log(401, None)
            self._send_error(error, ids)

        if scheme.lower() != "bearer" or not token.strip():
            unauthorized("Access token is empty." if not authorization else "Invalid authentication token.")
            return
        tenant = sim.serve_token(claims)
        if tenant is None:
            # Serving many tenants, a token must be a JWT for one of them (tenants.py says why 401).
            unauthorized(
                "CompactToken parsing failed with error code: 80049217"
                if claims is None
                else "Access token validation failure. Invalid audience."
            )
            return
        refusal = tenant.graph_refusal(path)
        if refusal is not None:
            log(refusal.status, None)
            self._send_error(refusal, ids)
            return

        # Each request is logged before its answer goes out, so a client that has its answer sees it
        # in the log.
        fault = sim.faults.pick(path, claims.tenant if claims else None)
        if fault is not None and fault.kind == "drop":
            log(None, "drop")
            self.close_connection = True
            with contextlib.suppress(OSError):
                self.connection.shutdown(socket.SHUT_RDWR)
            return
        if fault is not None and fault.kind in ("429", "503", "504"):
            error = _fault_error(fault)
            log(error.status, fault.kind)
            self._send_error(error, ids)
            return

        throttle = sim.throttle_for(tenant)
        refused = (
            throttle.check(path, claims.tenant if claims else "", claims.app if claims else "")
            if throttle is not None
            else None
        )
        if refused is not None:
            error = GraphError(
                429,
                "TooManyRequests",
                "Too many requests. Retry after the number of seconds in the Retry-After header.",
                {"Retry-After": retry_after_header(refused.wait_seconds)},
            )
            log(429, "throttle", refused.limit)
            self._send_error(error, ids)
            return

        fault_kind = fault.kind if fault is not None else None
        send_mail = SEND_MAIL.match(path) if self.command == "POST" else None
        if send_mail is not None:
            self._send_mail(tenant, send_mail.group(1), send_mail.group(2), body, ids, log, fault_kind)
            return
        try:
            if self.command != "GET":
                raise GraphError(
                    405, "Request_BadRequest", "Specified HTTP method is not allowed for the request target."
                )
            host = self.headers.get("Host") or f"{sim.host}:{sim.port}"
            headers = {name.lower(): value for name, value in self.headers.items()}
            reply = tenant.engine.get(self.path, headers, f"http://{host}")
            if tenant.tenant_id and reply.status == 200 and _ORGANIZATION.match(path):
                reply = _organization_of(reply, tenant.tenant_id)
        except GraphError as error:
            log(error.status, fault_kind)
            self._send_error(error, ids)
            return
        except SnapshotError as exc:
            log(500, fault_kind)
            self._send_error(GraphError(500, "InternalServerError", str(exc)), ids)
            return
        except Exception as exc:  # a bug in the simulator: answer 500 and say what it was
            log_.exception("graph simulator failed on %s %s", self.command, path)
            log(500, fault_kind)
            self._send_error(GraphError(500, "InternalServerError", f"simulator error: {exc!r}"), ids)
            return
        log(reply.status, fault_kind)
        self._send_reply(reply, ids, malformed=fault_kind == "malformed")

    def _send_mail(
        self,
        tenant: ServedTenant,
        version: str,
        mailbox: str,
        body: bytes,
        ids: Mapping[str, str],
        log: Callable[[int | None, str | None], None],
        fault_kind: str | None,
    ) -> None:
        sim = self.server.simulator
        mailbox = unquote(mailbox)
        host = self.headers.get("Host") or f"{sim.host}:{sim.port}"
        try:
            # The mailbox must be a user of the tenant, looked up as GET users/{id | upn} would be.
            tenant.engine.get(f"/{version}/users/{quote(mailbox, safe='@')}", {}, f"http://{host}")
        except GraphError:
            error = GraphError(404, "ErrorInvalidUser", f"The requested user '{mailbox}' is invalid.")
            log(error.status, fault_kind)
            self._send_error(error, ids)
            return
        try:
            sim.mail.accept(mailbox, self.headers.get("Content-Type", ""), body)
        except GraphError as error:
            log(error.status, fault_kind)
            self._send_error(error, ids)
            return
        log(202, fault_kind)
        self._send(202, b"", dict(ids))

    def _send_reply(self, reply: Reply, ids: Mapping[str, str], malformed: bool) -> None:
        body = reply.body
        if malformed:
            body = body[: max(1, len(body) // 2)]  # the page cut short: never valid JSON
        headers = {"Content-Type": GRAPH_CONTENT_TYPE, "OData-Version": "4.0", **ids, **reply.headers}
        self._send(reply.status, body, headers)

    def _send_error(self, error: GraphError, ids: Mapping[str, str]) -> None:
        body = orjson.dumps(
            {
                "error": {
                    "code": error.code,
                    "message": error.message,
                    "innerError": {
                        "date": datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%S"),
                        "request-id": ids["request-id"],
                        "client-request-id": ids["client-request-id"],
                    },
                }
            }
        )
        self._send(error.status, body, {"Content-Type": ERROR_CONTENT_TYPE, **ids, **error.headers})

    # --- Entra's token endpoint

    def _token(self, tenant_id: str, body: bytes) -> None:
        sim = self.server.simulator
        form = parse_token_form(body)
        served = sim.tenants.get(tenant_id.lower()) if sim.multi_tenant else sim.tenants[""]
        status, answer, record = token_answer(tenant_id, form, served)
        sim.record_token(record)
        self._send(status, orjson.dumps(answer), {"Content-Type": "application/json; charset=utf-8"})

    # --- control

    def _control(self, path: str, body: bytes) -> None:
        sim = self.server.simulator
        route = (self.command, path.rstrip("/"))
        try:
            if route == ("GET", f"{CONTROL_PREFIX}/requests"):
                records = sim.requests
                result: Any = {
                    "count": len(records),
                    "by_status": {str(k): v for k, v in Counter(r.status for r in records).items()},
                    "throttled": sim.throttle_stats(),
                    "requests": [record.as_dict() for record in records],
                    "token_requests": [record.as_dict() for record in sim.token_requests],
                }
            elif route == ("GET", f"{CONTROL_PREFIX}/tenants"):
                result = {"tenants": [t.as_dict() for _, t in sorted(sim.tenants.items())]}
            elif self.command == "POST" and path.rstrip("/").startswith(f"{CONTROL_PREFIX}/tenants/"):
                tenant_id = unquote(path.rstrip("/").rsplit("/", 1)[1])
                payload = orjson.loads(body or b"{}")
                usage = (
                    'send {"state": "consented" | "revoked" | "disabled" | ...}, '
                    '{"permissions": ["AuditLog.Read.All", ...] or null}, or both'
                )
                if not isinstance(payload, dict) or not ({"state", "permissions"} & payload.keys()):
                    raise ValueError(usage)
                if "state" in payload and not isinstance(payload["state"], str):
                    raise ValueError(usage)
                granted = payload.get("permissions")
                if granted is not None and not (
                    isinstance(granted, list) and all(isinstance(name, str) for name in granted)
                ):
                    raise ValueError(usage)
                try:
                    served = sim.tenant(tenant_id)
                except KeyError:
                    raise ValueError(f"the simulator does not serve tenant {tenant_id!r}") from None
                if "state" in payload:
                    served.set_state(payload["state"])
                if "permissions" in payload:
                    served.set_permissions(granted)
                result = served.as_dict()
            elif route == ("GET", f"{CONTROL_PREFIX}/faults"):
                result = {"faults": sim.faults.snapshot()}
            elif route == ("POST", f"{CONTROL_PREFIX}/faults"):
                payload = orjson.loads(body or b"[]")
                entries = payload if isinstance(payload, list) else [payload]
                faults = [Fault.from_dict(entry) for entry in entries if isinstance(entry, dict)]
                if len(faults) != len(entries):
                    raise ValueError("each fault must be a JSON object")
                for fault in faults:
                    sim.add_fault(fault)
                result = {"faults": sim.faults.snapshot()}
            elif route == ("DELETE", f"{CONTROL_PREFIX}/faults"):
                sim.clear_faults()
                result = {"faults": []}
            elif route == ("POST", f"{CONTROL_PREFIX}/reset"):
                sim.reset()
                result = {"reset": True}
            elif route == ("GET", f"{CONTROL_PREFIX}/health"):
                result = {"status": "ok"}
            else:
                self._send(
                    404,
                    orjson.dumps({"error": f"no control endpoint {self.command} {path}"}),
                    {"Content-Type": ERROR_CONTENT_TYPE},
                )
                return
        except (ValueError, TypeError, orjson.JSONDecodeError) as exc:
            self._send(400, orjson.dumps({"error": str(exc)}), {"Content-Type": ERROR_CONTENT_TYPE})
            return
        self._send(200, orjson.dumps(result), {"Content-Type": "application/json"})


def _fault_error(fault: Fault) -> GraphError:
    headers: dict[str, str] = {}
    if fault.kind == "429":
        headers["Retry-After"] = str(fault.retry_after if fault.retry_after is not None else 1)
        return GraphError(
            429,
            "TooManyRequests",
            "Too many requests. Retry after the number of seconds in the Retry-After header.",
            headers,
        )
    if fault.retry_after is not None:
        headers["Retry-After"] = str(fault.retry_after)
    if fault.kind == "503":
        return GraphError(503, "ServiceUnavailable", "The service is temporarily unavailable.", headers)
    return GraphError(504, "GatewayTimeout", "The gateway timed out waiting for the service.", headers)
