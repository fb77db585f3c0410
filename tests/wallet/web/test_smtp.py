"""E-mail leaves through a real SMTP server when zhifu is not in demo mode."""

from __future__ import annotations

from collections.abc import Iterator
from email import message_from_bytes
from typing import Any

import pytest
from aiosmtpd.controller import Controller
from django.core import mail
from django.test import override_settings

from tests.harness.demo import free_port


class Inbox:
    def __init__(self) -> None:
        self.messages: list[tuple[str, list[str], bytes]] = []

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        self.messages.append((envelope.mail_from, list(envelope.rcpt_tos), envelope.content))
        return "250 Message accepted for delivery"


@pytest.fixture
def smtp_server() -> Iterator[tuple[Inbox, int]]:
    inbox = Inbox()
    port = free_port()
    controller = Controller(inbox, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        yield inbox, port
    finally:
        controller.stop()


def _smtp(port: int) -> override_settings:
    return override_settings(
        EMAIL_BACKEND="django.core.mail.backends.smtp.EmailBackend",
        EMAIL_HOST="127.0.0.1",
        EMAIL_PORT=port,
        EMAIL_USE_TLS=False,
    )


def test_mail_is_delivered_over_smtp(smtp_server: tuple[Inbox, int]) -> None:
    inbox, port = smtp_server
    with _smtp(port):
        sent = mail.send_mail("Ваш кошелёк", "Привет", "zhifu <no-reply@zhifu.test>", ["b@x.test"])
    assert sent == 1
    [(sender, recipients, raw)] = inbox.messages
    assert sender == "no-reply@zhifu.test"
    assert recipients == ["b@x.test"]
    message = message_from_bytes(raw)
    assert "Привет" in message.get_payload(decode=True).decode()  # type: ignore[union-attr]


def test_a_wallet_e_mail_arrives_with_both_parts(smtp_server: tuple[Inbox, int]) -> None:
    from email import policy
    from email.message import EmailMessage

    from zhifu.notifications import services

    inbox, port = smtp_server
    with _smtp(port):
        services._send("b@x.test", "registration_complete", "ru", {})
    [(_, _, raw)] = inbox.messages
    message = message_from_bytes(raw, policy=policy.default)
    assert isinstance(message, EmailMessage)
    assert message["Content-Language"] == "ru"
    html, text = message.get_body(("html",)), message.get_body(("plain",))
    assert html is not None
    assert text is not None
    assert "Перейти к моему счёту</a>" in str(html.get_content())
    # SMTP carries CRLF line ends.
    plain = str(text.get_content()).replace("\r\n", "\n")
    assert "Перейти к моему счёту:\nhttp://localhost:8000/account/\n" in plain
