"""The generic webhook's body follows the schema published in docs/, and its signature verifies."""

from __future__ import annotations

import hashlib
import hmac
from pathlib import Path
from typing import Any

import orjson
import pytest
from jsonschema import Draft202012Validator, FormatChecker

from monitor.alerts.channels import webhook
from tests.alerts.support import T0
from tests.alerts.test_cards import NOTICES

SCHEMA = orjson.loads((Path(__file__).resolve().parents[2] / "docs" / "webhook-schema-v1.json").read_bytes())
VALIDATOR = Draft202012Validator(SCHEMA, format_checker=FormatChecker())


def errors(raw: bytes) -> list[str]:
    return [f"{'/'.join(map(str, e.path))}: {e.message}" for e in VALIDATOR.iter_errors(orjson.loads(raw))]


@pytest.mark.parametrize("item", NOTICES)
def test_every_notice_body_follows_the_published_schema(item: dict[str, Any]) -> None:
    assert errors(webhook.body("a1b2c3d4e5f6.1.opened.soc", [item], T0, digest=False)) == []


def test_a_digest_body_follows_the_published_schema() -> None:
    items = [p.values[0] for p in NOTICES]

    raw = webhook.body("digest.0123456789abcdef", items, T0, digest=True)

    assert errors(raw) == []
    assert orjson.loads(raw)["kind"] == "digest"


def test_the_schema_refuses_what_version_1_does_not_allow() -> None:
    raw = webhook.body("x", [NOTICES[0].values[0]], T0, digest=False)
    document = orjson.loads(raw)
    document["notifications"][0]["event"] = "deleted"
    document["schemaVersion"] = "2"

    assert sorted(e.message for e in VALIDATOR.iter_errors(document)) == [
        "'1' was expected",
        "'deleted' is not one of ['opened', 'reminder', 'resolved']",
    ]


def test_a_receiver_verifies_the_signature_over_the_raw_body() -> None:
    key = b"a-long-random-shared-secret"
    raw = webhook.body("x", [NOTICES[0].values[0]], T0, digest=False)
    header = webhook.signature(key, raw)

    # What a receiver in any language does: HMAC-SHA256 of the bytes received, hex, constant-time compare.
    expected = "sha256=" + hmac.new(key, raw, hashlib.sha256).hexdigest()
    assert hmac.compare_digest(header, expected)
    assert webhook.verify(key, raw, header)
    assert not webhook.verify(key, raw + b" ", header)
