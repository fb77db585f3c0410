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
