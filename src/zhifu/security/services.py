"""Use cases of the security log and the wallet's restrictions.

Public API for every area (this one sits below them all but db and kernel):

- ``record(user_id, kind, detail=, shop=)``: append an event to the buyer's security log
  (the operators' audit log is the same append-only table, plus one ``security.event`` log
  line). The request's address, browser and shop come from :class:`Origin`, set once per
  request by ``security.middleware`` (and the shop by accounts), so no use case has to
  thread them through.
- ``events(user_id, page)``: the buyer's log, newest first, paginated.
- ``restrictions(user_id) -> Restrictions``; ``check_card_change(user_id)`` and
  ``check_payment(user_id, amount)`` raise WalletFrozen or FreshConfirmationNeeded (and
  spend a fresh confirmation when one is needed and present): the vault and payments call
  them before acting.
- ``freeze(user_id)``, ``unfreeze(user_id)``, ``start_cool_off(user_id)``,
  ``confirm_fresh(user_id)``: written by recovery (and support, later).
"""

from __future__ import annotations

import contextvars
import datetime as dt
from dataclasses import dataclass
from typing import Any

import structlog
from django.core.paginator import Page, Paginator
from django.db import transaction

from zhifu.config.site import config
from zhifu.kernel import clock
from zhifu.kernel.money import Money
from zhifu.security import domain
from zhifu.security.domain import EventKind, Restrictions
from zhifu.security.errors import FreshConfirmationNeeded, WalletFrozen
from zhifu.security.models import Restriction, SecurityEvent

log = structlog.get_logger("zhifu.audit")

# A fresh e-mail confirmation lets one guarded action through for this long.
CONFIRMATION_LIFETIME = dt.timedelta(minutes=15)

__all__ = ["EventKind", "FreshConfirmationNeeded", "Restrictions", "WalletFrozen"]


def _uid(user: Any) -> str:
    """A user (or its id) as the rows name it."""
    return str(getattr(user, "pk", user))


@dataclass(frozen=True)
class Origin:
    """Where the current request comes from (the client's address as ``web.client_ip``
    tells it, its User-Agent, the shop its session signed in through)."""

    ip: str = ""
    user_agent: str = ""
    shop: str = ""


_NOWHERE = Origin()  # outside a request (commands, the worker)
_origin: contextvars.ContextVar[Origin] = contextvars.ContextVar("zhifu_origin")


def set_origin(ip: str, user_agent: str) -> contextvars.Token[Origin]:
    return _origin.set(Origin(ip=ip, user_agent=user_agent[: domain.USER_AGENT_MAX]))


def reset_origin(token: contextvars.Token[Origin]) -> None:
    _origin.reset(token)


def note_shop(shop: str) -> None:
    """The shop the current request's session signed in through (set by accounts)."""
    current = _origin.get(_NOWHERE)
    if shop and current.shop != shop:
        _origin.set(Origin(current.ip, current.user_agent, shop[:100]))


def record(user_id: Any, kind: EventKind, *, detail: str = "", shop: str = "") -> None:
    """Append one event to the buyer's log; in the caller's transaction when there is one
    (a rolled-back change leaves no event)."""
    origin = _origin.get(_NOWHERE)
    event = SecurityEvent.objects.create(
        user_id=_uid(user_id),
        kind=kind.value,
        at=clock.now(),
        ip=origin.ip or None,
        user_agent=origin.user_agent,
        shop=(shop or origin.shop)[:100],
        detail=detail[:200],
    )
    log.info("security.event", kind=kind.value, user=event.user_id, shop=event.shop)


@dataclass(frozen=True)
class LoggedEvent:
    """One line of the buyer's log, as shown: the network, not the address."""

    kind: str
    at: dt.datetime
    network: str
    browser: str
    shop: str
    detail: str


def events(user_id: Any, page: Any = 1) -> Page[LoggedEvent]:
    """The buyer's security log, newest first, ``domain.PAGE_SIZE`` a page (a bad page
    number gives the nearest page)."""
    rows = SecurityEvent.objects.filter(user_id=_uid(user_id)).order_by("-at", "-id")
    found = Paginator(rows, domain.PAGE_SIZE).get_page(page)
    lines = [
        LoggedEvent(
            kind=row.kind,
            at=row.at,
            network=domain.display_network(row.ip or ""),
            browser=domain.browser_family(row.user_agent),
            shop=row.shop,
            detail=row.detail,
        )
        for row in found.object_list
    ]
    return Page(lines, found.number, found.paginator)  # type: ignore[arg-type]


