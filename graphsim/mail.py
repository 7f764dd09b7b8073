"""`POST /users/{id | userPrincipalName}/sendMail`, as Graph takes it: a JSON `{"message": ...}` or
the MIME message base64-encoded with Content-Type text/plain; 202 Accepted with no body. Each message
sent is kept, and written as an `.eml` file when the simulator is given a mail directory: the local
stand-in for the recipients' mailboxes. https://learn.microsoft.com/graph/api/user-sendmail
"""

from __future__ import annotations

import base64
import binascii
import re
import threading
from dataclasses import dataclass
from email import policy
from email.message import EmailMessage
from email.parser import BytesParser
from pathlib import Path
from typing import Any

import orjson

from graphsim.errors import GraphError

SEND_MAIL = re.compile(r"^/+(v1\.0|beta)/+users/+([^/]+)/+sendMail/*$", re.IGNORECASE)
_ADDRESS = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")


@dataclass(frozen=True)
class SentMail:
    mailbox: str
    message: EmailMessage
    file: Path | None


def _no_recipients() -> GraphError:
    return GraphError(
        400,
        "ErrorInvalidRecipients",
        "At least one recipient is not valid., A message can't be sent because it contains no recipients.",
    )


def _unresolved(address: str) -> GraphError:
    return GraphError(
        400,
        "ErrorInvalidRecipients",
        f"At least one recipient is not valid., Recipient '{address}' is not resolved. All recipients must "
        "be resolved before a message can be submitted.",
    )


def _check_addresses(addresses: list[str]) -> None:
    if not addresses:
        raise _no_recipients()
    for address in addresses:
        if not _ADDRESS.match(address):
            raise _unresolved(address)


def _from_mime(body: bytes) -> EmailMessage:
    try:
        raw = base64.b64decode(body, validate=True)
    except (binascii.Error, ValueError):
        raise GraphError(
            400, "ErrorMimeContentInvalidBase64String", "Invalid base64 string for MIME content."
        ) from None
    message = BytesParser(policy=policy.default).parsebytes(raw)
    if not isinstance(message, EmailMessage) or not message.keys():
        raise GraphError(400, "ErrorMimeContentInvalid", "Invalid MIME content.")
    addresses = [
        a.addr_spec for field in ("To", "Cc", "Bcc") for a in getattr(message[field], "addresses", ())
    ]
    _check_addresses(addresses)
    return message


def _recipients(value: Any, field: str) -> list[str]:
    if value is None:
        return []
    if not isinstance(value, list):
        raise GraphError(
            400, "RequestBodyRead", f"Cannot convert the literal to the expected type for '{field}'."
        )
    addresses = []
    for item in value:
        email = item.get("emailAddress") if isinstance(item, dict) else None
        address = email.get("address") if isinstance(email, dict) else None
        if not isinstance(address, str):
            raise _unresolved("")
        addresses.append(address)
    return addresses


def _from_json(body: bytes, mailbox: str) -> EmailMessage:
    try:
        document = orjson.loads(body)
    except orjson.JSONDecodeError:
        document = None
    if not isinstance(document, dict):
        raise GraphError(
            400,
            "BadRequest",
            "Unable to read JSON request payload. Please ensure Content-Type header is set and payload is of "
            "valid JSON format.",
        )
    message = document.get("message")
    if not isinstance(message, dict):
        raise GraphError(400, "ErrorInvalidParameter", "The value of the parameter 'Message' is empty.")
    to = _recipients(message.get("toRecipients"), "toRecipients")
    cc = _recipients(message.get("ccRecipients"), "ccRecipients")
    bcc = _recipients(message.get("bccRecipients"), "bccRecipients")
    _check_addresses(to + cc + bcc)
    result = EmailMessage()
    result["From"] = mailbox
    for name, addresses in (("To", to), ("Cc", cc), ("Bcc", bcc)):
        if addresses:
            result[name] = ", ".join(addresses)
    result["Subject"] = str(message.get("subject") or "")
    raw_body = message.get("body")
    content: dict[str, Any] = raw_body if isinstance(raw_body, dict) else {}
    text = str(content.get("content") or "")
    if str(content.get("contentType", "text")).lower() == "html":
        result.set_content(text, subtype="html")
    else:
        result.set_content(text)
    return result


class Outbox:
    """The messages the simulator accepted, in order; written under `directory` if given."""

    def __init__(self, directory: Path | None = None) -> None:
        self.directory = directory
        self._sent: list[SentMail] = []
        self._lock = threading.Lock()
        # Numbering continues after files already there: a simulator restarted on another snapshot
        # with the same directory adds to the mailbox instead of overwriting it.
        self._first = (
            len(list(directory.glob("*.eml"))) if directory is not None and directory.is_dir() else 0
        )

    @property
    def sent(self) -> list[SentMail]:
        with self._lock:
            return list(self._sent)

    def accept(self, mailbox: str, content_type: str, body: bytes) -> SentMail:
        """Validate one sendMail body as Graph does (raises GraphError) and keep the message."""
        kind = content_type.split(";")[0].strip().lower()
        if kind == "text/plain":
            message = _from_mime(body)
        elif kind == "application/json":
            message = _from_json(body, mailbox)
        else:
            raise GraphError(
                415, "UnsupportedMediaType", "Use application/json, or text/plain for MIME content."
            )
        with self._lock:
            number = self._first + len(self._sent) + 1
            file = None
            if self.directory is not None:
                self.directory.mkdir(parents=True, exist_ok=True)
                to = getattr(message["To"], "addresses", ())
                safe = re.sub(r"[^A-Za-z0-9@._-]", "_", to[0].addr_spec if to else mailbox)[:60]
                file = self.directory / f"{number:04d}-{safe}.eml"
                file.write_bytes(message.as_bytes())
            sent = SentMail(mailbox, message, file)
            self._sent.append(sent)
        return sent
