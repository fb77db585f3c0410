"""ISO 4217 currencies and their minor-unit exponents.

The exponent (number of minor units) comes from ISO 4217 itself, not from CLDR: the two
agree for zhifu's default currencies (a test checks that against Babel), but CLDR's
"digits" are display conventions while ISO's minor units are what money is counted in.
Any currency Babel knows may be used if its exponent is 0-3; zhifu's *enabled* set is
configurable (`ZHIFU_CURRENCIES`) and defaults to the 14 currencies of `DEFAULT_CURRENCIES`.
"""

from __future__ import annotations

from functools import lru_cache

from babel.numbers import list_currencies

DEFAULT_CURRENCIES: tuple[str, ...] = (
    "CNY", "USD", "EUR", "RUB", "GBP", "JPY", "KRW",
    "BRL", "UAH", "KZT", "PLN", "TRY", "AUD", "CAD",
)  # fmt: skip

# ISO 4217 currencies whose minor unit is not 2 (every other active code has 2).
_ISO_EXPONENT_EXCEPTIONS: dict[str, int] = {
    # no minor unit
    "BIF": 0, "CLP": 0, "DJF": 0, "GNF": 0, "ISK": 0, "JPY": 0, "KMF": 0, "KRW": 0,
    "PYG": 0, "RWF": 0, "UGX": 0, "UYI": 0, "VND": 0, "VUV": 0, "XAF": 0, "XOF": 0,
    "XPF": 0,
    # thousandths
    "BHD": 3, "IQD": 3, "JOD": 3, "KWD": 3, "LYD": 3, "OMR": 3, "TND": 3,
    # four decimals: units of account zhifu does not carry
    "CLF": 4, "UYW": 4,
}  # fmt: skip

MAX_EXPONENT = 3


class UnknownCurrency(ValueError):
    """The code is not an ISO 4217 currency zhifu can count in."""

    def __init__(self, code: object) -> None:
        super().__init__(f"unknown currency {code!r}")
        self.code = code


@lru_cache(maxsize=1)
def _known_codes() -> frozenset[str]:
    return frozenset(list_currencies())


def exponent(code: str) -> int:
    """Number of decimal places of the currency's minor unit (JPY 0, USD 2, KWD 3)."""
    validate(code)
    return _ISO_EXPONENT_EXCEPTIONS.get(code, 2)


def validate(code: object) -> str:
    """Return the code if it is a usable ISO 4217 currency, raise UnknownCurrency if not."""
    if (
        not isinstance(code, str)
        or len(code) != 3
        or not code.isascii()
        or not code.isupper()
        or code not in _known_codes()
        or _ISO_EXPONENT_EXCEPTIONS.get(code, 2) > MAX_EXPONENT
    ):
        raise UnknownCurrency(code)
    return code


def parse_currency_list(value: str | list[str] | tuple[str, ...]) -> tuple[str, ...]:
    """Parse a configured list ("USD, EUR" or a list), validating and de-duplicating."""
    items = value.split(",") if isinstance(value, str) else list(value)
    codes: list[str] = []
    for raw in items:
        code = raw.strip().upper()
        if not code:
            continue
        validate(code)
        if code not in codes:
            codes.append(code)
    if not codes:
        raise ValueError("at least one currency must be enabled")
    return tuple(codes)
