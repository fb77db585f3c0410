"""The shop's use cases; each owns its transaction."""

from __future__ import annotations

import hashlib
import logging
import secrets
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from django.contrib.auth.hashers import make_password
from django.db import IntegrityError, transaction
from django.db.models import QuerySet
from django.template import loader
from django.urls import reverse
from django.utils import translation

from zhifu.config.site import config
from zhifu.kernel import clock
from zhifu.marketplace import branding, domain
from zhifu.marketplace.errors import (
    EmptyCart,
    OrderNotCancellable,
    OrderNotFound,
    SignupLinkInvalid,
)
from zhifu.marketplace.models import (
    LOCALES,
    Buyer,
    Challenge,
    Order,
    OrderLine,
    PendingSignup,
    Product,
    RateEvent,
)
from zhifu.web.emails import Email, layout_context

__all__ = ["LOCALES", "EmptyCart", "OrderNotCancellable", "OrderNotFound", "SignupLinkInvalid"]

logger = logging.getLogger(__name__)

ORDERS_PER_PAGE = 20


# --- reading the catalogue and the orders -------------------------------------------------


def catalogue() -> list[Product]:
    """The products on sale, in catalogue order."""
    return list(Product.objects.filter(is_active=True))


def product_on_sale(slug: str) -> Product | None:
    """The product behind ``slug``, if it is on sale."""
    return Product.objects.filter(slug=slug, is_active=True).first()


def product(slug: str) -> Product | None:
    """The product behind ``slug``, on sale or not (a cart may still hold it)."""
    return Product.objects.filter(slug=slug).first()


def orders_of(buyer: Buyer) -> QuerySet[Order]:
    """The buyer's orders, newest first (lazy: the page paginates it)."""
    return Order.objects.filter(buyer=buyer)


@dataclass(frozen=True)
class OrderView:
    """One order as its page shows it: the row, its lines with their products."""

    order: Order
    lines: list[OrderLine]

    @property
    def can_cancel(self) -> bool:
        return domain.can_cancel(domain.OrderStatus(self.order.status))

    @property
    def awaiting_payment(self) -> bool:
        return domain.OrderStatus(self.order.status) is domain.OrderStatus.AWAITING_PAYMENT


def order_of(buyer: Buyer, number: str) -> OrderView:
    """The buyer's order ``number`` with its lines; raises OrderNotFound."""
    order = Order.objects.filter(buyer=buyer, number=number).first()
    if order is None:
        raise OrderNotFound(param="number")
    return OrderView(order, list(order.lines.select_related("product", "order")))


def buyer_of(user: Any) -> Buyer:
    """The signed-in buyer of a request (``request.user`` after the login check)."""
    if not isinstance(user, Buyer):
        raise TypeError("a signed-in buyer was expected")
    return user


def register_buyer(*, email: str, password: str, name: str, locale: str) -> Buyer:
    """Create a shop account (the form has already validated the password)."""
    with transaction.atomic():
        return Buyer.objects.create_user(email, password, name=name.strip(), locale=locale)


# --- e-mail --------------------------------------------------------------------------------


def send_mail(to: str, template: str, language: str, context: dict[str, Any]) -> None:
    """Render marketplace/email/<template>.html (and its _subject.txt) in ``language``, with
    its plain-text twin, and send it.

    A failure is logged, never shown: the page a buyer sees must not depend on it.
    """
    user = context.get("user")
    with translation.override(language):
        # The layout's keys last: Django's reset form brings a site_name of its own.
        context = {
            "shop_url": config().urls["marketplace"],
            "name": getattr(user, "name", "") or getattr(user, "email", ""),
            **context,
            **layout_context(branding.name(), branding.accent()),
        }
        subject = " ".join(
            loader.render_to_string(f"marketplace/email/{template}_subject.txt", context).split()
        )
        html = loader.render_to_string(
            f"marketplace/email/{template}.html", {**context, "subject": subject}
        )
    try:
        Email(subject=subject, html=html, language=language).message(to).send()
    except Exception:
        logger.exception("the %s e-mail could not be sent", template)


# --- rate limits and the challenge (SEC-16, SEC-17) ---------------------------------------


