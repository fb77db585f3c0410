"""``{{ name|shop_name }}``: a registered shop name as the page's language writes it."""

from __future__ import annotations

from django import template

from zhifu.web import shop_names

register = template.Library()


@register.filter
def shop_name(name: object, where: str = "") -> str:
    """In a sentence by default; ``|shop_name:"alone"`` in a list of shops."""
    return shop_names.shop_name(str(name), alone=where == "alone") if name else ""
