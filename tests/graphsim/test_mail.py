"""POST /users/{id}/sendMail on the Graph simulator: Graph's answers to good and bad bodies, and the
messages it keeps."""

from __future__ import annotations

import base64
from collections.abc import Iterator
from email.message import EmailMessage
from pathlib import Path

import httpx
import orjson
import pytest

from graphsim import GraphSimulator
from tests.support import write, write_tenant

MAILBOX = "pinreset-monitor@contoso.com"


@pytest.fixture
def graph(tmp_path: Path) -> Iterator[GraphSimulator]:
    snapshot = write_tenant(tmp_path / "tenant")
    write(
        snapshot,
        "v1.0/users",
        {"value": [{"id": "0f0f0f0f-0000-4000-8000-000000000001", "userPrincipalName": MAILBOX}]},
    )
    with GraphSimulator(snapshot, mail_dir=tmp_path / "mail") as sim:
        yield sim


def post(sim: GraphSimulator, body: bytes, content_type: str, mailbox: str = MAILBOX) -> httpx.Response:
    return httpx.post(
        f"{sim.url}/v1.0/users/{mailbox}/sendMail",
        content=body,
        headers={"Authorization": "Bearer t", "Content-Type": content_type},
    )


def test_the_simulator_answers_bad_mime_as_graph_does(graph: GraphSimulator) -> None:
    response = post(graph, b"not base64 at all!", "text/plain")

    assert response.status_code == 400
    assert response.json()["error"]["code"] == "ErrorMimeContentInvalidBase64String"
    assert response.json()["error"]["message"] == "Invalid base64 string for MIME content."


def test_the_simulator_refuses_a_message_without_recipients(graph: GraphSimulator) -> None:
    message = EmailMessage()
    message["Subject"] = "x"
    message.set_content("x")

    response = post(graph, base64.b64encode(message.as_bytes()), "text/plain")

    assert response.status_code == 400
    assert response.json()["error"] | {"innerError": None} == {
        "code": "ErrorInvalidRecipients",
        "message": "At least one recipient is not valid., A message can't be sent because it contains no "
        "recipients.",
        "innerError": None,
    }


def test_the_simulator_takes_the_json_form_too(graph: GraphSimulator) -> None:
    body = {
        "message": {
            "subject": "Lunch",
            "body": {"contentType": "Text", "content": "The cafeteria is open."},
            "toRecipients": [{"emailAddress": {"address": "alex@contoso.com"}}],
        }
    }

    response = post(graph, orjson.dumps(body), "application/json")

    assert (response.status_code, response.content) == (202, b"")
    [sent] = graph.mail.sent
    assert (sent.message["To"], sent.message["Subject"], sent.message.get_content().strip()) == (
        "alex@contoso.com",
        "Lunch",
        "The cafeteria is open.",
    )


def test_a_mailbox_that_is_not_a_user_is_404_as_graph_answers(graph: GraphSimulator) -> None:
    response = post(graph, b"{}", "application/json", mailbox="nobody@contoso.com")

    assert response.status_code == 404
    assert response.json()["error"]["code"] == "ErrorInvalidUser"
    assert response.json()["error"]["message"] == "The requested user 'nobody@contoso.com' is invalid."


def test_accepted_messages_are_written_as_eml_files_named_for_the_recipient(
    graph: GraphSimulator, tmp_path: Path
) -> None:
    message = EmailMessage()
    message["To"] = "alex@contoso.com"
    message["Subject"] = "x"
    message.set_content("x")

    assert post(graph, base64.b64encode(message.as_bytes()), "text/plain").status_code == 202

    assert [f.name for f in (tmp_path / "mail").iterdir()] == ["0001-alex@contoso.com.eml"]
