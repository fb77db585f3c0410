"""Money as an integer count of minor units in one currency.

There is no float anywhere: amounts are built from ints or decimal strings, and every
operation that could lose a minor unit (allocation, conversion) says how it rounds.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from functools import total_ordering

from zhifu.kernel import currencies, money_format


class MoneyError(ValueError):
    """An amount that cannot be represented exactly, or an operation mixing currencies."""


class CurrencyMismatch(MoneyError):
    def __init__(self, left: str, right: str) -> None:
        super().__init__(f"cannot combine {left} with {right}")


@total_ordering
@dataclass(frozen=True, slots=True)
class Money:
    minor: int
    currency: str

    def __post_init__(self) -> None:
        # bool is an int subclass; True dollars is a bug, not an amount.
        if type(self.minor) is not int:
            raise MoneyError(f"minor units must be an int, not {type(self.minor).__name__}")
        currencies.validate(self.currency)

    # construction -------------------------------------------------------------------
    @classmethod
    def zero(cls, currency: str) -> Money:
        return cls(0, currency)

    @classmethod
    def parse(cls, amount: str | Decimal, currency: str) -> Money:
        """Parse a major-unit amount ("12.34", Decimal("12.34")) without rounding.

        More decimal places than the currency has is an error, never silently rounded.
        """
        if isinstance(amount, float) or not isinstance(amount, str | Decimal):
            raise MoneyError("amounts must be given as a decimal string, never a float")
        exp = currencies.exponent(currency)
        try:
            value = Decimal(amount.strip()) if isinstance(amount, str) else amount
        except InvalidOperation:
            raise MoneyError(f"{amount!r} is not a number") from None
        if not value.is_finite():
            raise MoneyError(f"{amount!r} is not a finite amount")
        scaled = value.scaleb(exp)
        if scaled != scaled.to_integral_value():
            raise MoneyError(f"{currency} allows at most {exp} decimal places")
        return cls(int(scaled), currency)

    # arithmetic ---------------------------------------------------------------------
    def _same(self, other: Money) -> None:
        if not isinstance(other, Money):
            raise TypeError(f"expected Money, got {type(other).__name__}")
        if other.currency != self.currency:
            raise CurrencyMismatch(self.currency, other.currency)

    def __add__(self, other: Money) -> Money:
        self._same(other)
        return Money(self.minor + other.minor, self.currency)

    def __sub__(self, other: Money) -> Money:
        self._same(other)
        return Money(self.minor - other.minor, self.currency)

    def __neg__(self) -> Money:
        return Money(-self.minor, self.currency)

    def __mul__(self, factor: int) -> Money:
        if type(factor) is not int:
            raise MoneyError("money can only be multiplied by an int; use allocate() to split")
        return Money(self.minor * factor, self.currency)

    __rmul__ = __mul__

    def __lt__(self, other: Money) -> bool:
        self._same(other)
        return self.minor < other.minor

    def __bool__(self) -> bool:
        return self.minor != 0

    def allocate(self, ratios: Sequence[int]) -> list[Money]:
        """Split by integer ratios so the parts sum exactly to this amount.

        Largest-remainder method: each part gets floor(total * ratio / sum); the minor
        units left over go one each to the parts with the largest remainders (ties to
        the earliest), so no minor unit is created or lost.
        """
        if not ratios or any(type(r) is not int or r < 0 for r in ratios):
            raise MoneyError("ratios must be non-negative ints")
        total = sum(ratios)
        if total == 0:
            raise MoneyError("ratios must not all be zero")
        sign = -1 if self.minor < 0 else 1
        amount = abs(self.minor)
        shares = [amount * r // total for r in ratios]
        remainders = [amount * r % total for r in ratios]
        leftover = amount - sum(shares)
        order = sorted(range(len(ratios)), key=lambda i: (-remainders[i], i))
        for i in order[:leftover]:
            shares[i] += 1
        return [Money(sign * s, self.currency) for s in shares]

    def split(self, parts: int) -> list[Money]:
        """Split into `parts` near-equal amounts that sum exactly to this one."""
        return self.allocate([1] * parts)

    # presentation -------------------------------------------------------------------
    @property
    def exponent(self) -> int:
        return currencies.exponent(self.currency)

    def to_decimal(self) -> Decimal:
        """The amount in major units, exact (for display and wire formats only)."""
        return Decimal(self.minor).scaleb(-self.exponent)

    def amount_str(self) -> str:
        """Plain major-unit string with exactly the currency's decimals: "12.30", "1234"."""
        return f"{self.to_decimal():.{self.exponent}f}"

    def format(self, locale: str = "en") -> str:
        """Format for people reading `locale` (zhifu.kernel.money_format): "$12.30",
        "RUB 890.00", "890 ₽", "3 900 ₸"."""
        return money_format.format_amount(self.minor, self.currency, self.exponent, locale)

    def __str__(self) -> str:
        return f"{self.amount_str()} {self.currency}"


def parse_amounts(text: str) -> dict[str, Money]:
    """One amount per currency from ``"EUR 50.00, RUB 5000"``; raises MoneyError (or
    UnknownCurrency, a ValueError too) on a bad item. A setting's format."""
    amounts: dict[str, Money] = {}
    for item in (part.strip() for part in text.split(",")):
        if not item:
            continue
        currency, _, amount = item.partition(" ")
        money = Money.parse(amount.strip(), currency.strip().upper())
        amounts[money.currency] = money
    return amounts