def _digest(value: str) -> str:
    return hashlib.sha256(value.encode()).hexdigest()


def _recent(action: str, value: str, limit: domain.Limit) -> int:
    since = clock.now() - limit.window
    return RateEvent.objects.filter(action=action, key=_digest(value), at__gt=since).count()


def _record(*events: tuple[str, str]) -> None:
    now = clock.now()
    RateEvent.objects.filter(at__lt=now - domain.EVENTS_KEPT).delete()
    RateEvent.objects.bulk_create(
        RateEvent(action=action, key=_digest(value), at=now) for action, value in events
    )


def may_send_reset(email: str, client_address: str) -> bool:
    """Whether a reset e-mail may go to ``email`` now (counted if so), whether or not an
    account has that address: at most RESET_PER_ACCOUNT and RESET_PER_ADDRESS."""
    email = email.strip().lower()
    with transaction.atomic():
        by_account = _recent("reset_account", email, domain.RESET_PER_ACCOUNT)
        by_address = _recent("reset_address", client_address, domain.RESET_PER_ADDRESS)
        if not (
            domain.RESET_PER_ACCOUNT.allows(by_account)
            and domain.RESET_PER_ADDRESS.allows(by_address)
        ):
            return False
        _record(("reset_account", email), ("reset_address", client_address))
    return True


def signup_gate(client_address: str) -> domain.Gate:
    """Open, behind the challenge, or closed for sign-ups from this address."""
    return domain.signup_gate(_recent("signup", client_address, domain.SIGNUP_PER_ADDRESS))


@dataclass(frozen=True)
class ChallengeQuestion:
    """What the page shows: the token to send back and the two numbers to add."""

    token: str
    first: int
    second: int


def new_challenge() -> ChallengeQuestion:
    """A new single-use question; only the hashes of its token and answer are stored."""
    first, second = domain.draw_sum()
    token = secrets.token_urlsafe(24)
    now = clock.now()
    with transaction.atomic():
        Challenge.objects.filter(expires_at__lt=now).delete()
        Challenge.objects.create(
            token_hash=_digest(token),
            answer_hash=_digest(f"{token}:{first + second}"),
            expires_at=now + domain.CHALLENGE_LIFETIME,
        )
    return ChallengeQuestion(token, first, second)


def solve_challenge(token: str, answer: str) -> bool:
    """Whether ``answer`` solves the challenge; used up by this try either way."""
    if not token:
        return False
    with transaction.atomic():
        row = Challenge.objects.select_for_update().filter(token_hash=_digest(token)).first()
        if row is None:
            return False
        row.delete()
        if clock.now() >= row.expires_at:
            return False
        given = _digest(f"{token}:{answer.strip()}")
        return secrets.compare_digest(given, row.answer_hash)


# --- sign-up confirmed by e-mail (SEC-16) -------------------------------------------------


