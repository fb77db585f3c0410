from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.translation import gettext_lazy as _
from django_stubs_ext import StrPromise

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
