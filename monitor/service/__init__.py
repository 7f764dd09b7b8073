"""Entry points shared by `function_app.py` and the CLI, one module per entry point: each function takes
a `Runtime` (runtime.py) built once per invocation, so nothing the timer does is missing from
`python -m monitor`, and the reverse.

- passes: the timer's pass, the queue trigger's requested pass, and their alert step
- weekly: the weekly snapshot and its sending
- soc: the SOC's view of TAP sign-ins
- alerts: listing, acknowledging and snoozing alerts (CLI, route and confirmation page)
- health: what `GET /api/health` and `monitor status` report
- ingest: device reports, Azure Monitor alerts and the Entra log stream
- offline: what only the CLI runs, against a tenant snapshot through the Graph simulator
- fanout: many tenants: the poll timer's one message per due tenant, the tenant-pass queue trigger,
  quarantine
- tenants: the tenants table's commands and routes, and the status across tenants
- answer: the one HTTP answer type and the one place errors become status codes

Empty of imports on purpose: `function_app` is imported to index the triggers, and each trigger imports
only the module it runs (bench/import_cost.py).
"""