def start_signup(
    *, email: str, password: str, name: str, locale: str, next_url: str, client_address: str
) -> None:
    """Answer a sign-up the same way whether or not the address has an account.

    A new address gets a link that creates the account; an address with an account gets
    an e-mail saying someone tried to sign up with it. Both paths hash the password once,
    so they cost the same.
    """
    email = Buyer.objects.normalize_email(email.strip()).lower()
    now = clock.now()
    password_hash = make_password(password)
    with transaction.atomic():
        _record(("signup", client_address))
        PendingSignup.objects.filter(expires_at__lt=now).delete()  # links that can't be used
        existing = Buyer.objects.filter(email=email).first()
        if existing is None:
            token = secrets.token_urlsafe(32)
            PendingSignup.objects.create(
                email=email,
                name=name.strip(),
                locale=locale,
                password=password_hash,
                next_url=next_url,
                token_hash=_digest(token),
                created_at=now,
                expires_at=now + domain.SIGNUP_LINK_LIFETIME,
            )
    # Sent once the rows are committed.
    if existing is not None:
        send_mail(email, "signup_existing", existing.locale, {"user": existing})
        return
    context = {
        "name": name.strip() or email,
        "link": reverse("signup-confirm", args=[token]),
        "hours": int(domain.SIGNUP_LINK_LIFETIME.total_seconds() // 3600),
    }
    send_mail(email, "signup_confirm", locale, context)


def _pending(token: str) -> PendingSignup:
    row = PendingSignup.objects.filter(token_hash=_digest(token)).first()
    if row is None or row.used_at is not None or clock.now() >= row.expires_at:
        raise SignupLinkInvalid(param="token")
    return row


def check_signup_link(token: str) -> str:
    """The address a sign-up link would create an account for; raises SignupLinkInvalid."""
    return _pending(token).email


def finish_signup(token: str) -> tuple[Buyer, str]:
    """Use the link: create the account, return it with the page to go to next.

    Raises SignupLinkInvalid if the link is unknown, used, expired, or the address got an
    account in the meantime.
    """
    with transaction.atomic():
        row = _pending(token)
        row = PendingSignup.objects.select_for_update().get(pk=row.pk)
        if row.used_at is not None:
            raise SignupLinkInvalid(param="token")
        row.used_at = clock.now()
        row.save(update_fields=["used_at"])
        buyer = Buyer(email=row.email, name=row.name, locale=row.locale, password=row.password)
        try:
            with transaction.atomic():
                buyer.save()
        except IntegrityError:
            raise SignupLinkInvalid(param="token") from None
    return buyer, row.next_url


def update_profile(buyer: Buyer, *, name: str, locale: str) -> None:
    buyer.name = name.strip()
    buyer.locale = locale
    buyer.save(update_fields=["name", "locale"])


def set_locale(buyer: Buyer, locale: str) -> None:
    if buyer.locale != locale:
        buyer.locale = locale
        buyer.save(update_fields=["locale"])


def cart_lines(cart: Mapping[int, int]) -> list[tuple[Product, domain.Line]]:
    """The cart's products still on sale, at today's prices, in catalogue order."""
    products = Product.objects.filter(pk__in=list(cart), is_active=True)
    return [
        (p, domain.Line(product_id=p.pk, unit_price=p.price, quantity=cart[p.pk]))
        for p in products
        if cart.get(p.pk, 0) > 0
    ]


def _order_number() -> str:
    # Short enough to read out on the phone, random enough never to be guessed in a row.
    return f"{clock.now():%y%m%d}-{secrets.randbelow(10**8):08d}"


def place_orders(buyer: Buyer, cart: Mapping[int, int]) -> list[Order]:
    """Turn the cart into orders awaiting payment, one per currency.

    Prices are read again from the catalogue here, never taken from the session.
    """
    lines = cart_lines(cart)
    groups = domain.split_by_currency(line for _, line in lines)
    if not groups:
        raise EmptyCart
    orders = []
    with transaction.atomic():
        for currency, group in groups.items():
            total = domain.total(group, currency)
            for _attempt in range(5):
                try:
                    with transaction.atomic():
                        order = Order.objects.create(
                            number=_order_number(),
                            buyer=buyer,
                            currency=currency,
                            total_minor=total.minor,
                        )
                    break
                except IntegrityError:  # the rare number collision: draw again
                    continue
            else:
                raise RuntimeError("could not draw a free order number")
            OrderLine.objects.bulk_create(
                OrderLine(
                    order=order,
                    product_id=line.product_id,
                    unit_price_minor=line.unit_price.minor,
                    quantity=line.quantity,
                )
                for line in group
            )
            orders.append(order)
    return orders


def cancel_order(buyer: Buyer, number: str, *, attempt: int | None = None) -> Order | None:
    """Cancel the buyer's order; raises OrderNotFound or OrderNotCancellable.

    With ``attempt`` (the payment attempt whose payment the caller cancelled or refunded at
    the wallet), None if the order has another attempt by now: the caller looks again.
    """
    with transaction.atomic():
        order = Order.objects.select_for_update().filter(buyer=buyer, number=number).first()
        if order is None:
            raise OrderNotFound(param="number")
        if not domain.can_cancel(domain.OrderStatus(order.status)):
            raise OrderNotCancellable(param="number")
        if attempt is not None and order.payment_attempt != attempt:
            return None
        order.status = Order.Status.CANCELLED
        order.updated_at = clock.now()
        order.save(update_fields=["status", "updated_at"])
    return order
