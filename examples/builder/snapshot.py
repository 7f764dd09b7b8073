"""Rendering and writing tenant snapshots: the bytes of every file, deterministic."""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import orjson  # speeds up the load generator; the bundled tenants are written with json, byte for byte

from examples.builder.constants import SIGNINS_PATH
from examples.builder.model import GeneratedTenant, SerializedSignIns

Json = dict[str, Any]


def _pretty(document: Any, *, fast: bool) -> bytes:
    if fast:
        return orjson.dumps(document, option=orjson.OPT_INDENT_2) + b"\n"
    return (json.dumps(document, indent=2, ensure_ascii=False) + "\n").encode()


def _compact(item: Json) -> bytes:
    return orjson.dumps(item)


def _lines(lines: Sequence[bytes]) -> bytes:
    """{"value": [ one item per line ]}: compact, yet a diff shows which sign-ins changed."""
    if not lines:
        return b'{"value": []}\n'
    return b'{"value": [\n' + b",\n".join(lines) + b"\n]}\n"


def _one_per_line(items: Sequence[Json], *, fast: bool) -> bytes:
    if fast:
        return _lines([_compact(item) for item in items])
    return _lines([json.dumps(item, ensure_ascii=False, separators=(",", ":")).encode() for item in items])


def render(documents: dict[str, Any], *, fast: bool = False) -> dict[str, bytes]:
    """The bytes of every file of a snapshot, by snapshot-relative path."""
    files = {}
    for path, document in sorted(documents.items()):
        if isinstance(document, SerializedSignIns):
            files[path] = _lines([signin.line for signin in document])
        elif path == SIGNINS_PATH:
            files[path] = _one_per_line(document["value"], fast=fast)
        else:
            files[path] = _pretty(document, fast=fast)
    return files


def write_tenant(directory: Path, tenant: GeneratedTenant, *, fast: bool = False) -> list[Path]:
    """Write a generated tenant's snapshot files under `directory` (created if needed, files overwritten)."""
    written = []
    for relative, document in sorted(tenant.documents.items()):
        path = directory / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(document, SerializedSignIns):  # stream: a load tenant's log can be hundreds of MB
            with path.open("wb") as file:
                file.write(b'{"value": [\n' if document else b'{"value": []}\n')
                for n, signin in enumerate(document):
                    file.write(signin.line + (b",\n" if n + 1 < len(document) else b"\n]}\n"))
        else:
            path.write_bytes(render({relative: document}, fast=fast)[relative])
        written.append(path)
    return written
