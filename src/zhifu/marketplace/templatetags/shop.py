from django import template
from django.http import HttpRequest

from zhifu.marketplace import cart

register = template.Library()


@register.simple_tag(takes_context=True)
def cart_count(context: template.Context) -> int:
    request = context.get("request")
    if not isinstance(request, HttpRequest) or not hasattr(request, "session"):
        return 0
    return cart.count(request)
