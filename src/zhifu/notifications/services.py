"""E-mails to buyers, in the buyer's language (the locale claim of their shop).

Two ways out:

- ``queue_email(user, template)``: through the transactional outbox, written in the caller's
  transaction; ``zhifu worker`` sends it (at least once; deduplicated by message id).
- ``send_email_on_commit(...)``: sent directly once the transaction commits. Used only for
  messages that carry a one-time secret (the confirmation link): the outbox would keep the
  secret in clear in the database, while the wallet stores only its hash
  (docs/decisions/0004-confirmation-email-bypasses-the-outbox.md).

Other areas that announce their own outbox events (the vault's card events) send their
e-mails from their handlers with ``deliver_once``. Every e-mail is rendered and sent here.

Security notices (a card added or deleted, the payment password or questions changed, the
e-mail address changed, a shop connected or removed, a recovery) carry a "This wasn't me"
link of their own (``freeze_link=True``, ``freeze_for=``): :func:`new_freeze_link` makes it
when the e-mail is rendered, so for an outbox e-mail in the worker and never in the
outbox's table. Recovery spends it (:func:`spend_freeze_link`) and freezes the wallet.

Templates: ``notifications/email/<name>_subject.txt`` and ``<name>.html`` (extending the
wallet's ``base.html``); the plain-text part is derived from the HTML (``zhifu.web.emails``).
"""

from __future__ import annotations

import secrets
from collections.abc import Callable, Mapping
from typing import Any

import structlog
from django.db import transaction
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext

from zhifu.config.site import config
from zhifu.kernel import clock
from zhifu.notifications import domain
from zhifu.notifications.models import FreezeLink, SentEmail
from zhifu.outbox import services as outbox
from zhifu.web.emails import Email, layout_context
from zhifu.web.shop_names import shop_name

log = structlog.get_logger(__name__)

TOPIC = "notifications.email"
LANGUAGES = domain.LANGUAGES


def language_of(user: Any) -> str:
    """The language to write to this buyer in: their locale claim, else the current page's."""
    return domain.language_for([getattr(user, "locale", ""), translation.get_language()])


def compose(template: str, language: str, context: Mapping[str, Any]) -> Email:
    with translation.override(language):
        ctx = {
            **layout_context(gettext("zhifu wallet")),
            "wallet_url": config().urls["wallet"],
            **context,
        }
        if "shop" in ctx:  # queued as registered, written as the buyer's language names it
            ctx["shop"] = shop_name(ctx["shop"])
        subject = " ".join(
            render_to_string(f"notifications/email/{template}_subject.txt", ctx).split()
        )
        html = render_to_string(f"notifications/email/{template}.html", {**ctx, "subject": subject})
    return Email(subject=subject, html=html, language=language)


def render(template: str, language: str, context: Mapping[str, Any]) -> tuple[str, str]:
    """The subject and the plain-text part of an e-mail."""
    email = compose(template, language, context)
    return email.subject, email.text


def _send(to: str, template: str, language: str, context: Mapping[str, Any]) -> None:
    compose(template, language, context).message(to).send()
    log.info("email.sent", template=template, language=language)


def queue_email(
    user: Any,
    template: str,
    context: dict[str, Any] | None = None,
    to: str | None = None,
    *,
    freeze_link: bool = False,
) -> None:
    """Enqueue an e-mail to the user; must run inside the transaction of the change. A
    security notice (``freeze_link``) gets the user's own "This wasn't me" link when sent."""
    address = to or user.email
    if not address:
        return
    payload = {
        "to": address,
        "template": template,
        "language": language_of(user),
        "context": context or {},
    }
    if freeze_link:
        payload["freeze_for"] = str(user.pk)
    outbox.enqueue(TOPIC, payload)


def send_email_on_commit(to: str, template: str, language: str, context: dict[str, Any]) -> None:
    transaction.on_commit(lambda: _send(to, template, language, context))


def send_once(message_id: int, template: str, send: Callable[[], None]) -> None:
    """Run send() for an outbox message unless it was delivered already.

    The outbox delivers at least once: a worker that dies after sending but before marking
    the message done hands it out again. The SentEmail row, written right after sending,
    lets the second delivery see the first and stay silent. Every e-mail handler uses this.
    """
    if SentEmail.objects.filter(outbox_id=message_id).exists():
        return
    send()
    SentEmail.objects.get_or_create(outbox_id=message_id, defaults={"template": template})


def deliver_once(
    message_id: int,
    to: str,
    template: str,
    language: str,
    context: Mapping[str, Any],
    *,
    freeze_for: Any = None,
) -> None:
    """Send the e-mail of an outbox message, once per message (see send_once); with a
    fresh "This wasn't me" link of user ``freeze_for`` when it is a security notice."""

    def send() -> None:
        extra = freeze_context(freeze_for) if freeze_for else {}
        _send(to, template, language, {**context, **extra})

    send_once(message_id, template, send)


# --- "This wasn't me" links ------------------------------------------------------------------


def new_freeze_link(user_id: Any) -> str:
    """A fresh single-use "This wasn't me" link of the user, from the configured base URL;
    only the token's hash is kept. Recovery's page spends it (no sign-in needed)."""
    token = secrets.token_urlsafe(domain.TOKEN_BYTES)
    now = clock.now()
    FreezeLink.objects.create(
        user_id=str(getattr(user_id, "pk", user_id)),
        token_hash=domain.token_digest(token),
        created_at=now,
        expires_at=now + domain.FREEZE_LINK_LIFETIME,
    )
    return config().urls["wallet"] + reverse("recovery:freeze-link", args=[token])


def freeze_context(user_id: Any) -> dict[str, Any]:
    """What a security e-mail's templates show of its "This wasn't me" link."""
    return {"freeze_link": new_freeze_link(user_id), "days": domain.FREEZE_LINK_LIFETIME.days}


def _live_freeze_links(digest: str | None) -> Any:
    return FreezeLink.objects.filter(
        token_hash=digest or "-", used_at__isnull=True, expires_at__gt=clock.now()
    )


def freeze_link_owner(digest: str | None) -> str | None:
    """The user id of the unused, unexpired freeze link with this token digest, else None."""
    row = _live_freeze_links(digest).first()
    return None if row is None else row.user_id


def spend_freeze_link(digest: str | None) -> str | None:
    """Use the freeze link up (once, even under concurrent clicks): its user id, else None.
    Call it in the transaction of the freeze, so the two commit together."""
    row = _live_freeze_links(digest).first()
    if row is None:
        return None
    # The conditional update is the single use: of two clicks at once, one spends it.
    spent = FreezeLink.objects.filter(pk=row.pk, used_at__isnull=True).update(used_at=clock.now())
    return row.user_id if spent == 1 else None
