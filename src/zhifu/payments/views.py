"""The buyer's payment pages: the cashier, the bank's challenge return, the receipt, and
the payment history on the account.

Thin: each view parses the request, calls one use case of ``services`` and renders. The
cashier is the one page a light account (signed in through its shop, e-mail never
confirmed) reaches past the e-mail gate (``gate_exempt``): paying a first order is how a
buyer becomes a wallet user. A payment that is not the buyer's is a 404, the same as one
that never existed. Card numbers, CVCs and payment passwords are never sent back to the
browser, never in a URL and never logged (``sensitive_post_parameters`` keeps them out of
error reports).
"""

from __future__ import annotations

import datetime as dt
import math
from decimal import Decimal
from typing import Any

import structlog
from babel.numbers import format_decimal
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import urlencode
from django.utils.translation import get_language, ngettext, to_locale
from django.utils.translation import gettext as _
from django.views.decorators.debug import sensitive_post_parameters
from django.views.decorators.http import require_GET, require_http_methods

from zhifu.accounts import services as accounts
from zhifu.connectors.base import DeclineCode
from zhifu.credentials import domain as credentials_domain
from zhifu.credentials import errors as credentials_errors
from zhifu.credentials import services as credentials
from zhifu.kernel import clock
from zhifu.kernel.errors import Refusal
from zhifu.payments import domain, services
from zhifu.payments.errors import (
    BalanceUnavailable,
    PaymentDeclined,
    PaymentNotFound,
    PaymentNotOpen,
)
from zhifu.payments.forms import (
    BALANCE,
    NEW_CARD,
    SAVED_CARD,
    BalanceForm,
    NewCardForm,
    SavedCardForm,
)
from zhifu.security import errors as security_errors
from zhifu.vault import services as vault
from zhifu.vault.errors import CARD_MESSAGES, FIELD_FOR_DECLINE, CardNotFound
from zhifu.web.client_ip import client_ip
from zhifu.web.shop_names import shop_name

log = structlog.get_logger(__name__)

SECRET_FIELDS = ("number", "cvc", "payment_password", "balance-payment_password")
# The states in which the buyer has paid: the receipt, never the cashier again.
PAID = {domain.PaymentStatus.SUCCEEDED, domain.PaymentStatus.REQUIRES_CAPTURE}


def _user(request: HttpRequest) -> accounts.User:
    return accounts.wallet_user(request.user)


# --- the cashier --------------------------------------------------------------------------


def _sign_in_first(request: HttpRequest, payment_id: str) -> HttpResponse:
    """A buyer not signed in goes through the payment's own shop's sign-in, and back here.

    An unknown id is a 404 at once; whose payment it is is decided after the sign-in, by
    ``services.cashier`` (another buyer's is a 404 then). Payment ids carry 80 random bits.
    """
    slug = services.platform_of(payment_id)
    if slug is None:
        raise Http404
    try:
        url = accounts.begin_sso(request.session, slug, request.path)
    except accounts.SignInFailed as exc:
        log.warning("payments.cashier_sign_in_refused", reason=exc.reason)
        return render(
            request,
            "payments/problem.html",
            {
                "title": _("We could not sign you in"),
                "message": _(
                    "Signing in through your shop did not work. Please go back to the shop "
                    "and open the payment again."
                ),
            },
            status=exc.status,
        )
    return HttpResponseRedirect(url)


def _minutes_left(expires_at: dt.datetime) -> int:
    return max(0, math.ceil((expires_at - clock.now()).total_seconds() / 60))


def _attempts_hint(attempts_left: int) -> str:
    """What the buyer is told under the payment password once a try has been missed."""
    return credentials_errors.attempts_left_message(attempts_left)


def _pin_refused(form: Any, field: str, exc: credentials.CredentialsRefusal) -> int:
    """A wrong, locked or missing payment password, beside its field; the page's status."""
    if isinstance(exc, credentials.WrongPaymentPassword):
        form.add_error(field, _("The payment password is wrong."))
        return 403
    if isinstance(exc, credentials.PaymentPasswordLocked):
        return 423  # the page's lock notice says it, with the way to recovery
    form.add_error(field, exc.message)
    return 403


