"""Alerts people act on: one per (tenant, rule, subject), driven by the findings ledger, delivered
through an outbox to Teams, email and webhooks. docs/alerts.md describes the design."""
