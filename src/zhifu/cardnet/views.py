from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from zhifu.cardnet.domain import TEST_CARDS, Behaviour


def home(request: HttpRequest) -> HttpResponse:
    approving = [c for c in TEST_CARDS if c.behaviour is Behaviour.APPROVE]
    special = [c for c in TEST_CARDS if c.behaviour is not Behaviour.APPROVE]
    return render(request, "cardnet/home.html", {"approving": approving, "special": special})