def _decline_field(exc: PaymentDeclined) -> str | None:
    """The field a decline points at (a wrong CVC, an unknown number), if any."""
    try:
        return FIELD_FOR_DECLINE.get(DeclineCode(getattr(exc, "decline_code", "")))
    except ValueError:
        return None


class _Page:
    """The cashier's three forms and the status of the answer being built.

    Built without the page's view (``view=None``) for a confirmation with the payment
    password: the posted form is checked and the payment made without reading what only
    the page shows (cards, balances, quotes); :meth:`show` adds it when the page is drawn
    again with an error."""

    def __init__(self, view: Any, post: Any = None, method: str = "") -> None:
        registered = view is not None and view.can_use_saved_cards
        cards = view.cards if view is not None else None
        self.saved = SavedCardForm(post if method == SAVED_CARD else None, cards=cards)
        self.new = NewCardForm(post if method == NEW_CARD else None, can_save=registered)
        self.balance = BalanceForm(post if method == BALANCE else None)
        self.method = method
        self.status = 200
        self.retry_after: int | None = None
        # In a recovery's cool-off: the refusal's message links the e-mail confirmation.
        self.needs_confirmation = False

    def show(self, view: Any) -> None:
        """The forms not posted, as the page offers them (the posted one keeps its data
        and errors)."""
        if self.method != SAVED_CARD:
            self.saved = SavedCardForm(None, cards=view.cards)
        if self.method != NEW_CARD:
            self.new = NewCardForm(None, can_save=view.can_use_saved_cards)


class _NotOffered(Exception):
    """The method posted is not one the page offers this buyer."""


@accounts.gate_exempt
@sensitive_post_parameters(*SECRET_FIELDS)
@require_http_methods(["GET", "POST"])
def cashier(request: HttpRequest, payment_id: str) -> HttpResponse:
    if not request.user.is_authenticated:
        return _sign_in_first(request, payment_id)
    user = _user(request)
    method = request.POST.get("method", "") if request.method == "POST" else ""
    if method in (SAVED_CARD, BALANCE):
        return _confirm(request, user, payment_id, method)
    try:
        view = services.cashier(user, payment_id)
    except PaymentNotFound:
        raise Http404 from None
    except PaymentNotOpen as exc:
        return _not_open(request, user, payment_id, exc)
    if request.method != "POST":
        return _render(request, view, _Page(view))
    if method != NEW_CARD:  # no such method offered on this page: the page as it is
        page = _Page(view)
        page.status = 400
        return _render(request, view, page)
    page = _Page(view, request.POST, method)
    try:
        outcome = _pay_new(request, user, payment_id, page)
    except PaymentNotOpen as exc:
        return _not_open(request, user, payment_id, exc)
    if outcome is not None:
        return _after(request, outcome)
    return _again(request, user, payment_id, page)


def _confirm(request: HttpRequest, user: Any, payment_id: str, method: str) -> HttpResponse:
    """A saved card or the balance with the payment password: paid without building the
    page (the service checks the payment before the password); the page only on an error."""
    page = _Page(None, request.POST, method)
    try:
        if method == SAVED_CARD:
            outcome = _pay_saved(user, payment_id, page)
        else:
            outcome = _pay_balance(user, payment_id, page)
    except PaymentNotFound:
        raise Http404 from None
    except PaymentNotOpen as exc:
        return _not_open(request, user, payment_id, exc)
    except _NotOffered:
        return _again(request, user, payment_id, None)
    if outcome is not None:
        return _after(request, outcome)
    return _again(request, user, payment_id, page)


def _again(request: HttpRequest, user: Any, payment_id: str, page: _Page | None) -> HttpResponse:
    """The page drawn again after a refusal (``page``), or as it is with a 400 (None)."""
    if page is not None:
        for form in (page.saved, page.new, page.balance):
            form.forget_secrets()
    try:  # the attempts left and the lock have moved: show them as they are now
        view = services.cashier(user, payment_id)
    except PaymentNotFound:
        raise Http404 from None
    except PaymentNotOpen as exc:
        return _not_open(request, user, payment_id, exc)
    if page is None:
        page = _Page(view)
        page.status = 400
    else:
        page.show(view)
    response = _render(request, view, page)
    if page.retry_after is not None:
        response["Retry-After"] = str(page.retry_after)
    return response


