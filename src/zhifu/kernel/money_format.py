"""Amounts for people: CLDR's pattern for the language, the symbol its readers know, CLDR's
currency spacing, and no minor units on a whole amount where the language's shops write none.

Babel gets three things wrong for a shop: it does not apply CLDR's currency spacing
(``format_currency(890, "RUB", locale="en")`` is ``"RUB890.00"``, where CLDR asks for
``"RUB 890.00"``), it ships no narrow symbols (a Russian shop writes «3 900 ₸», not
«3 900 KZT»), and it always prints the minor units («890,00 ₽» where the shop says «890 ₽»).
The decisions are in docs/glossary.md ("Amounts"); the digits come from exact Decimal
arithmetic only.
"""

from __future__ import annotations

import re
import unicodedata
from decimal import Decimal

from babel import Locale, UnknownLocaleError
from babel.numbers import get_currency_name, get_currency_symbol, parse_pattern

NBSP = "\u00a0"

# CLDR's narrow symbols for the languages whose standard symbol is only the ISO code (Babel
# ships no narrow symbols). Each language's table keeps one symbol per currency: the yuan,
# the currency of zhifu's marketplaces, is «¥» in Russian, so the yen takes CLDR's root
# symbol «JP¥».
_LOCAL_SYMBOLS: dict[str, dict[str, str]] = {
    "ru": {"CNY": "¥", "JPY": "JP¥", "KZT": "₸", "PLN": "zł", "TRY": "₺", "UAH": "₴"},
}
# Languages whose shops print no minor units on a whole amount («890 ₽», but «890,50 ₽»);
# English keeps them («RUB 890.00»), as English receipts and price tags do.
_WHOLE_WITHOUT_MINOR_UNITS = frozenset({"ru"})


def _locale(name: str) -> Locale:
    try:
        return Locale.parse(name.replace("-", "_"))
    except (UnknownLocaleError, ValueError):
        return Locale.parse("en")


def symbol(currency: str, locale: str) -> str:
    """The symbol a reader of `locale` knows for `currency`: «₸» in Russian, "RUB" in English."""
    loc = _locale(locale)
    local = _LOCAL_SYMBOLS.get(loc.language, {})
    return local.get(currency) or get_currency_symbol(currency, loc)


def _spaced(symbol_char: str) -> bool:
    """CLDR's currencyMatch ``[[:^S:]&[:^Z:]]``: a letter beside the digits ("RUB", "zł")
    is spaced from them, a symbol ("$", "₽", "CN¥") is not."""
    return not unicodedata.category(symbol_char).startswith(("S", "Z"))


def format_amount(minor: int, currency: str, exponent: int, locale: str = "en") -> str:
    """``minor`` minor units of ``currency`` (``exponent`` decimals) for people reading
    ``locale``: "RUB 890.00", "$12.30", "890 ₽", "3 900 ₸", "49 ¥", "1 234,56 ₽"."""
    loc = _locale(locale)
    value = Decimal(minor).scaleb(-exponent)
    whole = loc.language in _WHOLE_WITHOUT_MINOR_UNITS and minor % 10**exponent == 0
    digits = 0 if whole else exponent
    pattern = parse_pattern(loc.currency_formats["standard"].pattern)
    # ISO minor units, not CLDR's display digits, decide the decimals.
    pattern.frac_prec = (digits, digits)
    # Babel would write its own symbol; a private-use placeholder (an unknown "currency" is
    # written as given) marks where ours goes, whatever the pattern's side.
    marker = "\ue000"
    text = str(pattern.apply(value, loc, currency=marker, currency_digits=False))
    sign = symbol(currency, loc.language)
    if _spaced(sign[-1]):
        text = re.sub(f"{marker}(?=\\d)", f"{marker}{NBSP}", text)
    if _spaced(sign[0]):
        text = re.sub(f"(?<=\\d){marker}", f"{NBSP}{marker}", text)
    return text.replace(marker, sign)


def currency_name(currency: str, locale: str) -> str:
    """The currency's name for a heading, instead of its ISO code: "Chinese Yuan",
    «китайский юань»."""
    return get_currency_name(currency, locale=_locale(locale))
