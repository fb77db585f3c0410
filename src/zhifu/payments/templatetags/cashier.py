"""Template filters of the buyer's payment pages: amounts in the page's language, and the
scheme logo of a card named by its brand."""

from __future__ import annotations

from typing import Any

from django import template
from django.utils.translation import get_language

from zhifu.kernel.money import Money
from zhifu.vault import domain as vault_domain

register = template.Library()

# "Visa" -> "visa": the logo files are named by scheme (vault/static/vault/schemes/).
_LOGO_BY_BRAND = {rule.display_name: scheme.value for scheme, rule in vault_domain.RULES.items()}


@register.filter
def money(value: Any) -> str:
    """``Money`` formatted for the page's language (CLDR, through ``Money.format``)."""
    if not isinstance(value, Money):
        return ""
    return value.format(get_language() or "en")


@register.filter
def scheme_logo(brand: str) -> str:
    """The logo file of a card brand ("Visa" -> "visa"), "unknown" for any other."""
    return _LOGO_BY_BRAND.get(brand, "unknown")