def _pay_saved(user: Any, payment_id: str, page: _Page) -> Any:
    form = page.saved
    if not form.is_valid():
        page.status = 400
        return None
    try:
        return services.confirm_saved_card(
            user,
            payment_id,
            card_id=form.cleaned_data["card_id"],
            pin=form.cleaned_data["payment_password"],
        )
    except credentials.NoPaymentPassword:
        raise _NotOffered from None  # a light account: no saved cards
    except credentials.CredentialsRefusal as exc:
        page.status = _pin_refused(form, "payment_password", exc)
    except CardNotFound:
        form.add_error("card_id", form.fields["card_id"].error_messages["invalid_choice"])
        page.status = 400
    except PaymentDeclined as exc:
        form.add_error(None, exc.message)
        page.status = 402
    except (PaymentNotOpen, PaymentNotFound):
        raise
    except Refusal as exc:
        _refused(form, page, exc)
    return None


def _refused(form: Any, page: _Page, exc: Refusal) -> None:
    """Any other refusal (a frozen wallet, a cool-off, a shop's balance switched off) is said
    above the form that was sent, with its status."""
    form.add_error(None, exc.message)
    page.status = exc.http_status
    page.needs_confirmation = isinstance(exc, security_errors.FreshConfirmationNeeded)


def _pay_new(request: HttpRequest, user: Any, payment_id: str, page: _Page) -> Any:
    form = page.new
    form.is_valid()  # lengths and required fields; then the card rules on every field
    data = vault.CardInput(
        number=request.POST.get("number", ""),
        expiry=request.POST.get("expiry", ""),
        holder_name=request.POST.get("holder_name", ""),
        cvc=request.POST.get("cvc", ""),
    )
    try:
        try:
            vault.validate(data)  # a typo costs no card attempt
        except vault.InvalidCardInput as exc:
            for field, code in exc.errors.items():
                if field in form.fields and field not in form.errors:
                    form.add_error(field, str(CARD_MESSAGES[code]))
        if form.errors:
            page.status = 400
            return None
        save = bool(form.cleaned_data.get("save"))
        return services.pay_with_new_card(
            user, payment_id, card=data, save=save, client_ip=client_ip(request)
        )
    except PaymentDeclined as exc:
        form.add_error(_decline_field(exc), exc.message)
        page.status = 402
    except vault.InvalidCardInput as exc:
        for field, code in exc.errors.items():
            form.add_error(field if field in form.fields else None, str(CARD_MESSAGES[code]))
        page.status = 400
    except vault.TooManyCardAttempts as exc:
        form.add_error(None, exc.message)
        page.status = 429
        page.retry_after = int(exc.retry_after.total_seconds()) + 1
    except PaymentNotOpen:
        raise
    except Refusal as exc:
        _refused(form, page, exc)
    finally:
        del data
    return None


def _pay_balance(user: Any, payment_id: str, page: _Page) -> Any:
    form = page.balance
    if not form.is_valid():
        page.status = 400
        return None
    try:
        return services.confirm_balance(
            user,
            payment_id,
            pin=form.cleaned_data["payment_password"],
            quote_id=form.cleaned_data["quote"] or None,
        )
    except (credentials.NoPaymentPassword, BalanceUnavailable):
        raise _NotOffered from None  # a light account, or a shop without the balance
    except credentials.CredentialsRefusal as exc:
        page.status = _pin_refused(form, "payment_password", exc)
    except (PaymentNotOpen, PaymentNotFound):
        raise
    except Refusal as exc:
        _refused(form, page, exc)
    return None


