"""One module per rule; see monitor.rules for the convention the registry enforces."""
