from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_http_methods
from django_stubs_ext import StrPromise

from zhifu.cardnet import challenge
from zhifu.cardnet.domain import TEST_CARDS, Behaviour

# What each special test card does, as the home page lists it (one sentence per behaviour).
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


def home(request: HttpRequest) -> HttpResponse:
    approving = [c for c in TEST_CARDS if c.behaviour is Behaviour.APPROVE]
    special = [
        {"card": c, "label": BEHAVIOUR_LABELS[c.behaviour]}
        for c in TEST_CARDS
        if c.behaviour is not Behaviour.APPROVE
    ]
    return render(request, "cardnet/home.html", {"approving": approving, "special": special})


@require_http_methods(["GET", "POST"])
def challenge_page(request: HttpRequest, token: str) -> HttpResponse:
    """The issuer's "Confirm your card" page; both buttons send the buyer back signed."""
    data = challenge.load(token)
    if data is None:
        raise Http404
    if request.method == "POST":
        confirmed = request.POST.get("decision") == "confirm"
        return HttpResponseRedirect(challenge.answer_url(data, confirmed))
    return render(request, "cardnet/challenge.html", {"verification": data["id"]})
