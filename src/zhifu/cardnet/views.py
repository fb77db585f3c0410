from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.views.decorators.http import require_http_methods

from zhifu.cardnet import challenge
from zhifu.cardnet.domain import TEST_CARDS, Behaviour


def home(request: HttpRequest) -> HttpResponse:
    approving = [c for c in TEST_CARDS if c.behaviour is Behaviour.APPROVE]
    special = [c for c in TEST_CARDS if c.behaviour is not Behaviour.APPROVE]
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
