"""Rule thresholds: defaults in code, each overridable by an app setting `MONITOR_<NAME>`.

settings.py reads the overrides; docs/rules.md lists every threshold with its default.
"""

from __future__ import annotations

from dataclasses import dataclass, fields


@dataclass(frozen=True, slots=True)
class Thresholds:
    # signin.pin-reset.consent-errors: how far back a consent or app-not-found failure counts.
    consent_error_window_hours: int = 24

    @classmethod
    def names(cls) -> tuple[str, ...]:
        return tuple(f.name for f in fields(cls))

    @classmethod
    def types(cls) -> dict[str, type]:
        defaults = cls()
        return {name: type(getattr(defaults, name)) for name in cls.names()}
