"""The ledger's invariants over what is stored, one function each (`zhifu ledger check`).

Each returns its violations (``Violation(rule, subject, detail)``); only the offending rows
come back from the database, however many accounts and entries exist. The rule names are
what `zhifu ledger check` prints and docs/ledger.md lists.
"""

from __future__ import annotations

from collections.abc import Callable

from django.db.models import Count, F, Max, Subquery, Sum, Value
from django.db.models.functions import Coalesce

from zhifu.ledger import domain
from zhifu.ledger.domain import Violation
from zhifu.ledger.models import Account, Entry, Posting


def entries_balance() -> list[Violation]:
    """entry-unbalanced: each entry's postings sum to zero in every currency."""
    unbalanced = (
        Posting.objects.values("entry_id", "currency")
        .annotate(total=Sum("amount"))
        .exclude(total=0)
        .order_by("entry_id", "currency")
    )
    return [
        Violation(
            "entry-unbalanced",
            f"entry {row['entry_id']}",
            f"{row['currency']} postings sum to {row['total']:+d}",
        )
        for row in unbalanced
    ]


def entries_complete() -> list[Violation]:
    """entry-incomplete: every entry has at least two postings."""
    thin = Entry.objects.annotate(n=Count("postings")).filter(n__lt=2).order_by("pk")
    return [
        Violation("entry-incomplete", f"entry {entry.pk}", "fewer than two postings")
        for entry in thin
    ]


def posting_currencies() -> list[Violation]:
    """posting-currency: a posting is in its account's currency."""
    mismatched = Posting.objects.exclude(currency=F("account__currency")).values_list(
        "pk", "account_id"
    )
    return [
        Violation(
            "posting-currency",
            f"posting {posting_id}",
            f"currency differs from account {account_id}",
        )
        for posting_id, account_id in mismatched
    ]


def balances_match_postings() -> list[Violation]:
    """balance-mismatch: a stored balance is the sum of its account's postings."""
    mismatched = (
        Account.objects.annotate(posted=Coalesce(Sum("postings__amount"), Value(0)))
        .exclude(balance=F("posted"))
        .order_by("pk")
    )
    return [
        Violation(
            "balance-mismatch",
            f"account {bad.pk} ({bad})",
            f"stored {bad.balance}, postings sum to {bad.posted}",
        )
        for bad in mismatched
    ]


def newest_balance_after() -> list[Violation]:
    """balance-after: the newest posting's balance_after is the stored balance.

    Postings of one account are written under its row lock, so their ids follow the order
    they were applied in. (One grouped pass over the postings, not a lookup per account.)
    """
    newest = Posting.objects.values("account_id").annotate(last=Max("pk")).values("last")
    drifted = (
        Posting.objects.filter(pk__in=Subquery(newest))
        .exclude(balance_after=F("account__balance"))
        .select_related("account")
        .order_by("account_id")
    )
    return [
        Violation(
            "balance-after",
            f"account {posting.account_id} ({posting.account})",
            f"stored {posting.account.balance}, newest posting says {posting.balance_after}",
        )
        for posting in drifted
    ]


def _non_negative_kinds() -> list[str]:
    return [kind.value for kind in domain.NON_NEGATIVE_KINDS]


def no_forbidden_negatives() -> list[Violation]:
    """negative-balance: accounts of the non-negative kinds are never below zero."""
    negative = Account.objects.filter(kind__in=_non_negative_kinds(), balance__lt=0)
    return [
        Violation(
            "negative-balance",
            f"account {account.pk} ({account})",
            f"balance {account.balance} on an account that must not go negative",
        )
        for account in negative.order_by("pk")
    ]


def no_forbidden_flags() -> list[Violation]:
    """account-flag: no account of a non-negative kind is flagged to allow a negative."""
    flagged = Account.objects.filter(kind__in=_non_negative_kinds(), allow_negative=True)
    return [
        Violation(
            "account-flag",
            f"account {account.pk} ({account})",
            "allows a negative balance although its kind must not",
        )
        for account in flagged
    ]


def currencies_net_to_zero() -> list[Violation]:
    """currency-not-zero: in each currency the balances of all accounts sum to zero."""
    totals = (
        Account.objects.values("currency")
        .annotate(total=Sum("balance"))
        .exclude(total=0)
        .order_by("currency")
    )
    return [
        Violation(
            "currency-not-zero",
            row["currency"],
            f"balances of all accounts sum to {row['total']:+d}",
        )
        for row in totals
    ]


# In the order `zhifu ledger check` reports them.
CHECKS: tuple[Callable[[], list[Violation]], ...] = (
    entries_balance,
    entries_complete,
    posting_currencies,
    balances_match_postings,
    newest_balance_after,
    no_forbidden_negatives,
    no_forbidden_flags,
    currencies_net_to_zero,
)


def run_all() -> list[Violation]:
    """Every invariant's violations, check by check."""
    return [violation for check in CHECKS for violation in check()]
