"""Card management pages: list, add, make default, delete (after the payment password).

Every view needs a signed-in buyer and looks cards up by (owner, id): another buyer's card
id is a 404, the same as an id that never existed.
"""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext as _
from django.views.decorators.debug import sensitive_post_parameters
from django.views.decorators.http import require_http_methods, require_POST

from zhifu.vault import services
from zhifu.vault.forms import DECLINES, FIELD_FOR_DECLINE, MESSAGES, AddCardForm, DeleteCardForm


@login_required
def card_list(request: HttpRequest) -> HttpResponse:
    cards = services.list_cards(request.user)
    return render(request, "vault/list.html", {"cards": cards})


# Error reports (500 e-mails, logs) never carry these fields: Django replaces them by stars.
@sensitive_post_parameters("number", "cvc", "payment_password")
@login_required
@require_http_methods(["GET", "POST"])
def add_card(request: HttpRequest) -> HttpResponse:
    if request.method != "POST":
        return render(request, "vault/add.html", {"form": AddCardForm()})
    form = AddCardForm(request.POST)
    form.is_valid()  # lengths and required fields; then the card rules on every field
    data = services.CardInput(
        number=request.POST.get("number", ""),
        expiry=request.POST.get("expiry", ""),
        holder_name=request.POST.get("holder_name", ""),
        cvc=request.POST.get("cvc", ""),
        label=request.POST.get("label", ""),
    )
    status = 200
    try:
        try:
            services.validate(data)
        except services.InvalidCardInput as exc:
            for field, code in exc.errors.items():
                if field not in form.errors:
                    form.add_error(field, str(MESSAGES[code]))
        if not form.errors:  # the card is well formed: now the step-up, then the network
            error = _check_payment_password(request, form.cleaned_data["payment_password"])
            if error is not None:
                form.add_error("payment_password", error)
                status = 403
            else:
                card = services.add_card(
                    request.user, data, email=getattr(request.user, "email", "")
                )
                if isinstance(card, services.ChallengeRequired):
                    # The issuer's confirmation page (cardnet's, on the network's own address).
                    return redirect(card.url)
                messages.success(
                    request,
                    _("Card %(card)s saved.") % {"card": f"{card.scheme_name} {card.masked}"},
                )
                return redirect("cards:list")
    except services.DuplicateCard:
        form.add_error("number", _("This card is already saved in your wallet."))
    except services.CardDeclined as exc:
        form.add_error(FIELD_FOR_DECLINE.get(exc.decline_code), str(DECLINES[exc.decline_code]))
    except services.NetworkUnavailable:
        form.add_error(
            None,
            _(
                "The card network did not answer, so your card was not saved. "
                "Nothing was charged. Please try again in a few minutes."
            ),
        )
    finally:
        del data
    if "payment_password" in form.errors:
        status = 403  # refused for want of the step-up (SECURITY.md row 21)
    form.forget_secrets()
    return render(request, "vault/add.html", {"form": form}, status=status)


@login_required
@require_http_methods(["GET"])
def challenge_return(request: HttpRequest, card_id: str) -> HttpResponse:
    """The buyer is back from the issuer's challenge page with its signed answer."""
    try:
        card = services.complete_challenge(
            request.user,
            card_id,
            request.GET.get("result", ""),
            email=getattr(request.user, "email", ""),
        )
    except services.CardNotFound:
        raise Http404 from None
    except services.ChallengeFailed:
        messages.error(
            request, _("We could not check your bank's confirmation. The card was not saved.")
        )
        return redirect("cards:add")
    except services.CardDeclined:
        messages.error(request, _("Your bank did not confirm the card, so it was not saved."))
        return redirect("cards:add")
    messages.success(
        request, _("Card %(card)s saved.") % {"card": f"{card.scheme_name} {card.masked}"}
    )
    return redirect("cards:list")


@login_required
@require_POST
def make_default(request: HttpRequest, card_id: str) -> HttpResponse:
    try:
        card = services.make_default(request.user, card_id)
    except services.CardNotFound:
        raise Http404 from None
    messages.success(request, _("%(card)s is now your default card.") % {"card": card.masked})
    return redirect("cards:list")


@sensitive_post_parameters("payment_password")
@login_required
@require_http_methods(["GET", "POST"])
def delete_card(request: HttpRequest, card_id: str) -> HttpResponse:
    try:
        card = services.get_card(request.user, card_id)
    except services.CardNotFound:
        raise Http404 from None
    form = DeleteCardForm(request.POST if request.method == "POST" else None)
    status = 200
    if request.method == "POST" and form.is_valid():
        error = _check_payment_password(request, form.cleaned_data["payment_password"])
        if error is None:
            try:
                services.delete_card(
                    request.user, card.id, email=getattr(request.user, "email", "")
                )
            except services.CardNotFound:
                raise Http404 from None
            messages.success(request, _("Card %(card)s deleted.") % {"card": card.masked})
            return redirect("cards:list")
        form.add_error("payment_password", error)
    if "payment_password" in form.errors:
        status = 403
    if form.is_bound:
        form.data = {}  # never send the payment password back
    return render(request, "vault/delete.html", {"form": form, "card": card}, status=status)


def _check_payment_password(request: HttpRequest, pin: str) -> str | None:
    """Step-up before deleting a card (SECURITY.md row 21). None when the PIN is right."""
    from zhifu.credentials import services as credentials

    try:
        ok = credentials.verify_payment_password(request.user, pin)
    except credentials.PaymentPasswordLocked as exc:
        return _(
            "Too many wrong payment passwords. Try again after %(time)s, or recover "
            "your payment password."
        ) % {"time": date_format(timezone.localtime(exc.until), "DATETIME_FORMAT")}
    except credentials.NoPaymentPassword:
        return _("Set up your payment password first: finish your wallet registration.")
    if not ok:
        return _("Wrong payment password.")
    return None
