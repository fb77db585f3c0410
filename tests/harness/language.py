"""No English word on a Russian page: a checker the browser walks run over every page.

`english_words(text, attributes)` takes a page's visible text and the texts people meet in
its attributes (aria-label, placeholder, title, alt, value of buttons) and returns the Latin
words that are neither names (brands, card schemes, the demo's shops), nor codes (ISO
currency codes, the language switcher's EN / RU), nor things that are not words at all
(e-mail addresses, URLs, ids with digits or underscores, masked card numbers). What it
returns is English left on a Russian page (docs/glossary.md says what to write instead).
Leave out of the text you pass ``<code>`` (API paths and headers are code, not words) and
any element with another ``lang`` (an English e-mail shown in the Russian demo mailbox).
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from babel.numbers import list_currencies

from zhifu.kernel.currencies import DEFAULT_CURRENCIES
from zhifu.kernel.money_format import symbol

# Names a Russian page writes in Latin letters (docs/glossary.md, "Names").
NAMES = frozenset(
    {
        # zhifu, its sites and the demo's second shop
        "zhifu", "cardnet", "bazaar",
        # card schemes and payment brands
        "visa", "mastercard", "amex", "unionpay", "jcb", "maestro",
        "discover", "mir", "elo", "hipercard", "rupay", "troy", "alipay", "aliexpress",
        # the check digit's algorithm, named after its author
        "luhn",
        # what a card prints beside the code on its back
        "cvc", "cvv",
        # «IP-адрес» and «API», as Russian writes them; the browsers' own names
        "ip", "api", "chrome", "chromium", "firefox", "safari", "edge", "opera",
    }
)  # fmt: skip
# Names of more than one word, taken out whole so their words do not count alone.
PHRASES = ("3-D Secure", "American Express", "Diners Club")
# The language switcher names the languages by their codes, a language choice by the name a
# speaker of it knows ("English"); times name their zones by UTC offsets («19:14 (UTC+8)»).
LANGUAGE_CODES = frozenset({"en", "ru", "english", "utc", "gmt"})

_EMAIL = re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+")
_URL = re.compile(r"\b(?:https?://|www\.)\S+|\b[\w-]+(?:\.[\w-]+)*\.(?:localhost|test|example)\S*")
# Latin letters (with their diacritics), joined by hyphens or apostrophes: "e-mail", "don't".
_WORD = re.compile("[A-Za-zÀ-ɏ]+(?:[-'\u2019][A-Za-zÀ-ɏ0-9]+)*")
# An identifier or a code, not a word: letters next to digits or underscores ("ver_3f2a").
_IDENTIFIER = re.compile(r"[\w-]*(?:\d[A-Za-z]|[A-Za-z]\d|_)[\w-]*")


def _currency_symbols() -> list[str]:
    """Symbols with Latin letters ("zł", "R$", "CA$"), longest first so "CA$" goes before "A$"."""
    found = {symbol(code, lang) for code in DEFAULT_CURRENCIES for lang in ("ru", "en")}
    return sorted((s for s in found if re.search("[A-Za-zÀ-ɏ]", s)), key=len, reverse=True)


_CODES = frozenset(code.lower() for code in list_currencies())
_SYMBOLS = _currency_symbols()


def english_words(
    text: str, attributes: Iterable[str] = (), allow: Iterable[str] = ()
) -> list[str]:
    """The Latin-letter words of `text` and `attributes` outside the allow-list (NAMES,
    ISO currency codes, the language codes and `allow`), each once, in the order found."""
    allowed = NAMES | LANGUAGE_CODES | _CODES | {word.lower() for word in allow}
    found: list[str] = []
    for chunk in (text, *attributes):
        for phrase in PHRASES:
            chunk = chunk.replace(phrase, " ")
        chunk = _URL.sub(" ", _EMAIL.sub(" ", chunk))
        chunk = _IDENTIFIER.sub(" ", chunk)
        for sign in _SYMBOLS:
            chunk = chunk.replace(sign, " ")
        for match in _WORD.finditer(chunk):
            word = match.group(0)
            if word.lower() not in allowed and word not in found:
                found.append(word)
    return found
