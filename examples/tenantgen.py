"""Deterministic generator of realistic Entra ID / Intune tenant snapshots.

A tenant snapshot is a directory that mirrors Microsoft Graph's URL space: the answer to
`GET https://graph.microsoft.com/<version>/<path>` is stored in `<dir>/<version>/<path>.json`, exactly as
Graph returns it without query options. `examples/builder/` builds every Graph object the monitor reads,
in the shape and key order of Microsoft's reference pages and example responses; `examples/scenarios/`
holds one module per bundled tenant of `examples/tenants/` (its README tells each story); this module
puts them together: the bundled tenants, checking them, and load tenants for benchmarks.

Everything is deterministic: IDs are uuid5 of (tenant, kind, index), randomness comes from one
`random.Random` per tenant seeded with the tenant's name, and time is measured back from `NOW` (the
scan is run with `--now 2026-11-20T12:00:00Z`). Generating twice gives identical bytes.
"""

from __future__ import annotations

import shutil
from pathlib import Path

from examples.builder.constants import (
    AUDITS_PATH,
    NOW,
    PIN_RESET_CLIENT,
    PIN_RESET_SERVICE,
    RULES,
    SIGNINS_PATH,
    TAP_POLICY_PATH,
    WEB_SIGNIN_URLS_URI,
)
from examples.builder.ids import _NAMESPACE, guid, role_assignment_id
from examples.builder.load import load_tenant, write_load_tenant
from examples.builder.model import Expectations, GeneratedTenant, TenantDescription
from examples.builder.readme import render_readme
from examples.builder.snapshot import render, write_tenant
from examples.scenarios import BUNDLED

__all__ = [
    "AUDITS_PATH",
    "BUNDLED",
    "NOW",
    "PIN_RESET_CLIENT",
    "PIN_RESET_SERVICE",
    "RULES",
    "SIGNINS_PATH",
    "TAP_POLICY_PATH",
    "WEB_SIGNIN_URLS_URI",
    "_NAMESPACE",
    "Expectations",
    "GeneratedTenant",
    "TenantDescription",
    "generate_tenant",
    "guid",
    "load_tenant",
    "render",
    "render_bundled",
    "role_assignment_id",
    "stale_files",
    "write_bundled",
    "write_load_tenant",
    "write_tenant",
]


def generate_tenant(name: str) -> GeneratedTenant:
    """Build one bundled tenant by name."""
    try:
        return BUNDLED[name]()
    except KeyError:
        raise KeyError(f"no bundled tenant named {name!r}; known: {', '.join(BUNDLED)}") from None


def render_bundled() -> tuple[dict[str, bytes], list[TenantDescription]]:
    """Every file of examples/tenants (every bundled snapshot and README.md), by path relative to it."""
    files: dict[str, bytes] = {}
    descriptions = []
    for name, build in BUNDLED.items():
        tenant = build()
        descriptions.append(tenant.description)
        files |= {f"{name}/{path}": content for path, content in render(tenant.documents).items()}
    files["README.md"] = render_readme(descriptions).encode()
    return files, descriptions


def write_bundled(root: Path) -> list[TenantDescription]:
    """Regenerate examples/tenants: every bundled tenant from scratch, and the README."""
    files, descriptions = render_bundled()
    root.mkdir(parents=True, exist_ok=True)
    for child in root.iterdir():
        if child.is_dir():
            shutil.rmtree(child)
    for relative, content in files.items():
        path = root / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(content)
    return descriptions


def stale_files(root: Path) -> list[str]:
    """What differs between the committed examples/tenants and a fresh generation (empty: up to date)."""
    files, _ = render_bundled()
    problems = []
    for relative, content in files.items():
        path = root / relative
        if not path.is_file():
            problems.append(f"missing: {relative}")
        elif path.read_bytes() != content:
            problems.append(f"changed: {relative}")
    if root.is_dir():
        for path in sorted(root.rglob("*")):
            relative = path.relative_to(root).as_posix()
            if path.is_file() and relative not in files:
                problems.append(f"extra: {relative}")
    return problems