def audit_trail(
    user_id: Any | None = None,
    limit: int = 100,
    *,
    kind: str | None = None,
    since: dt.datetime | None = None,
    until: dt.datetime | None = None,
) -> list[SecurityEvent]:
    """For operators (``zhifu recovery log``): the newest events, full addresses; of one
    user, of one kind, from ``since`` (inclusive) to ``until`` (exclusive) when given."""
    rows = SecurityEvent.objects.order_by("-at", "-id")
    if user_id is not None:
        rows = rows.filter(user_id=_uid(user_id))
    if kind:
        rows = rows.filter(kind=kind)
    if since is not None:
        rows = rows.filter(at__gte=since)
    if until is not None:
        rows = rows.filter(at__lt=until)
    return list(rows[:limit])


# --- restrictions -----------------------------------------------------------------------


def cool_off_period() -> dt.timedelta:
    return dt.timedelta(hours=config().env.cool_off_hours)


def cool_off_limits() -> dict[str, Money]:
    return domain.parse_amounts(config().env.cool_off_limits)


def restrictions(user_id: Any) -> Restrictions:
    """The freeze and cool-off of a wallet now (no query beyond one indexed read)."""
    row = Restriction.objects.filter(user_id=_uid(user_id)).first()
    if row is None:
        return domain.NO_RESTRICTIONS
    return Restrictions(
        frozen=row.frozen_at is not None,
        frozen_at=row.frozen_at,
        cool_off_until=row.cool_off_until,
        cool_off_limits=cool_off_limits(),
    )


def _spend_confirmation(user_id: str, now: dt.datetime) -> None:
    """Use the buyer's fresh confirmation, or raise FreshConfirmationNeeded."""
    with transaction.atomic():
        spent = Restriction.objects.filter(user_id=user_id, confirmed_until__gt=now).update(
            confirmed_until=None
        )
    if spent != 1:
        raise FreshConfirmationNeeded


def check_card_change(user_id: Any, *, adding: bool = False) -> None:
    """Refuse a card change of a frozen wallet (WalletFrozen); adding a card during a
    cool-off spends a fresh e-mail confirmation (FreshConfirmationNeeded without one)."""
    uid, now = _uid(user_id), clock.now()
    state = restrictions(uid)
    if state.frozen:
        raise WalletFrozen
    if adding and state.in_cool_off(now):
        _spend_confirmation(uid, now)


def check_payment(user_id: Any, amount: Money) -> None:
    """Refuse any payment of a frozen wallet (WalletFrozen); during a cool-off a payment
    above the limit spends a fresh e-mail confirmation (FreshConfirmationNeeded)."""
    uid, now = _uid(user_id), clock.now()
    state = restrictions(uid)
    if state.frozen:
        raise WalletFrozen
    if state.payment_needs_confirmation(amount, now):
        _spend_confirmation(uid, now)


def _row(user_id: str) -> Restriction:
    row, _ = Restriction.objects.select_for_update().get_or_create(user_id=user_id)
    return row


def freeze(user_id: Any) -> bool:
    """Freeze the wallet now; False when it was frozen already. Inside the caller's
    transaction (recovery also ends the sessions and spends the link in it)."""
    uid = _uid(user_id)
    with transaction.atomic():
        row = _row(uid)
        if row.frozen_at is not None:
            return False
        row.frozen_at = clock.now()
        row.confirmed_until = None
        row.save(update_fields=["frozen_at", "confirmed_until"])
        record(uid, EventKind.WALLET_FROZEN)
    return True


def unfreeze(user_id: Any) -> None:
    uid = _uid(user_id)
    with transaction.atomic():
        row = _row(uid)
        if row.frozen_at is None:
            return
        row.frozen_at = None
        row.save(update_fields=["frozen_at"])
        record(uid, EventKind.WALLET_UNFROZEN)


def start_cool_off(user_id: Any) -> dt.datetime:
    """Start (or restart) the cool-off after a recovery; when it ends."""
    uid = _uid(user_id)
    until = clock.now() + cool_off_period()
    with transaction.atomic():
        row = _row(uid)
        row.cool_off_until, row.confirmed_until = until, None
        row.save(update_fields=["cool_off_until", "confirmed_until"])
    return until


def confirm_fresh(user_id: Any) -> None:
    """The buyer confirmed by e-mail just now: one guarded action may pass."""
    uid = _uid(user_id)
    with transaction.atomic():
        row = _row(uid)
        row.confirmed_until = clock.now() + CONFIRMATION_LIFETIME
        row.save(update_fields=["confirmed_until"])
        record(uid, EventKind.COOL_OFF_CONFIRMED)
