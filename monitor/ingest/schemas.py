"""The published JSON Schemas (docs/schemas/) that every ingested body is checked against.

The same files are the documentation and the check, so what docs/ingest.md promises is what the
routes enforce. They are deployed with the app (.funcignore keeps docs/schemas/).
"""

from __future__ import annotations

import re
from functools import cache
from pathlib import Path
from typing import Any, Final, Literal

import orjson

# jsonschema ships no type information (types-jsonschema is not installed here).
from jsonschema import Draft202012Validator  # type: ignore[import-untyped]
from jsonschema.exceptions import ValidationError, best_match  # type: ignore[import-untyped]

SCHEMA_DIR: Final = Path(__file__).resolve().parents[2] / "docs" / "schemas"
SchemaName = Literal["device-report", "azure-monitor-alert", "resource-log-record"]
_MAX_REASON = 300
# Deeper than any body the monitor reads (a resource-log record is about six levels deep): a deeper one
# is refused before it is validated, so no step (validating, describing the error) recurses that far.
MAX_DEPTH: Final = 64


@cache
def validator(name: SchemaName) -> Draft202012Validator:
    schema = orjson.loads((SCHEMA_DIR / f"{name}.json").read_bytes())
    Draft202012Validator.check_schema(schema)
    return Draft202012Validator(schema)


def violation(name: SchemaName, document: Any) -> str | None:
    """Why `document` does not follow the schema, in one line; None when it does."""
    if too_deep(document):
        return f"body: nested deeper than {MAX_DEPTH} levels"
    errors = list(validator(name).iter_errors(document))
    if not errors:
        return None
    # "not valid under any of the given schemas" says nothing; a field's own error says what to fix.
    plain = [e for e in errors if e.validator not in ("oneOf", "anyOf")]
    return describe(best_match(plain) if plain else errors[0])


def too_deep(document: Any, limit: int = MAX_DEPTH) -> bool:
    """Whether arrays and objects in `document` nest deeper than `limit` (checked without recursion)."""
    stack = [(document, 1)]
    while stack:
        value, depth = stack.pop()
        if type(value) is dict:
            children: Any = value.values()
        elif type(value) is list:
            children = value
        else:
            continue
        if depth > limit:
            return True
        stack.extend((child, depth + 1) for child in children)
    return False


_CONTROL = re.compile(r"[\x00-\x1f\x7f\u2028\u2029]")


def describe(error: ValidationError) -> str:
    where = "".join(f"[{p!r}]" if isinstance(p, int) else f".{p}" for p in error.absolute_path)
    message = error.message
    if error.validator == "oneOf" and isinstance(error.validator_value, list):
        choices = [" and ".join(branch.get("required", ())) for branch in error.validator_value]
        message = f"needs exactly one of: {', '.join(choices)}"
    text = f"{where.lstrip('.') or 'body'}: {message}"
    # One line: a key or value with a line break or another control character is shown escaped.
    text = _CONTROL.sub(lambda m: m.group().encode("unicode_escape").decode(), text)
    # The message quotes the offending value, which may be long: keep the line readable.
    return text if len(text) <= _MAX_REASON else text[: _MAX_REASON - 1] + "…"