def _after(request: HttpRequest, outcome: Any) -> HttpResponse:
    """Where a payment attempt leads: the bank's page, or the receipt (paid, or waiting
    for the bank). Always a redirect, so a reload never pays twice."""
    payment = outcome.payment
    log.info("payments.cashier_outcome", payment=payment.id, status=str(payment.status))
    if isinstance(outcome, services.ChallengeRequired):
        return HttpResponseRedirect(outcome.url)  # the issuer's page, on the network's address
    return redirect("payments:receipt", payment_id=payment.id)


def _rate_shown(base: str, quote: str, rate: Decimal) -> dict[str, str]:
    """A rate as a person reads it: one unit of the dearer currency, in the other, with two
    to four decimals in the page's language ("1 USD = 79.1045 RUB")."""
    if rate < 1:
        base, quote, rate = quote, base, 1 / rate
    shown = format_decimal(rate, format="#,##0.00##", locale=to_locale(get_language() or "en"))
    return {"from": base, "to": quote, "rate": shown}


def _fx_rate(view: Any) -> dict[str, str] | None:
    """The estimate's rate, shown beside the amount in the buyer's currency."""
    estimate = view.fx_estimate
    if estimate is None:
        return None
    return _rate_shown(view.payment.amount.currency, estimate.amount.currency, estimate.rate)


def _balance_choices(view: Any, form: Any) -> list[dict[str, Any]]:
    """The balances that cover the payment as the buyer reads them: "Pay 1,780.00 RUB from
    your USD balance: 22.73 USD at 1 USD = 78.31 RUB (locked for 1 minute)"."""
    language = get_language() or "en"
    amount = view.payment.amount.format(language)
    chosen = form["quote"].value() or ""
    offered = [option.quote_id or "" for option in view.balance_options]
    if chosen not in offered:  # a quote of an earlier page: the first balance instead
        chosen = offered[0] if offered else ""
    choices = []
    for option in view.balance_options:
        args = {"amount": amount, "currency": option.balance.currency}
        if option.quote_id is None:
            text = _("Pay %(amount)s from your %(currency)s balance") % args
        else:
            rate = _rate_shown(option.take.currency, view.payment.amount.currency, option.rate)
            minutes = _minutes_left(option.expires_at)
            args |= {"take": option.take.format(language), **rate, "minutes": minutes}
            text = (
                ngettext(
                    "Pay %(amount)s from your %(currency)s balance: %(take)s at 1 %(from)s = "
                    "%(rate)s %(to)s (locked for %(minutes)d minute)",
                    "Pay %(amount)s from your %(currency)s balance: %(take)s at 1 %(from)s = "
                    "%(rate)s %(to)s (locked for %(minutes)d minutes)",
                    minutes,
                )
                % args
            )
        value = option.quote_id or ""
        choices.append(
            {
                "value": value,
                "id": f"balance-{option.balance.currency.lower()}",
                "text": text,
                "held": option.balance,
                "checked": value == chosen,
            }
        )
    return choices


def _render(request: HttpRequest, view: Any, page: _Page) -> HttpResponse:
    payment = view.payment
    locked = view.locked_until is not None
    missed = view.attempts_left < credentials_domain.MAX_FAILURES
    if missed and not locked:  # the tries left are read out with the field
        for form in (page.saved, page.balance):
            form.fields["payment_password"].widget.attrs["aria-describedby"] = "attempts-left"
    return render(
        request,
        "payments/cashier.html",
        {
            "view": view,
            "payment": payment,
            "saved": page.saved,
            "new": page.new,
            "balance_form": page.balance,
            "method": page.method or (SAVED_CARD if view.can_use_saved_cards else NEW_CARD),
            "light": not view.can_use_saved_cards,
            "minutes_left": _minutes_left(payment.expires_at),
            "locked": locked,
            "attempts_hint": _attempts_hint(view.attempts_left) if missed and not locked else "",
            "max_failures": credentials_domain.MAX_FAILURES,
            "fx_rate": _fx_rate(view),
            "needs_confirmation": page.needs_confirmation,
            "balance_choices": _balance_choices(view, page.balance),
        },
        status=page.status,
    )


