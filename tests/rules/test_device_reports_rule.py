"""What device.pin-reset.destructive-only says of the reports it does not trust."""

from __future__ import annotations

from monitor.rules import load_catalog, run_rule
from monitor.rules.cases._builders import healthy
from monitor.rules.cases.device_pin_reset_destructive_only import report, reports
from monitor.thresholds import Thresholds


def test_untrusted_and_stale_reports_are_counted_in_the_reason() -> None:
    (entry,) = [e for e in load_catalog() if e.rule.id == "device.pin-reset.destructive-only"]
    facts = healthy(
        device_reports=reports(
            report(7),  # a device Intune does not know
            report(1, entra_device_id="ad000000-0000-4000-8000-0000000000ff"),  # another Entra device
            report(2, hours_ago=24 * 31),  # older than the inactivity threshold
        )
    )

    result = run_rule(entry, facts, Thresholds())

    assert (result.status, result.reason) == (
        "pass",
        "no trusted device report shows destructive-only PIN reset where it should not (3 device report(s); "
        "1 from devices Intune does not know and 1 whose Entra device ID does not match Intune's, not "
        "trusted; 1 older than 30 days ignored)",
    )
