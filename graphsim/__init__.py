"""A local Microsoft Graph that serves a tenant snapshot directory over loopback HTTP.

Tests, benchmarks and `python -m monitor scan` run the real `msgraph-sdk` client against it; nothing
reaches the internet.

Snapshot directory: the file for `GET https://graph.microsoft.com/<version>/<path>` is
`<dir>/<version>/<path>.json` (segments matched case-insensitively). It holds what Graph returns with
no query options: a collection as `{"value": [...]}` (the simulator pages it), an entity as the object.
An absent file is an empty collection, or 404 where Graph answers 404 (an entity by key, the TAP
policy). `GET <collection>/{id}` finds the item by `id` in the collection file; `users/{upn}` and
`servicePrincipals(appId='...')` work too.

Optional `<dir>/_simulator.json` fixes the answer for whole paths, to model a missing licence or
permission:

    {"responses": [
        {"path": "beta/auditLogs/signIns", "status": 403,
         "code": "Authentication_RequestFromNonPremiumTenantOrB2CTenant",
         "message": "Tenant is not a B2C tenant and doesn't have premium license"}
    ]}

`path` is `<version>/<path>` and matches that path and everything under it, case-insensitively
("beta/deviceManagement" covers every Intune request on beta). An entry may give `headers` and, instead
of code and message, a JSON `body` to return as is.

    from graphsim import GraphSimulator, Fault

    with GraphSimulator("examples/tenants/contoso") as sim:
        sim.url                                   # "http://127.0.0.1:54321"
        sim.add_fault(Fault("429", path="/beta/auditLogs/signIns", times=1, retry_after=1))
        sim.count(path_contains="auditLogs/signIns")

Many tenants: `GraphSimulator(tenants={tenant_id: dir, ...})` (or a parent directory of tenant
directories) chooses each request's tenant by the `tid` of its token; `make_token(tenant_id)` mints
one, and `POST /{tenant}/oauth2/v2.0/token` issues one as Entra's token endpoint would (tenants.py).

See README.md beside this file for the query semantics, the page sizes and the control endpoints.
"""

from graphsim.errors import GraphError, SnapshotError
from graphsim.faults import Fault
from graphsim.server import GraphSimulator, RequestRecord
from graphsim.tenants import TenantState, TokenRecord
from graphsim.throttle import ThrottleModel
from graphsim.tokens import SIMULATOR_APP_ID, make_token, read_token

__all__ = [
    "SIMULATOR_APP_ID",
    "Fault",
    "GraphError",
    "GraphSimulator",
    "RequestRecord",
    "SnapshotError",
    "TenantState",
    "ThrottleModel",
    "TokenRecord",
    "make_token",
    "read_token",
]
