"""The least-privilege Graph permission manifest: each permission, and the rules and features that need it.

Built from `monitor.sources` and the rule catalog, so it cannot drift from what the code reads. The
deployment grants exactly what `python -m monitor permissions --format json` prints.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from monitor import sources
from monitor.rules import load_catalog

GRAPH_APP_ID = "00000003-0000-0000-c000-000000000000"  # Microsoft Graph's appId in every tenant


@dataclass
class PermissionNeed:
    name: str
    rules: list[str] = field(default_factory=list)
    features: list[str] = field(default_factory=list)
    condition: str | None = None  # None: always needed

    def to_json(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "rules": sorted(self.rules),
            "features": self.features,
            "condition": self.condition,
        }


def needs() -> list[PermissionNeed]:
    found: dict[str, PermissionNeed] = {}

    def need(permission: str, condition: str | None = None) -> PermissionNeed:
        entry = found.setdefault(permission, PermissionNeed(permission, condition=condition))
        if condition is None:
            entry.condition = None  # needed unconditionally by something else
        return entry

    for entry in load_catalog():
        for name in entry.rule.reads:
            for permission in sources.FACTS[name].permissions:
                rules = need(permission).rules
                if entry.rule.id not in rules:
                    rules.append(entry.rule.id)
    for fact in sources.FACTS.values():
        for permission in fact.permissions:
            for use in fact.features:
                features = need(permission).features
                if use not in features:
                    features.append(use)
    for extra in sources.FEATURES:
        need(extra.permission, extra.condition).features.append(extra.feature)
    return sorted(found.values(), key=lambda n: n.name.lower())


def manifest() -> dict[str, Any]:
    return {
        "resource": "Microsoft Graph",
        "resourceAppId": GRAPH_APP_ID,
        "type": "application",
        "permissions": [n.to_json() for n in needs()],
    }


def render_table() -> str:
    rows = needs()
    width = max(len(n.name) for n in rows)
    lines = [f"{'PERMISSION':<{width}}  NEEDED BY", f"{'-' * width}  ---------"]
    for n in rows:
        users = n.rules + n.features
        suffix = f" (only when {n.condition})" if n.condition else ""
        lines.append(f"{n.name:<{width}}  {users[0]}{suffix}")
        lines += [f"{'':<{width}}  {user}" for user in users[1:]]
    return "\n".join(lines) + "\n"