def _not_open(
    request: HttpRequest, user: Any, payment_id: str, exc: PaymentNotOpen
) -> HttpResponse:
    """A payment already paid, canceled or expired: say so, and lead back to the shop."""
    try:
        payment = services.receipt(user, payment_id)
    except PaymentNotFound:
        raise Http404 from None
    if payment.status in PAID or payment.status == domain.PaymentStatus.PROCESSING:
        return redirect("payments:receipt", payment_id=payment.id)  # paid, or the bank's turn
    return render(
        request,
        "payments/not_open.html",
        {
            "payment": payment,
            "message": exc.message,
            "shop": shop_name(services.shop_names([payment])[payment.platform_slug]),
            "return_url": services.return_url_for(payment),
        },
        status=409,
    )


# --- back from the bank's page ------------------------------------------------------------


@accounts.gate_exempt
@require_GET
def challenge_return(request: HttpRequest, payment_id: str) -> HttpResponse:
    """The buyer is back from the issuer's challenge with its signed answer (``result``)."""
    if not request.user.is_authenticated:
        return _sign_in_first(request, payment_id)
    user = _user(request)
    try:
        outcome = services.complete_challenge(
            user, payment_id, answer=request.GET.get("result", "")
        )
    except PaymentNotFound:
        raise Http404 from None
    except PaymentNotOpen as exc:
        return _not_open(request, user, payment_id, exc)
    except PaymentDeclined as exc:
        messages.error(request, exc.message)
        return redirect("payments:cashier", payment_id=payment_id)
    except Refusal as exc:
        messages.error(request, exc.message)
        return redirect("payments:cashier", payment_id=payment_id)
    return _after(request, outcome)


# --- the receipt and the history ------------------------------------------------------------


def _card_label(payment: Any) -> str:
    method = payment.payment_method
    if method is None:
        return ""
    if method.type == "balance":
        return _("Wallet balance")
    # Only the last four digits are known here: said in words, not as a masked number (a
    # masked display is first four + last four, docs/security.md SEC-27).
    return _("%(brand)s ending in %(last4)s") % {
        "brand": method.card_brand,
        "last4": method.card_last4,
    }


@accounts.gate_exempt
@require_GET
def receipt(request: HttpRequest, payment_id: str) -> HttpResponse:
    if not request.user.is_authenticated:
        home = reverse("accounts:home")
        return redirect(f"{home}?{urlencode({'next': request.path})}")
    user = _user(request)
    try:
        payment = services.receipt(user, payment_id)
    except PaymentNotFound:
        raise Http404 from None
    return render(
        request,
        "payments/receipt.html",
        {
            "payment": payment,
            "paid": payment.status in PAID,
            "waiting": payment.status == domain.PaymentStatus.PROCESSING,
            "shop": shop_name(services.shop_names([payment])[payment.platform_slug]),
            "paid_with": _card_label(payment),
            "return_url": services.return_url_for(payment),
            "light": not user.email_confirmed,
        },
    )


@login_required
@require_GET
def history(request: HttpRequest) -> HttpResponse:
    user = _user(request)
    found = services.history(user, cursor=request.GET.get("after") or None)
    names = services.shop_names(found.items)
    refunds = services.refunds_of(user, found.items)
    rows = [
        {
            "payment": p,
            "shop": shop_name(names[p.platform_slug]),
            "paid_with": _card_label(p),
            "refunds": refunds.get(p.id),
        }
        for p in found.items
    ]
    return render(
        request,
        "payments/history.html",
        {"rows": rows, "next_cursor": found.next_cursor if found.has_more else None},
    )


@login_required
@require_GET
def history_detail(request: HttpRequest, payment_id: str) -> HttpResponse:
    user = _user(request)
    try:
        payment = services.receipt(user, payment_id)
    except PaymentNotFound:
        raise Http404 from None
    return render(
        request,
        "payments/detail.html",
        {
            "payment": payment,
            "paid": payment.status in PAID,
            "shop": shop_name(services.shop_names([payment])[payment.platform_slug]),
            "paid_with": _card_label(payment),
            "refunds": services.refunds_of(user, [payment]).get(payment.id),
        },
    )
