"""Every wallet e-mail: an HTML part and its plain-text twin, each with the message's link,
the language in Content-Language, a greeting, the sign-off and the support address."""

from __future__ import annotations

import dataclasses
import re
from email import message_from_bytes, policy
from email.message import EmailMessage
from pathlib import Path
from typing import Any

import pytest
from django.core import mail

from zhifu.config.site import config
from zhifu.notifications import services

TEMPLATES = Path(services.__file__).parent / "templates" / "notifications" / "email"
KINDS = sorted(p.name.removesuffix("_subject.txt") for p in TEMPLATES.glob("*_subject.txt"))
LINK = "http://localhost:8000/e/LINK-TOKEN-FOR-THE-TEST/"  # pragma: allowlist secret
CONTEXT: dict[str, Any] = {
    "link": LINK,
    "freeze_link": LINK,
    "shop": "Bazaar",
    "new": "new@example.com",
    "scheme": "Visa",
    "masked": "4242 •••• •••• 4242",
    "label": "Salary & <b>bonus</b>",
    "hours": 24,
    "minutes": 30,
    "days": 7,
    "cool_off_hours": 24,
    "until": "12:00",
}
GREETING = {"en": "Hello,", "ru": "Здравствуйте!"}
SIGN_OFF = {"en": "zhifu wallet", "ru": "Кошелёк zhifu"}
SUPPORT_WORDS = {"en": "support", "ru": "поддержк"}


def _sent(kind: str, language: str) -> EmailMessage:
    mail.outbox.clear()
    services._send("buyer@example.com", kind, language, CONTEXT)
    [sent] = mail.outbox
    parsed = message_from_bytes(sent.message().as_bytes(), policy=policy.default)
    assert isinstance(parsed, EmailMessage)
    return parsed


def _part(message: EmailMessage, kind: str) -> str:
    part = message.get_body(preferencelist=(kind,))
    assert part is not None, f"no text/{kind} part"
    return str(part.get_content())


def test_every_kind_is_tested() -> None:
    assert len(KINDS) == 17
    assert {p.stem for p in TEMPLATES.glob("*.html")} >= set(KINDS)


@pytest.mark.parametrize("language", ["en", "ru"])
@pytest.mark.parametrize("kind", KINDS)
def test_each_e_mail_has_both_parts_its_language_and_its_link(kind: str, language: str) -> None:
    message = _sent(kind, language)
    assert message.get_content_type() == "multipart/alternative"
    assert message["Content-Language"] == language
    html, text = _part(message, "html"), _part(message, "plain")
    assert f'<html lang="{language}">' in html

    # The actions are buttons in the HTML, each written out in full in the text part; the
    # first is the e-mail's own link where it has one.
    buttons = re.findall(r'<a class="button" href="([^"]+)"', html)
    assert buttons
    for button in buttons:
        assert button.startswith("http://localhost:8000/")
        assert f":\n{button}\n" in text
    source = (TEMPLATES / f"{kind}.html").read_text()
    if "href=link" in source or "href=freeze_link" in source:
        assert buttons[0] == LINK
    # The text part is words and links only, no markup.
    assert "<" not in text.replace("<b>bonus</b>", "")
    assert text.startswith(GREETING[language] + "\n\n")
    assert f"\n\n{SIGN_OFF[language]}\n\n" in text
    # Every e-mail names the support address, in both parts; the HTML as a mailto link.
    support = config().env.support_email
    assert f'href="mailto:{support}"' in html
    assert support in text
    assert SUPPORT_WORDS[language] in text.lower()


@pytest.mark.parametrize("kind", KINDS)
def test_the_html_has_inline_styles_only_and_nothing_remote(kind: str) -> None:
    html = _part(_sent(kind, "en"), "html")
    assert "<style" not in html
    assert "<link" not in html
    assert "<img" not in html
    assert "<script" not in html
    assert not re.search(r"\ssrc=|url\(", html)


def test_a_card_label_is_escaped_in_the_html_and_kept_as_typed_in_the_text() -> None:
    message = _sent("card_added", "en")
    assert "Salary &amp; &lt;b&gt;bonus&lt;/b&gt;" in _part(message, "html")
    assert "Visa 4242 •••• •••• 4242 (Salary & <b>bonus</b>)" in _part(message, "plain")


def test_where_an_e_mail_says_contact_support_it_gives_the_address() -> None:
    support = config().env.support_email
    for kind in KINDS:
        text = _part(_sent(kind, "en"), "plain")
        for sentence in re.findall(r"[^.\n]*write to support[^\n]*", text):
            assert support in sentence, (kind, sentence)
    assert "write to support at once: " + support in _part(
        _sent("payment_password_changed", "en"), "plain"
    )


def test_the_support_address_is_a_setting(settings: Any) -> None:
    cfg = config()
    env = cfg.env.model_copy(update={"support_email": "help@shop.example"})
    settings.ZHIFU = dataclasses.replace(cfg, env=env)
    text = _part(_sent("registration_complete", "ru"), "plain")
    assert "напишите в службу поддержки: help@shop.example" in text


@pytest.mark.parametrize(
    ("kind", "minutes", "days", "words"),
    [
        ("recovery_link", 30, 7, "30 минут."),
        ("recovery_link", 1, 7, "1 минута."),
        ("recovery_link", 2, 7, "2 минуты."),
        ("cool_off_confirmation", 30, 7, "30 минут."),
        ("recovery_completed", 30, 7, "в течение 7 дней"),
        ("recovery_completed", 30, 1, "в течение 1 дня"),
        ("card_added", 30, 7, "в течение 7 дней"),  # its freeze link
    ],
)
def test_lifetimes_are_written_out_in_russian(
    kind: str, minutes: int, days: int, words: str
) -> None:
    """«30 минут», «7 дней» in the number's form, never «30 мин.» or «7 дн.»."""
    context = {**CONTEXT, "minutes": minutes, "days": days}
    for text in (
        services.render(kind, "ru", context)[1],
        services.compose(kind, "ru", context).html,
    ):
        flat = " ".join(text.split())
        assert words in flat
        assert not re.search(r"\d+\s+(мин|дн)\.", flat)
