"""Card management pages: list, add, make default, delete (after the payment password).

Every view needs a signed-in buyer and looks cards up by (owner, id): another buyer's card
id is a 404, the same as an id that never existed.
"""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.debug import sensitive_post_parameters
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from zhifu.credentials import services as credentials
from zhifu.security.errors import FreshConfirmationNeeded, SecurityRefusal
from zhifu.vault import services
from zhifu.vault.forms import DECLINES, FIELD_FOR_DECLINE, MESSAGES, AddCardForm, DeleteCardForm
from zhifu.web.client_ip import client_ip


@login_required
def card_list(request: HttpRequest) -> HttpResponse:
    cards = services.list_cards(request.user)
    return render(request, "vault/list.html", {"cards": cards})


@login_required
@require_GET
def card_summary(request: HttpRequest) -> HttpResponse:
    """The account page's "Cards" box: how many, and the default one (htmx fragment)."""
    cards = services.list_cards(request.user)
    default = next((c for c in cards if c.is_default), None)
    return render(request, "vault/_summary.html", {"cards": cards, "default_card": default})


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
    try:
        outcome = _add_card(request, form, data)
    finally:
        del data
    if isinstance(outcome, services.ChallengeRequired):
        # The issuer's confirmation page (cardnet's, on the network's own address).
        return redirect(outcome.url)
    throttled = outcome
    if not form.errors:
        return redirect("cards:list")
    # Refused for want of the step-up (docs/security.md SEC-21): 403; past the card-check
    # limits (SEC-36): 429; else 200 with the errors.
    status = 403 if "payment_password" in form.errors else 429 if throttled else 200
    form.forget_secrets()
    # In a recovery's cool-off the page offers the e-mail confirmation (zhifu.recovery).
    needs_confirmation = FreshConfirmationNeeded().message in form.non_field_errors()
    response = render(
        request,
        "vault/add.html",
        {"form": form, "needs_confirmation": needs_confirmation},
        status=status,
    )
    if throttled:
        response["Retry-After"] = str(int(throttled.retry_after.total_seconds()) + 1)
    return response


def _add_card(
    request: HttpRequest, form: AddCardForm, data: services.CardInput
) -> services.ChallengeRequired | services.TooManyCardAttempts | None:
    """Card rules on every field, then the step-up, then the use case; refusals become
    form errors (a typo in the card costs no payment-password attempt). The issuer's
    challenge, when it asks for one, is returned for the page to redirect to, and the
    velocity refusal for the page's 429."""
    try:
        services.validate(data)
    except services.InvalidCardInput as exc:
        for field, code in exc.errors.items():
            if field not in form.errors:
                form.add_error(field, str(MESSAGES[code]))
    if form.errors:
        return None
    try:
        proof = credentials.step_up(
            request.user, form.cleaned_data["payment_password"], services.ADD_ACTION
        )
        card = services.add_card(
            request.user,
            data,
            step_up=proof,
            email=getattr(request.user, "email", ""),
            client_ip=client_ip(request),
        )
    except credentials.CredentialsRefusal as exc:
        form.add_error("payment_password", exc.message)
    except SecurityRefusal as exc:  # frozen, or a recovery's cool-off (zhifu.security)
        form.add_error(None, exc.message)
    except services.TooManyCardAttempts as exc:
        form.add_error(None, exc.message)
        return exc
    except services.DuplicateCard:
        form.add_error("number", _("This card is already saved in your wallet."))
    except services.CardDeclined as exc:
        form.add_error(FIELD_FOR_DECLINE.get(exc.decline_code), str(DECLINES[exc.decline_code]))
    except (services.VerificationInProgress, services.NetworkBusy) as exc:
        form.add_error(None, exc.message)  # nothing was sent or charged: try again later
    except services.NetworkUnavailable:
        form.add_error(
            None,
            _(
                "The card network did not answer, so your card was not saved. "
                "Nothing was charged. Please try again in a few minutes."
            ),
        )
    else:
        if isinstance(card, services.ChallengeRequired):
            return card
        messages.success(
            request, _("Card %(card)s saved.") % {"card": f"{card.scheme_name} {card.masked}"}
        )
    return None


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
        try:
            proof = credentials.step_up(
                request.user,
                form.cleaned_data["payment_password"],
                services.delete_action(card.id),
            )
            services.delete_card(
                request.user, card.id, step_up=proof, email=getattr(request.user, "email", "")
            )
        except services.CardNotFound:
            raise Http404 from None
        except credentials.CredentialsRefusal as exc:
            form.add_error("payment_password", exc.message)
        except SecurityRefusal as exc:  # a frozen wallet (zhifu.security)
            form.add_error(None, exc.message)
        else:
            messages.success(request, _("Card %(card)s deleted.") % {"card": card.masked})
            return redirect("cards:list")
    if "payment_password" in form.errors:
        status = 403
    if form.is_bound:
        form.data = {}  # never send the payment password back
    return render(request, "vault/delete.html", {"form": form, "card": card}, status=status)
