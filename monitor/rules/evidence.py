"""Evidence that several rules quote: what the sign-in log says about PIN reset failures."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from monitor.entra import CONSENT_ERROR_CODES
from monitor.records import SignInHour, iso

__all__ = ["FailureSummary", "consent_failures", "iso", "last_success"]


@dataclass(frozen=True)
class FailureSummary:
    """Failed PIN reset sign-ins of some kind, summed over hours."""

    count: int
    first: datetime | None
    last: datetime | None
    by_code: dict[int, int]
    by_app: dict[str, int]
    sample_users: tuple[str, ...]

    @classmethod
    def of(cls, hours: Iterable[SignInHour]) -> FailureSummary:
        chosen = list(hours)
        by_code: Counter[int] = Counter()
        by_app: Counter[str] = Counter()
        users: list[str] = []
        for h in chosen:
            by_code[h.error_code] += h.count
            by_app[h.app_id] += h.count
            users.extend(u for u in h.sample_users if u not in users)
        return cls(
            count=sum(h.count for h in chosen),
            first=min((h.first for h in chosen), default=None),
            last=max((h.last for h in chosen), default=None),
            by_code=dict(sorted(by_code.items())),
            by_app=dict(sorted(by_app.items())),
            sample_users=tuple(users[:10]),
        )

    def to_json(self) -> dict[str, Any]:
        return {
            "failures": self.count,
            "firstFailure": iso(self.first) if self.first else None,
            "lastFailure": iso(self.last) if self.last else None,
            "byErrorCode": {str(code): n for code, n in self.by_code.items()},
            "byApp": self.by_app,
            "sampleUsers": list(self.sample_users),
        }


def consent_failures(hours: Iterable[SignInHour], since: datetime | None = None) -> FailureSummary:
    """PIN reset sign-ins that failed because an app is missing, unconsented or disabled."""
    return FailureSummary.of(
        h for h in hours if h.error_code in CONSENT_ERROR_CODES and (since is None or h.last >= since)
    )


def last_success(hours: Iterable[SignInHour]) -> datetime | None:
    return max((h.last for h in hours if h.error_code == 0), default=None)
