from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.utils import translation
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_http_methods
from django_stubs_ext import StrPromise

from zhifu.cardnet import challenge, services
from zhifu.cardnet.domain import TEST_CARDS, Behaviour
from zhifu.cardnet.errors import NotFound

# What each special test card does, as the home page lists it: on a card verification,
# and on a payment (an authorization).
BEHAVIOUR_LABELS: dict[Behaviour, StrPromise] = {
    Behaviour.APPROVE: _("Approved"),
    Behaviour.INSUFFICIENT_FUNDS: _("Declined: insufficient funds"),
    Behaviour.DO_NOT_HONOUR: _("Declined: do not honour"),
    Behaviour.EXPIRED_CARD: _("Declined: expired card"),
    Behaviour.STOLEN_CARD: _("Declined: stolen card"),
    Behaviour.INCORRECT_CVC: _("Declined: incorrect CVC"),
    Behaviour.TIMEOUT: _("No answer in time (timeout)"),
    Behaviour.CHALLENGE: _("Asks for a challenge (3-D Secure-like)"),
}
PAYMENT_LABELS: dict[Behaviour, StrPromise] = {
    Behaviour.APPROVE: _("Authorized"),
    Behaviour.INSUFFICIENT_FUNDS: _("Declined: insufficient funds"),
    Behaviour.DO_NOT_HONOUR: _("Declined: do not honour"),
    Behaviour.EXPIRED_CARD: _("Declined: expired card"),
    Behaviour.STOLEN_CARD: _("Declined: stolen card"),
    Behaviour.INCORRECT_CVC: _("Declined: incorrect CVC"),
    Behaviour.TIMEOUT: _(
        "Authorized, but answered only after 30 seconds: the wallet learns it from the status"
    ),
    Behaviour.CHALLENGE: _(
        "The buyer confirms the payment on cardnet's page first; cancelling declines it"
    ),
}


# The test cards' notes in the page's language (the scheme names stay as they are).
CARD_NAMES: dict[str, StrPromise] = {
    "Mastercard (2-series)": _("Mastercard (2-series)"),
    "UnionPay (no Luhn digit)": _("UnionPay (no Luhn digit)"),
}


def home(request: HttpRequest) -> HttpResponse:
    approving = [
        {"scheme": CARD_NAMES.get(c.scheme, c.scheme), "grouped": c.grouped}
        for c in TEST_CARDS
        if c.behaviour is Behaviour.APPROVE
    ]
    special = [
        {
            "card": c,
            "label": BEHAVIOUR_LABELS[c.behaviour],
            "payment": PAYMENT_LABELS[c.behaviour],
        }
        for c in TEST_CARDS
        if c.behaviour is not Behaviour.APPROVE
    ]
    return render(request, "cardnet/home.html", {"approving": approving, "special": special})


@require_http_methods(["GET", "POST"])
def challenge_page(request: HttpRequest, token: str) -> HttpResponse:
    """The issuer's "Confirm your card" page; both buttons send the buyer back signed.

    A verification's challenge is stateless. A payment's is recorded: the answer settles the
    authorization (what cardnet's status tells the wallet), and the signed answer says what
    was recorded, so a second click cannot change it."""
    data = challenge.load(token)
    if data is None:
        raise Http404
    payment = challenge.is_authorization(data)
    try:
        if request.method == "POST":
            confirmed = request.POST.get("decision") == "confirm"
            if payment:
                confirmed = services.answer_challenge(data["id"], confirmed)
            return HttpResponseRedirect(challenge.answer_url(data, confirmed))
        amount = services.challenge_amount(data["id"]) if payment else None
    except NotFound:
        raise Http404 from None
    language = translation.get_language() or "en"
    return render(
        request,
        "cardnet/challenge.html",
        {
            "verification": data["id"],
            "amount": amount.format(language) if amount else None,
        },
    )
