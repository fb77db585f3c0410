"""E-mails after a card is added or deleted (SECURITY.md row 19), sent by the outbox worker.

They show the masked number only (`4242 •••• •••• 4242`), in the language the buyer used.
"""

from __future__ import annotations

from typing import Any

from django.contrib.auth import get_user_model
from django.core.mail import send_mail
from django.template.loader import render_to_string
from django.utils import translation
from django.utils.translation import gettext, gettext_noop

from zhifu.config.site import config
from zhifu.notifications.services import send_once
from zhifu.outbox.services import handler
from zhifu.vault.services import TOPIC_ADDED, TOPIC_DELETED


def _address(payload: dict[str, Any]) -> str:
    if payload.get("email"):
        return str(payload["email"])
    user = get_user_model().objects.filter(pk=payload["owner"]).first()
    return str(getattr(user, "email", "") or "") if user else ""


def _send(template: str, subject: str, payload: dict[str, Any]) -> None:
    address = _address(payload)
    if not address:
        return  # the account is gone: nobody to tell
    context = {**payload, "wallet_url": config().urls["wallet"]}
    body = render_to_string(template, context)
    send_mail(subject, body, None, [address])


def _send_in_language(template: str, subject: str, payload: dict[str, Any]) -> None:
    with translation.override(payload.get("language") or "en"):
        _send(template, gettext(subject), payload)


@handler(TOPIC_ADDED)
def card_added(message_id: int, payload: dict[str, Any]) -> None:
    template = "vault/email/card_added.txt"
    send_once(
        message_id,
        template,
        lambda: _send_in_language(
            template, gettext_noop("A card was added to your wallet"), payload
        ),
    )


@handler(TOPIC_DELETED)
def card_deleted(message_id: int, payload: dict[str, Any]) -> None:
    template = "vault/email/card_deleted.txt"
    send_once(
        message_id,
        template,
        lambda: _send_in_language(
            template, gettext_noop("A card was deleted from your wallet"), payload
        ),
    )
