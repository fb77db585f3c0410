"""Double-entry rules of the ledger, free of Django.

Vocabulary
----------
* An **account** belongs to an owner (``"user:42"``, ``"merchant:m_7"``, ``"zhifu"``), has
  a kind (:class:`AccountKind`) and one currency. Its balance is a signed count of minor
  units.
* An **entry** records one business event (a top-up, a payment, a conversion ...). It is
  made of **postings**, each a signed amount on one account.
* Sign convention: a positive posting *increases* the account's balance as its owner sees
  it (money the buyer holds, money owed to the merchant); the other side of every movement
  is a card-network clearing account or an FX position account, whose balances may be
  negative (they mirror money held elsewhere).

The rules
---------
1. An entry is accepted only if, for every currency, its postings sum to exactly zero.
2. Entries are immutable; a correction is a new entry with every posting negated
   (:func:`reversed_legs`).
3. Accounts of the kinds in :data:`NON_NEGATIVE_KINDS` never go below zero.
"""

from __future__ import annotations

import base64
import binascii
import datetime as dt
import enum
import random
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

from zhifu.kernel import currencies
from zhifu.kernel.money import Money

# --- accounts ---------------------------------------------------------------------------


class AccountKind(enum.StrEnum):
    BUYER_BALANCE = "buyer_balance"
    MERCHANT_PAYABLE = "merchant_payable"
    CARD_CLEARING = "card_clearing"
    FX_POSITION = "fx_position"
    FEES = "fees"
    REFUNDS_IN_TRANSIT = "refunds_in_transit"
    # Authorized payments not yet captured or released (payments): the buyer's money the
    # house holds on the shop's behalf. Every hold is captured or released, never more.
    CARD_HOLDS = "card_holds"


# Balances the house owes to someone (or holds for a refund on its way): never negative.
NON_NEGATIVE_KINDS: frozenset[AccountKind] = frozenset(
    {
        AccountKind.BUYER_BALANCE,
        AccountKind.MERCHANT_PAYABLE,
        AccountKind.FEES,
        AccountKind.REFUNDS_IN_TRANSIT,
        AccountKind.CARD_HOLDS,
    }
)

# The house's own accounts are owned by this name.
HOUSE = "zhifu"

# How many sub-accounts ("shards") a merchant's payable is split into. See
# choose_shard() and docs/ledger.md: credits go to one shard picked at random, so
# concurrent payments to one merchant lock different rows; reads sum the shards.
MERCHANT_PAYABLE_SHARDS = 8

_MAX_OWNER = 100


def allows_negative(kind: AccountKind) -> bool:
    return kind not in NON_NEGATIVE_KINDS


# Hot accounts (every payment to a shop, every payment's hold) are split into shards.
_SHARDED_KINDS = frozenset({AccountKind.MERCHANT_PAYABLE, AccountKind.CARD_HOLDS})


def default_shards(kind: AccountKind) -> int:
    return MERCHANT_PAYABLE_SHARDS if kind in _SHARDED_KINDS else 1


class LedgerRuleError(ValueError):
    """A posting request breaks a rule of double entry (a programming error, not a user's)."""


class Unbalanced(LedgerRuleError):
    def __init__(self, sums: Mapping[str, int]) -> None:
        detail = ", ".join(f"{cur} {total:+d}" for cur, total in sorted(sums.items()))
        super().__init__(f"postings do not sum to zero per currency: {detail}")
        self.sums = dict(sums)


@dataclass(frozen=True, slots=True)
class AccountRef:
    """A logical account: owner, kind and currency (a sharded account has several rows)."""

    owner: str
    kind: AccountKind
    currency: str

    def __post_init__(self) -> None:
        if not self.owner or len(self.owner) > _MAX_OWNER:
            raise LedgerRuleError(f"owner must be 1-{_MAX_OWNER} characters")
        AccountKind(self.kind)
        currencies.validate(self.currency)

    def __str__(self) -> str:
        return f"{self.owner}/{self.kind}/{self.currency}"


def buyer(owner: str, currency: str) -> AccountRef:
    return AccountRef(owner, AccountKind.BUYER_BALANCE, currency)


def merchant(owner: str, currency: str) -> AccountRef:
    return AccountRef(owner, AccountKind.MERCHANT_PAYABLE, currency)


def clearing(currency: str, network: str = "cardnet") -> AccountRef:
    return AccountRef(network, AccountKind.CARD_CLEARING, currency)


def fx_position(currency: str) -> AccountRef:
    return AccountRef(HOUSE, AccountKind.FX_POSITION, currency)


def fees(currency: str) -> AccountRef:
    return AccountRef(HOUSE, AccountKind.FEES, currency)


def refunds_in_transit(currency: str) -> AccountRef:
    return AccountRef(HOUSE, AccountKind.REFUNDS_IN_TRANSIT, currency)


def card_holds(currency: str) -> AccountRef:
    return AccountRef(HOUSE, AccountKind.CARD_HOLDS, currency)


