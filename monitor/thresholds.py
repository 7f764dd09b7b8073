"""Rule thresholds: defaults in code, each overridable by an app setting `MONITOR_<NAME>`.

settings.py reads the overrides; docs/rules.md lists every threshold with its default.
"""

from __future__ import annotations

from dataclasses import dataclass, fields


@dataclass(frozen=True, slots=True)
class Thresholds:
    # signin.pin-reset.consent-errors: how far back a consent or app-not-found failure counts.
    consent_error_window_hours: int = 24
    # signin.pin-reset.failure-spike: failures in the last `spike_window_hours` against the hourly rate of
    # the `spike_baseline_days` before it. A spike needs at least `spike_min_failures` failures (so 2
    # after 0 is not one) and `spike_ratio` times what the baseline predicts for the window.
    spike_window_hours: int = 6
    spike_baseline_days: int = 7
    spike_min_failures: int = 10
    spike_ratio: float = 5.0
    # tap.policy.lifetime-too-long: the longest TAP lifetime the policy may allow.
    tap_max_lifetime_hours: int = 8
    # tap.signin.failure-burst: this many failed TAP sign-ins of one user within this many minutes.
    tap_failure_burst_count: int = 5
    tap_failure_burst_minutes: int = 15
    # Devices that have not synced with Intune for this many days are left out of device and policy
    # rules: they are likely retired, and findings about them would be noise.
    device_inactive_days: int = 30
    # tap.recovery.old-methods-kept: days after a recovery with a pass registered a new method by which
    # the user's methods from before it should be gone.
    tap_recovery_old_methods_days: int = 7

    @classmethod
    def names(cls) -> tuple[str, ...]:
        return tuple(f.name for f in fields(cls))

    @classmethod
    def types(cls) -> dict[str, type]:
        defaults = cls()
        return {name: type(getattr(defaults, name)) for name in cls.names()}
