"""The shop's refusal codes are enumerated in one place and used once."""

from __future__ import annotations

from zhifu.kernel.errors import codes_of
from zhifu.marketplace.errors import MarketplaceCode, MarketplaceRefusal


def test_every_refusal_of_the_shop_has_a_code_of_its_enumeration() -> None:
    found = codes_of(MarketplaceRefusal)
    concrete = {code for code, cls in found.items() if cls is not MarketplaceRefusal}
    assert concrete == {c.value for c in MarketplaceCode}
