"""The payment password on every page that asks for it: its lock, told the same way.

``{% payment_password_lock as lock %}`` gives the time the signed-in buyer's payment
password is locked until (or None); ``{% payment_password_locked lock %}`` renders the
notice that page shows at its top, while its form is disabled.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django import template

from zhifu.credentials import domain, services
from zhifu.credentials.errors import unlock_time

register = template.Library()


@register.simple_tag(takes_context=True)
def payment_password_lock(context: template.Context) -> dt.datetime | None:
    request = context.get("request")
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return None
    return services.lock_state(user)


@register.inclusion_tag("credentials/_locked.html")
def payment_password_locked(until: dt.datetime | None, also: str = "") -> dict[str, Any]:
    """The lock notice; ``also`` says what the buyer can still do on that page."""
    if until is None:
        return {"until": None}
    return {
        "until": until,
        "when": unlock_time(until),
        "attempts": domain.MAX_FAILURES,
        "also": also,
    }
