"""The wallet's account page shows the latest payments; the page is the accounts area's,
which cannot import payments (payments sits above accounts), so the page loads this tag."""

from __future__ import annotations

from typing import Any

from django import template

from zhifu.payments import services

register = template.Library()

RECENT = 3


@register.inclusion_tag("payments/_recent.html")
def recent_payments(user: Any) -> dict[str, Any]:
    found = services.history(user, limit=RECENT)
    names = services.shop_names(found.items)
    refunds = services.refunds_of(user, found.items)
    return {
        "rows": [
            {"payment": p, "shop": names[p.platform_slug], "refunds": refunds.get(p.id)}
            for p in found.items
        ],
        "more": found.has_more,
    }
