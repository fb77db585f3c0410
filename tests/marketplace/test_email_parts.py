"""The shop's e-mails: an HTML part and its plain-text twin, each with the message's link,
the buyer's language in Content-Language, a greeting by name and the support address."""

from __future__ import annotations

import re
from email import message_from_bytes, policy
from email.message import EmailMessage

import pytest
from django.core import mail
from django.test import Client

from tests.marketplace.conftest import PASSWORD
from zhifu.config.site import config
from zhifu.marketplace.models import Buyer

pytestmark = pytest.mark.django_db


def _parsed(index: int = 0) -> EmailMessage:
    parsed = message_from_bytes(mail.outbox[index].message().as_bytes(), policy=policy.default)
    assert isinstance(parsed, EmailMessage)
    return parsed


def _parts(message: EmailMessage) -> tuple[str, str]:
    html, text = message.get_body(("html",)), message.get_body(("plain",))
    assert html is not None
    assert text is not None
    return str(html.get_content()), str(text.get_content())


def _check(message: EmailMessage, language: str, link_path: str, greeting: str) -> None:
    assert message.get_content_type() == "multipart/alternative"
    assert message["Content-Language"] == language
    html, text = _parts(message)
    [button, *_] = re.findall(r'<a class="button" href="([^"]+)"', html)
    assert link_path in button
    assert f":\n{button}\n" in text
    assert text.startswith(greeting + "\n\n")
    support = config().env.support_email
    assert f'href="mailto:{support}"' in html
    assert support in text
    for remote_or_sheet in ("<style", "<img", "<link"):
        assert remote_or_sheet not in html


@pytest.mark.parametrize(
    ("language", "greeting"), [("ru", "Здравствуйте, Олег!"), ("en", "Hello Oleg,")]
)
def test_the_reset_e_mail(client: Client, language: str, greeting: str) -> None:
    name = {"ru": "Олег", "en": "Oleg"}[language]
    Buyer.objects.create_user("oleg@example.org", PASSWORD, name=name, locale=language)
    client.post("/password-reset/", {"email": "oleg@example.org"})
    _check(_parsed(), language, "/password-reset/", greeting)


@pytest.mark.parametrize(
    ("language", "greeting"), [("ru", "Здравствуйте, Ivan!"), ("en", "Hello Ivan,")]
)
def test_the_sign_up_e_mails(client: Client, language: str, greeting: str) -> None:
    form = {"name": "Ivan", "email": "ivan@example.org", "password": PASSWORD, "locale": language}
    client.post("/signup/", form)
    _check(_parsed(), language, "/signup/confirm/", greeting)
    Buyer.objects.create_user("olga@example.org", PASSWORD, name="Ivan", locale=language)
    client.post("/signup/", {**form, "email": "olga@example.org"})
    _check(_parsed(1), language, "/login/", greeting)  # the "you already have one" e-mail
