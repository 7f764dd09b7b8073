"""Collectors: the only code that reads Graph. Each maps what it reads into monitor.records."""
