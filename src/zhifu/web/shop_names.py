"""A shop's name as the wallet shows it, in the page's language.

Shops register their names with the wallet (a platform's ``name``); a proper name such as
"Bazaar" stays as it is, but the demo shop's registered name "zhifu shop" holds an English
word. Russian sentences of the wallet say «магазин %(shop)s» (declined: «в магазине …»,
«через магазин …»), so its Russian name is only «zhifu»: «через магазин zhifu»
(docs/glossary.md). Names are translated when shown, never stored translated: the session and
the e-mail queue keep the registered name.
"""

from __future__ import annotations

from django.utils.translation import pgettext, pgettext_lazy

CONTEXT = "shop name in the wallet"
# Standing alone (a list of shops to choose from), the name says what it is: «Магазин zhifu».
ALONE = "shop name in the wallet, alone"
# For makemessages: the demo's seeded name, in both places.
DEMO_SHOP = pgettext_lazy("shop name in the wallet", "zhifu shop")
DEMO_SHOP_ALONE = pgettext_lazy("shop name in the wallet, alone", "zhifu shop")


def shop_name(name: str | None, alone: bool = False) -> str:
    """The registered name `name` as the page's language writes it in a sentence (or `alone`,
    in a list); unchanged for names that have no translation."""
    return pgettext(ALONE if alone else CONTEXT, name) if name else ""
