"""Alert email: one message per recipient per pass, HTML and plain text, sent through Graph sendMail
(the real msgraph-sdk adapter against the Graph simulator, which keeps each message as an .eml)."""

from __future__ import annotations

import asyncio
from dataclasses import replace
from datetime import timedelta
from email import policy
from email.message import EmailMessage
from email.parser import BytesParser
from pathlib import Path

from graphsim import GraphSimulator
from monitor.alerts.channels import email
from monitor.alerts.process import process_alerts
from monitor.alerts.settings import AlertDestination, AlertSettings
from monitor.graph.session import GraphSession
from monitor.store.alerts import AlertStore
from tests.alerts.support import MAILBOX, T0, TENANT, failing
from tests.support import simulator_settings

ADMINS = ("alex@contoso.com", "sam@contoso.com")


def mail_settings(**changes: object) -> AlertSettings:
    settings = AlertSettings(
        destinations=(AlertDestination("admins", "email", recipients=ADMINS),),
        default_route=("admins",),
        email_transport="graph",
        email_sender=MAILBOX,
    )
    return replace(settings, **changes)  # type: ignore[arg-type]


def send(sim: GraphSimulator, store: AlertStore, findings: list, minutes: float = 0) -> None:  # type: ignore[type-arg]
    async def go() -> None:
        async with GraphSession(simulator_settings(sim.url)) as session:
            await process_alerts(
                store, findings, TENANT, T0 + timedelta(minutes=minutes), mail_settings(), session
            )

    asyncio.run(go())


def parse(raw: bytes) -> EmailMessage:
    message = BytesParser(policy=policy.default).parsebytes(raw)
    assert isinstance(message, EmailMessage)
    return message


def test_several_alerts_due_make_one_message_per_recipient_with_html_and_text(
    graph: GraphSimulator, alert_store: AlertStore, tmp_path: Path
) -> None:
    findings = [failing(), failing("tap.signin.risky", "user-1", severity="medium")]

    send(graph, alert_store, findings)

    files = sorted((tmp_path / "mail").glob("*.eml"))
    assert sorted(f.name[5:] for f in files) == ["alex@contoso.com.eml", "sam@contoso.com.eml"]
    messages = [parse(f.read_bytes()) for f in files]
    assert sorted(m["To"] for m in messages) == list(ADMINS)
    message = messages[0]
    assert message["From"] == MAILBOX
    # Python folds a long Subject after "Subject:"; a reader unfolds it and drops the space.
    assert (
        message["Subject"].strip()
        == "2 alerts need attention at Contoso: PIN reset service app is not consented"
    )
    assert message.get_content_type() == "multipart/alternative"
    assert [p.get_content_type() for p in message.iter_parts()] == ["text/plain", "text/html"]
    text = message.get_body(("plain",))
    markup = message.get_body(("html",))
    assert text is not None
    assert markup is not None
    assert "New alert: PIN reset service app is not consented" in text.get_content()
    assert "<h2" in markup.get_content()
    assert ">Grant consent</a>" in markup.get_content()
    assert len(alert_store.notifications(TENANT.id, "delivered")) == 4  # 2 notices x 2 recipients
    assert graph.count(path_contains="sendMail", status=202) == 2


def test_a_single_alert_names_its_severity_in_the_subject(
    graph: GraphSimulator, alert_store: AlertStore
) -> None:
    send(graph, alert_store, [failing()])

    message = graph.mail.sent[0].message
    assert message["Subject"] == "[HIGH] New alert: PIN reset service app is not consented (Contoso)"
    assert message["Message-ID"].endswith("@pin-reset-monitor.invalid>")


def test_a_mailbox_that_is_not_a_user_is_dead_as_graph_answers(
    graph: GraphSimulator, alert_store: AlertStore
) -> None:
    async def go() -> None:
        async with GraphSession(simulator_settings(graph.url)) as session:
            await process_alerts(
                alert_store,
                [failing()],
                TENANT,
                T0,
                mail_settings(email_sender="nobody@contoso.com"),
                session,
            )

    asyncio.run(go())

    rows = alert_store.notifications(TENANT.id, "dead")
    assert [r.last_error for r in rows] == [
        "email destination admins answered 404 (ErrorInvalidUser: The requested user 'nobody@contoso.com' is "
        "invalid.): not retried, check the destination's settings"
    ] * 2


def test_the_recipient_target_is_a_hash_not_the_address() -> None:
    target = email.recipient_target("admins", "Alex@Contoso.com")

    assert target == email.recipient_target("admins", "alex@contoso.com")
    assert target.startswith("admins#")
    assert "contoso" not in target
