"""Event-driven ingestion: device reports (`dsregcmd /status`), the Entra log stream (Azure Monitor
resource logs through an Event Hub), and Azure Monitor alerts that ask for a pass now.

docs/ingest.md describes each source, its published JSON Schema (docs/schemas/) and how it is stored.
"""
