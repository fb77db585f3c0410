"""The vault's outbox handlers (found by the outbox's autodiscovery): a card added or
deleted is e-mailed to its owner, with the masked number only and a "This wasn't me" link,
through notifications."""

from __future__ import annotations

from zhifu.notifications.domain import language_for
from zhifu.notifications.services import deliver_once
from zhifu.outbox.domain import Event
from zhifu.outbox.services import handler
from zhifu.vault.services import TOPIC_ADDED, TOPIC_DELETED


def _email(event: Event, template: str) -> None:
    payload = event.payload
    if not payload.get("email"):
        return  # the buyer has no address on file: nobody to tell
    context = {key: payload[key] for key in ("scheme", "masked", "label")}
    language = language_for([payload.get("language")])
    deliver_once(
        event.id,
        str(payload["email"]),
        template,
        language,
        context,
        freeze_for=payload["owner"],
    )


@handler(TOPIC_ADDED)
def card_added(event: Event) -> None:
    _email(event, "card_added")


@handler(TOPIC_DELETED)
def card_deleted(event: Event) -> None:
    _email(event, "card_deleted")
