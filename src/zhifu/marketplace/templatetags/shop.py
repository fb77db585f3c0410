from typing import Any

from django import template
from django.http import HttpRequest
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from zhifu.marketplace import branding, cart

register = template.Library()


@register.simple_tag(takes_context=True)
def cart_count(context: template.Context) -> int:
    request = context.get("request")
    if not isinstance(request, HttpRequest) or not hasattr(request, "session"):
        return 0
    return cart.count(request)


@register.simple_tag
def shop_name() -> str:
    """This shop's name in the active language (e-mails are rendered in the buyer's)."""
    return branding.name()


# The challenge's numbers in words, so the question reads naturally in each language.
_NUMBERS = {
    1: gettext_lazy("one"),
    2: gettext_lazy("two"),
    3: gettext_lazy("three"),
    4: gettext_lazy("four"),
    5: gettext_lazy("five"),
    6: gettext_lazy("six"),
    7: gettext_lazy("seven"),
    8: gettext_lazy("eight"),
    9: gettext_lazy("nine"),
    10: gettext_lazy("ten"),
}


@register.simple_tag
def challenge_question(challenge: Any) -> str:
    """ "How much is seven plus four? Answer in digits." for a ChallengeQuestion."""
    return _("How much is %(first)s plus %(second)s? Answer in digits.") % {
        "first": _NUMBERS[challenge.first],
        "second": _NUMBERS[challenge.second],
    }


# What went wrong in a refused sign-in request, in the buyer's language: the OAuth library's
# descriptions are English ("Invalid client_id parameter value."), so only its code is kept.
_OAUTH_ERRORS = {
    "invalid_client": gettext_lazy("The site that sent you is not registered with this shop."),
    "unauthorized_client": gettext_lazy("The site that sent you may not sign in buyers here."),
    "invalid_scope": gettext_lazy("The site asked for information the shop does not share."),
    "unsupported_response_type": gettext_lazy("The site asked for a kind of sign-in the shop "
                                              "does not offer."),
    "access_denied": gettext_lazy("The sign-in was cancelled."),
    "server_error": gettext_lazy("The shop could not handle the request. Try again later."),
    "temporarily_unavailable": gettext_lazy("The shop cannot sign you in right now. Try again "
                                            "in a few minutes."),
}  # fmt: skip
_CLIENT_ID = gettext_lazy("The site that sent you is not registered with this shop.")
_REDIRECT = gettext_lazy("The site asked to send you back to an address it has not registered.")
_REQUEST = gettext_lazy("The request is missing something, or holds a wrong value.")


@register.simple_tag
def oauth_error_text(error: Any) -> str:
    """The buyer's-language explanation of an OAuth error (``error.error``, its code, and
    ``error.description``, English) on the sign-in request page."""
    code = str(getattr(error, "error", "") or "")
    description = str(getattr(error, "description", "") or "").lower()
    if code == "invalid_request" and "client_id" in description:
        return str(_CLIENT_ID)
    if "redirect" in description:
        return str(_REDIRECT)
    return str(_OAUTH_ERRORS.get(code, _REQUEST))
