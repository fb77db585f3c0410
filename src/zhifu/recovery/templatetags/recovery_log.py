"""The security log's events in the buyer's language."""

from __future__ import annotations

from typing import Any

from django import template
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from zhifu.security.domain import EventKind

register = template.Library()

LABELS: dict[str, Any] = {
    EventKind.SIGNED_IN: _("Signed in"),
    EventKind.PIN_OK: _("Payment password entered"),
    EventKind.PIN_WRONG: _("Wrong payment password"),
    EventKind.PIN_LOCKED: _("Payment password locked"),
    EventKind.PIN_CHANGED: _("Payment password changed"),
    EventKind.QUESTIONS_CHANGED: _("Security questions changed"),
    EventKind.CARD_ADDED: _("Card added"),
    EventKind.CARD_DELETED: _("Card deleted"),
    EventKind.EMAIL_CHANGE_REQUESTED: _("E-mail change requested"),
    EventKind.EMAIL_CHANGED: _("E-mail changed"),
    EventKind.RECOVERY_REQUESTED: _("Recovery link sent"),
    EventKind.RECOVERY_LINK_OPENED: _("Recovery link opened"),
    EventKind.RECOVERY_ANSWERS_WRONG: _("Wrong security answers"),
    EventKind.RECOVERY_ANSWERS_OK: _("Security answers correct"),
    EventKind.RECOVERY_LINK_REVOKED: _("Recovery link revoked"),
    EventKind.RECOVERY_LOCKED: _("Self-service recovery locked"),
    EventKind.RECOVERY_COMPLETED: _("Payment password recovered"),
    EventKind.RECOVERY_UNLOCKED: _("Recovery unlocked by support"),
    EventKind.WALLET_FROZEN: _("Wallet frozen"),
    EventKind.WALLET_UNFROZEN: _("Wallet unfrozen"),
    EventKind.COOL_OFF_CONFIRMED: _("Confirmed by e-mail"),
}
assert set(LABELS) == set(EventKind)


@register.filter
def event_label(event: Any) -> str:
    label = str(LABELS.get(event.kind, event.kind))
    if not event.detail:
        return label
    # The card as the payment history names it (never "•••• 1234": a mask shows 4 + 4 digits).
    card = gettext("ending in %(last4)s") % {"last4": event.detail}
    return f"{label} ({card})"
