"""Faults injected on demand, so that tests exercise the real client's retry and error paths."""

from __future__ import annotations

import re
import threading
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import unquote

FAULT_KINDS = ("429", "503", "504", "drop", "malformed")


def normalize_path(path: str) -> str:
    """Lower case, percent-decoded, with runs of slashes collapsed: a client whose base URL ends in a
    slash sends `/v1.0//servicePrincipals`, which still matches `/v1.0/servicePrincipals`."""
    return re.sub(r"/{2,}", "/", unquote(path)).lower()


@dataclass
class Fault:
    """Fail matching Graph requests.

    kind: "429" (throttled, with `Retry-After`), "503", "504" (error body, `Retry-After` if given),
    "drop" (the connection is closed without a response), "malformed" (200 with the real page cut short,
    so the body is not valid JSON).
    path: a substring of the request path (None: every Graph request), compared case-insensitively
        and with repeated slashes collapsed.
    after: how many matching requests pass before the fault starts.
    times: how many matching requests fail (None: every one from then on).
    retry_after: seconds for `Retry-After` (429 defaults to 1).
    tenant: the tenant ID (the token's `tid`) whose requests fail (None: every request).
    """

    kind: str
    path: str | None = None
    times: int | None = 1
    after: int = 0
    retry_after: int | None = None
    tenant: str | None = None
    seen: int = field(default=0, compare=False)
    fired: int = field(default=0, compare=False)

    def __post_init__(self) -> None:
        self.kind = str(self.kind).lower()
        if self.kind not in FAULT_KINDS:
            raise ValueError(f"fault kind must be one of {', '.join(FAULT_KINDS)}, not {self.kind!r}")
        if self.times is not None and (not isinstance(self.times, int) or self.times < 0):
            raise ValueError("fault times must be a non-negative integer or None")
        if not isinstance(self.after, int) or self.after < 0:
            raise ValueError("fault after must be a non-negative integer")
        if self.retry_after is not None and (not isinstance(self.retry_after, int) or self.retry_after < 0):
            raise ValueError("fault retry_after must be a non-negative whole number of seconds")
        if self.tenant is not None:
            if not isinstance(self.tenant, str) or not self.tenant.strip():
                raise ValueError("fault tenant must be a tenant ID")
            self.tenant = self.tenant.strip().lower()

    def matches(self, path: str, tenant: str | None = None) -> bool:
        if self.tenant is not None and self.tenant != tenant:
            return False
        return self.path is None or normalize_path(self.path) in normalize_path(path)

    @property
    def exhausted(self) -> bool:
        return self.times is not None and self.fired >= self.times

    def as_dict(self) -> dict[str, Any]:
        return {
            "kind": self.kind,
            "path": self.path,
            "times": self.times,
            "after": self.after,
            "retry_after": self.retry_after,
            "tenant": self.tenant,
            "seen": self.seen,
            "fired": self.fired,
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Fault:
        unknown = set(data) - {"kind", "path", "times", "after", "retry_after", "tenant"}
        if unknown:
            raise ValueError(f"unknown fault field(s): {', '.join(sorted(unknown))}")
        if "kind" not in data:
            raise ValueError("a fault needs a kind")
        return cls(
            kind=str(data["kind"]),
            path=data.get("path"),
            times=data.get("times", 1),
            after=data.get("after", 0),
            retry_after=data.get("retry_after"),
            tenant=data.get("tenant"),
        )

    @classmethod
    def parse(cls, spec: str) -> Fault:
        """A fault from the CLI form `kind=429,path=/beta/auditLogs/signIns,times=2,after=0,retry_after=1`
        (`times=none` for every request)."""
        fields: dict[str, Any] = {}
        for part in spec.split(","):
            if not part.strip():
                continue
            name, separator, value = part.partition("=")
            name = name.strip()
            if not separator:
                raise ValueError(f"fault field {part!r} is not name=value")
            value = value.strip()
            if name in ("times", "after", "retry_after"):
                if value.lower() in ("none", "null", "") and name == "times":
                    fields[name] = None
                    continue
                try:
                    fields[name] = int(value)
                except ValueError:
                    raise ValueError(f"fault {name} must be a whole number, not {value!r}") from None
            else:
                fields[name] = value
        return cls.from_dict(fields)


class FaultPlan:
    """The active faults; `pick` decides, thread-safely, which one (if any) a request gets."""

    def __init__(self) -> None:
        self._faults: list[Fault] = []
        self._lock = threading.Lock()

    def add(self, fault: Fault) -> None:
        with self._lock:
            self._faults.append(fault)

    def clear(self) -> None:
        with self._lock:
            self._faults.clear()

    def snapshot(self) -> list[dict[str, Any]]:
        with self._lock:
            return [fault.as_dict() for fault in self._faults]

    def pick(self, path: str, tenant: str | None = None) -> Fault | None:
        """Count the request (whose token's tenant is `tenant`) against every matching fault; return
        the first one that fires."""
        chosen: Fault | None = None
        with self._lock:
            for fault in self._faults:
                if not fault.matches(path, tenant):
                    continue
                fault.seen += 1
                if chosen is None and fault.seen > fault.after and not fault.exhausted:
                    fault.fired += 1
                    chosen = fault
        return chosen