# --- entries ----------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Leg:
    """One side of a movement: an amount on a logical account (positive = credit)."""

    account: AccountRef
    amount: Money

    def __post_init__(self) -> None:
        if self.amount.currency != self.account.currency:
            raise LedgerRuleError(
                f"a {self.amount.currency} amount cannot be posted to {self.account}"
            )
        if self.amount.minor == 0:
            raise LedgerRuleError("a posting of zero records nothing")


def currency_sums(amounts: Iterable[Money]) -> dict[str, int]:
    sums: dict[str, int] = defaultdict(int)
    for amount in amounts:
        sums[amount.currency] += amount.minor
    return dict(sums)


def validate_entry(legs: Sequence[Leg]) -> None:
    """Raise unless the legs form a valid entry: two or more, summing to zero per currency."""
    if len(legs) < 2:
        raise LedgerRuleError("an entry needs at least two postings")
    sums = currency_sums(leg.amount for leg in legs)
    unbalanced = {cur: total for cur, total in sums.items() if total != 0}
    if unbalanced:
        raise Unbalanced(unbalanced)


def net_by_account(legs: Sequence[Leg]) -> dict[AccountRef, int]:
    """Total change per logical account (several legs may hit one account)."""
    net: dict[AccountRef, int] = defaultdict(int)
    for leg in legs:
        net[leg.account] += leg.amount.minor
    return dict(net)


def reversed_legs(legs: Sequence[Leg]) -> list[Leg]:
    """The legs of a correcting entry: every amount negated, on the same accounts."""
    return [Leg(leg.account, -leg.amount) for leg in legs]


def validate_reference(reference: str) -> str:
    """External references are the business event's identity: 1-200 printable characters."""
    if not isinstance(reference, str) or not 0 < len(reference) <= 200:
        raise LedgerRuleError("an entry reference must be 1-200 characters")
    if not reference.isprintable() or reference != reference.strip():
        raise LedgerRuleError("an entry reference must be printable without outer spaces")
    return reference


# --- hot accounts -----------------------------------------------------------------------


def choose_shard(shards: int, rng: random.Random | None = None) -> int:
    """The shard a credit goes to: uniform at random.

    A merchant that receives most payments would otherwise make every payment wait for the
    lock on its one payable row. With N shards, N payments can commit at once; the
    balance is the sum of N rows, still O(1) in the length of the history.
    """
    if shards < 1:
        raise LedgerRuleError("an account has at least one shard")
    return (rng or random).randrange(shards)


def plan_debit(balances: Sequence[tuple[int, int]], amount: int) -> list[tuple[int, int]]:
    """Take `amount` from shards [(account id, balance)], largest balances first.

    Returns [(account id, negative posting)]; the caller has locked every shard. Raises
    LedgerRuleError if the shards together hold less than the amount (the caller turns
    that into InsufficientFunds).
    """
    if amount <= 0:
        raise LedgerRuleError("a debit is a positive amount")
    remaining = amount
    plan: list[tuple[int, int]] = []
    for account_id, balance in sorted(balances, key=lambda item: (-item[1], item[0])):
        if remaining == 0:
            break
        take = min(balance, remaining)
        if take > 0:
            plan.append((account_id, -take))
            remaining -= take
    if remaining:
        raise LedgerRuleError("not enough money across the shards")
    return plan


# --- statements -------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Cursor:
    """Keyset position in a statement: newest first, by (posted_at, posting id)."""

    posted_at: dt.datetime
    posting_id: int

    def encode(self) -> str:
        raw = f"{self.posted_at.isoformat()}|{self.posting_id}".encode()
        return base64.urlsafe_b64encode(raw).decode().rstrip("=")

    @classmethod
    def decode(cls, token: str) -> Cursor:
        """Parse a cursor from a client; anything malformed is a ValueError."""
        try:
            padded = token + "=" * (-len(token) % 4)
            raw = base64.urlsafe_b64decode(padded.encode("ascii")).decode()
            stamp, _, ident = raw.partition("|")
            posted_at = dt.datetime.fromisoformat(stamp)
            posting_id = int(ident)
        except (ValueError, UnicodeError, binascii.Error):
            raise ValueError("not a statement cursor") from None
        if posted_at.tzinfo is None or posting_id < 1:
            raise ValueError("not a statement cursor")
        return cls(posted_at, posting_id)


_CSV_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def csv_safe(text: str) -> str:
    """Neutralise spreadsheet formulas in free text (OWASP CSV injection)."""
    return "'" + text if text.startswith(_CSV_FORMULA_START) else text


# --- stored balance switch --------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class BalancePolicy:
    """Whether a platform lets its buyers keep a stored balance.

    The platform model (zhifu.accounts) decides; the balance services take the policy as
    an argument so they do not depend on where the switch is stored.
    """

    enabled: bool


BALANCE_ON = BalancePolicy(enabled=True)
BALANCE_OFF = BalancePolicy(enabled=False)


# --- invariants -------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Violation:
    rule: str
    subject: str
    detail: str

    def __str__(self) -> str:
        return f"{self.rule}: {self.subject}: {self.detail}"
