"""Ledger use cases: post balanced entries, reverse them, read balances and statements,
and verify every invariant.

Concurrency
-----------
Every posting runs in one transaction that

1. inserts the entry first: its reference is UNIQUE, so a second attempt at the same
   business event waits for the first and then fails (DuplicateReference) before it
   touches any account;
2. locks the account rows it will change with SELECT ... FOR UPDATE, **always in
   ascending id order**, so two entries touching the same accounts can never deadlock
   (SQLite has no row locks: its single writer, taken at BEGIN IMMEDIATE, serialises
   writers instead);
3. checks the new balances (accounts that must never go negative are refused with
   InsufficientFunds) and writes them with the postings.

On PostgreSQL the three steps are one statement, the stored function ``ledger_post``
(migrations 0004 and 0005, called by :mod:`zhifu.ledger.pg_posting`): one round trip per entry, and
outside a caller's transaction it commits by itself, so the rows stay locked only while the
server runs it. SQLite keeps the same steps in the ORM (``_insert_entry`` and ``_apply``).

The stored balance is therefore always the sum of the account's postings, and reading a
balance is one indexed row (a few rows for a sharded account) whatever the history length.
Deadlock or serialization failures, should the database still report one, are retried a
few times when the service owns the transaction, so they never reach the caller.
"""

from __future__ import annotations

import csv
import datetime as dt
import random
from collections import defaultdict
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import IO, Any

from django.db import IntegrityError, connection, transaction
from django.db.models import (
    BigIntegerField,
    Case,
    Count,
    Q,
    Sum,
    Value,
    When,
)

from zhifu.db import run_in_transaction, run_one_statement, violates_unique_field
from zhifu.kernel import clock
from zhifu.kernel.money import Money
from zhifu.ledger import checks, domain, errors, pg_posting
from zhifu.ledger.domain import AccountKind, AccountRef, Cursor, Leg, Violation
from zhifu.ledger.models import Account, Entry, Posting

_rng = random.SystemRandom()  # which shard of a hot account takes a credit


# --- results ----------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class PostedEntry:
    id: int
    reference: str
    kind: str
    posted_at: dt.datetime
    postings: tuple[tuple[int, int, str], ...]  # (account id, amount, currency)


@dataclass(frozen=True, slots=True)
class StatementLine:
    posting_id: int
    posted_at: dt.datetime
    reference: str
    entry_kind: str
    description: str
    amount: Money
    balance_after: Money | None  # None for sharded accounts (each shard has its own)


@dataclass(frozen=True, slots=True)
class StatementPage:
    lines: list[StatementLine]
    next_cursor: str | None


@dataclass(frozen=True, slots=True)
class ReportRow:
    currency: str
    kind: str
    accounts: int
    total: Money


@dataclass
class _Plan:
    postings: list[tuple[int, int]] = field(default_factory=list)  # (account id, amount)


# --- accounts ---------------------------------------------------------------------------


def _ref_q(ref: AccountRef) -> Q:
    return Q(owner=ref.owner, kind=ref.kind.value, currency=ref.currency)


def ensure_accounts(refs: Sequence[AccountRef]) -> dict[AccountRef, list[Account]]:
    """The rows (every shard) of each logical account, created on first use."""
    wanted = list(dict.fromkeys(refs))
    found = _load_accounts(wanted)
    # A logical account is complete when it has all the shards its rows declare (the
    # default count for its kind when it is new; an operator may split it further).
    missing = [
        ref for ref in wanted if not found.get(ref) or len(found[ref]) < found[ref][0].shards
    ]
    if missing:
        rows = []
        for ref in missing:
            shards = found[ref][0].shards if found.get(ref) else domain.default_shards(ref.kind)
            rows += [
                Account(
                    owner=ref.owner,
                    kind=ref.kind.value,
                    currency=ref.currency,
                    shard=shard,
                    shards=shards,
                    allow_negative=domain.allows_negative(ref.kind),
                )
                for shard in range(shards)
            ]
        with transaction.atomic():
            Account.objects.bulk_create(rows, ignore_conflicts=True)
        found = _load_accounts(wanted)
    return found


def open_account(ref: AccountRef, *, shards: int | None = None) -> list[Account]:
    """Create a logical account with `shards` rows (default: its kind's count).

    Idempotent; an existing account keeps the shard count it was opened with.
    """
    count = shards if shards is not None else domain.default_shards(ref.kind)
    if not 1 <= count <= 64:
        raise domain.LedgerRuleError("an account has 1-64 shards")
    existing = _load_accounts([ref]).get(ref)
    if not existing:
        rows = [
            Account(
                owner=ref.owner,
                kind=ref.kind.value,
                currency=ref.currency,
                shard=shard,
                shards=count,
                allow_negative=domain.allows_negative(ref.kind),
            )
            for shard in range(count)
        ]
        with transaction.atomic():
            Account.objects.bulk_create(rows, ignore_conflicts=True)
    return ensure_accounts([ref])[ref]


def _load_accounts(refs: Sequence[AccountRef]) -> dict[AccountRef, list[Account]]:
    query = Q()
    for ref in refs:
        query |= _ref_q(ref)
    found: dict[AccountRef, list[Account]] = defaultdict(list)
    for row in Account.objects.filter(query).order_by("shard"):
        found[AccountRef(row.owner, AccountKind(row.kind), row.currency)].append(row)
    return found


def balance(ref: AccountRef) -> Money:
    """The balance of a logical account: one row, or the sum of its shards. O(1)."""
    total = Account.objects.filter(_ref_q(ref)).aggregate(total=Sum("balance"))["total"]
    return Money(int(total or 0), ref.currency)


def balances(refs: Sequence[AccountRef]) -> dict[AccountRef, Money]:
    """Balances of several logical accounts in one query (missing accounts read 0)."""
    result = {ref: Money.zero(ref.currency) for ref in refs}
    if not refs:
        return result
    query = Q()
    for ref in refs:
        query |= _ref_q(ref)
    rows = (
        Account.objects.filter(query)
        .values("owner", "kind", "currency")
        .annotate(total=Sum("balance"))
    )
    for row in rows:
        ref = AccountRef(row["owner"], AccountKind(row["kind"]), row["currency"])
        result[ref] = Money(int(row["total"]), ref.currency)
    return result


# --- posting ----------------------------------------------------------------------------


def _insert_entry(**fields: Any) -> Entry:
    """Insert the entry first: a duplicate reference fails here, before any lock is taken.

    No savepoint: the failure aborts the transaction the caller is in (run_in_transaction
    gives nested callers a savepoint of their own), and the error names the constraint.
    """
    try:
        return Entry.objects.create(**fields)
    except IntegrityError as exc:
        if violates_unique_field(exc, Entry, "reference"):
            raise errors.DuplicateReference(reference=fields["reference"]) from None
        raise errors.NotReversible() from None  # the one-to-one on `reverses`


def _apply(
    entry: Entry, lock_ids: Sequence[int], plan: Callable[[dict[int, Account]], _Plan]
) -> PostedEntry:
    """Lock the rows (ascending id), let `plan` choose postings, check and write them."""
    # SQLite has no row locks and Django drops FOR UPDATE there (its one writer serialises).
    locked = Account.objects.filter(pk__in=sorted(set(lock_ids))).order_by("pk").select_for_update()
    rows = {row.pk: row for row in locked}
    postings = [(account_id, amount) for account_id, amount in plan(rows).postings if amount]
    if not postings:
        raise domain.LedgerRuleError("the entry moves no money")
    delta: dict[int, int] = defaultdict(int)
    sums: dict[str, int] = defaultdict(int)
    for account_id, amount in postings:
        delta[account_id] += amount
        sums[rows[account_id].currency] += amount
    unbalanced = {cur: total for cur, total in sums.items() if total}
    if unbalanced:
        raise domain.Unbalanced(unbalanced)
    running: dict[int, int] = {}
    for account_id in sorted(delta):
        row = rows[account_id]
        new_balance = row.balance + delta[account_id]
        if new_balance < 0 and not row.allow_negative:
            raise errors.InsufficientFunds(account=str(row))
        running[account_id] = row.balance
    created = []
    for account_id, amount in postings:
        running[account_id] += amount
        created.append(
            Posting(
                entry=entry,
                account_id=account_id,
                amount=amount,
                currency=rows[account_id].currency,
                balance_after=running[account_id],
                posted_at=entry.posted_at,
            )
        )
    # One UPDATE for every row (fewer round trips while the locks are held).
    Account.objects.filter(pk__in=list(delta)).update(
        balance=Case(
            *(When(pk=account_id, then=Value(running[account_id])) for account_id in delta),
            output_field=BigIntegerField(),
        )
    )
    Posting.objects.bulk_create(created)
    return PostedEntry(
        id=entry.pk,
        reference=entry.reference,
        kind=entry.kind,
        posted_at=entry.posted_at,
        postings=tuple((p.account_id, p.amount, p.currency) for p in created),
    )


def _in_one_statement() -> bool:
    """PostgreSQL posts with its stored function; SQLite (one writer) through the ORM."""
    return connection.vendor == "postgresql"


def _post_in_transaction(
    reference: str,
    kind: str,
    legs: Sequence[Leg],
    *,
    description: str = "",
    metadata: dict[str, Any] | None = None,
    related: Entry | None = None,
    reverses: Entry | None = None,
    accounts: Mapping[AccountRef, list[Account]] | None = None,
) -> PostedEntry:
    net = {ref: amount for ref, amount in domain.net_by_account(legs).items() if amount}
    posted_at = clock.now()
    if _in_one_statement():
        entry_id, postings = pg_posting.post_entry(
            reference,
            kind,
            net,
            description=description[:200],
            metadata=metadata or {},
            related_id=related.pk if related else None,
            reverses_id=reverses.pk if reverses else None,
            posted_at=posted_at,
        )
        return PostedEntry(entry_id, reference, kind, posted_at, postings)
    if accounts is None:
        accounts = ensure_accounts([leg.account for leg in legs])
    lock_ids: list[int] = []
    credit_shard: dict[AccountRef, int] = {}
    for ref, amount in net.items():
        rows = accounts[ref]
        if len(rows) == 1:
            lock_ids.append(rows[0].pk)
        elif amount > 0:
            chosen = rows[domain.choose_shard(len(rows), _rng)].pk
            credit_shard[ref] = chosen
            lock_ids.append(chosen)
        else:
            lock_ids += [row.pk for row in rows]

    def plan(locked: dict[int, Account]) -> _Plan:
        result = _Plan()
        for ref, amount in net.items():
            rows = accounts[ref]
            if len(rows) == 1:
                result.postings.append((rows[0].pk, amount))
            elif amount > 0:
                result.postings.append((credit_shard[ref], amount))
            else:
                shard_balances = [(row.pk, locked[row.pk].balance) for row in rows]
                try:
                    result.postings += domain.plan_debit(shard_balances, -amount)
                except domain.LedgerRuleError:
                    raise errors.InsufficientFunds(account=str(ref)) from None
        return result

    entry = _insert_entry(
        reference=reference,
        kind=kind,
        description=description[:200],
        metadata=metadata or {},
        related=related,
        reverses=reverses,
        posted_at=posted_at,
    )
    return _apply(entry, lock_ids, plan)


def post(
    reference: str,
    kind: str,
    legs: Sequence[Leg],
    *,
    description: str = "",
    metadata: dict[str, Any] | None = None,
) -> PostedEntry:
    """Record one balanced entry, atomically, exactly once per reference.

    Raises Unbalanced / LedgerRuleError for malformed requests (a bug in the caller),
    DuplicateReference if the reference was already posted, InsufficientFunds if an
    account that must not go negative would.
    """
    domain.validate_reference(reference)
    domain.validate_entry(legs)
    if _in_one_statement():
        return run_one_statement(
            lambda: _post_in_transaction(
                reference, kind, legs, description=description, metadata=metadata
            )
        )
    accounts = ensure_accounts([leg.account for leg in legs])
    return run_in_transaction(
        lambda: _post_in_transaction(
            reference, kind, legs, description=description, metadata=metadata, accounts=accounts
        )
    )


def _lock_entry(reference: str) -> Entry:
    entry = Entry.objects.filter(reference=reference).select_for_update().first()
    if entry is None:
        raise errors.EntryNotFound(reference=reference)
    return entry


def _live_followers(entry: Entry) -> list[Entry]:
    return list(entry.followers.filter(reversed_by__isnull=True))


def _is_reversed(entry: Entry) -> bool:
    return Entry.objects.filter(reverses=entry).exists()


def _refuse_if_recorded(reference: str) -> None:
    """A retried event is refused as what it is, already recorded, whatever changed since.

    Called once the entry the new one builds on is locked, so a concurrent duplicate has
    committed by then (or will fail on the unique reference when it inserts). Without it a
    retried refund could read "refund too large" and a retried payout "withdrawal closed",
    telling a client that retries after a timeout that what did happen did not.
    """
    if Entry.objects.filter(reference=reference).exists():
        raise errors.DuplicateReference(reference=reference)


def reverse(reference: str, new_reference: str, *, description: str = "") -> PostedEntry:
    """Undo an entry with a new one that negates each of its postings.

    An entry is reversed at most once (a unique constraint); a reversal itself, or an entry
    that later entries build on (a payment with live refunds, a settled withdrawal), cannot
    be reversed. Reversing may fail with InsufficientFunds (a top-up already spent).
    """
    domain.validate_reference(new_reference)

    def run() -> PostedEntry:
        original = _lock_entry(reference)
        _refuse_if_recorded(new_reference)
        if original.kind == "reversal" or _is_reversed(original) or _live_followers(original):
            raise errors.NotReversible(reference=reference)
        originals = original.postings.values_list(
            "account__owner", "account__kind", "account__currency", "amount"
        )
        legs = domain.reversed_legs(
            [
                Leg(AccountRef(owner, AccountKind(kind), currency), Money(amount, currency))
                for owner, kind, currency, amount in originals
            ]
        )
        return _post_in_transaction(
            new_reference,
            "reversal",
            legs,
            description=description or f"Reversal of {reference}",
            reverses=original,
        )

    return run_in_transaction(run)


# --- stored balance -----------------------------------------------------------------------


def _require(policy: domain.BalancePolicy) -> None:
    if not policy.enabled:
        raise errors.BalanceDisabled()


def _positive(amount: Money) -> None:
    if amount.minor <= 0:
        raise domain.LedgerRuleError("amounts moved by the balance services are positive")


def top_up(
    policy: domain.BalancePolicy,
    owner: str,
    amount: Money,
    reference: str,
    *,
    network: str = "cardnet",
) -> PostedEntry:
    """Credit a buyer's balance with a captured card payment (the network owes us)."""
    _require(policy)
    _positive(amount)
    return post(
        reference,
        "topup",
        [
            Leg(domain.clearing(amount.currency, network), -amount),
            Leg(domain.buyer(owner, amount.currency), amount),
        ],
        description="Top-up by card",
        metadata={"owner": owner, "amount": amount.minor, "currency": amount.currency},
    )


def pay_from_balance(
    policy: domain.BalancePolicy,
    owner: str,
    merchant: str,
    amount: Money,
    reference: str,
    *,
    fee: Money | None = None,
) -> PostedEntry:
    """Pay a merchant from the buyer's balance; the fee, if any, goes to the house."""
    _require(policy)
    _positive(amount)
    fee = fee if fee is not None else Money.zero(amount.currency)
    if fee.minor < 0 or fee.minor > amount.minor:
        raise domain.LedgerRuleError("the fee must lie between zero and the amount")
    legs = [Leg(domain.buyer(owner, amount.currency), -amount)]
    if fee.minor < amount.minor:
        legs.append(Leg(domain.merchant(merchant, amount.currency), amount - fee))
    if fee.minor:
        legs.append(Leg(domain.fees(amount.currency), fee))
    return post(
        reference,
        "payment",
        legs,
        description=f"Payment to {merchant}",
        metadata={
            "owner": owner,
            "merchant": merchant,
            "amount": amount.minor,
            "fee": fee.minor,
            "currency": amount.currency,
        },
    )


def refund_payment(payment_reference: str, amount: Money, reference: str) -> PostedEntry:
    """Return (part of) a balance payment from the merchant to the buyer's balance.

    Refunds of one payment never add up to more than it; the payment's entry row is
    locked while the total is checked, so two concurrent refunds cannot both pass. This is
    not gated by the balance switch: it returns money already taken from the balance.
    """
    _positive(amount)
    domain.validate_reference(reference)

    def run() -> PostedEntry:
        payment = _lock_entry(payment_reference)
        if payment.kind != "payment":
            raise errors.EntryNotFound(reference=payment_reference)
        _refuse_if_recorded(reference)
        meta = payment.metadata
        if meta["currency"] != amount.currency:
            raise domain.LedgerRuleError("a refund is in the currency of its payment")
        if _is_reversed(payment):  # nothing is left of a reversed payment
            raise errors.RefundTooLarge(reference=payment_reference)
        refunded = sum(
            int(follower.metadata.get("amount", 0))
            for follower in _live_followers(payment)
            if follower.kind == "refund"
        )
        if refunded + amount.minor > int(meta["amount"]) - int(meta.get("fee", 0)):
            raise errors.RefundTooLarge(reference=payment_reference)
        legs = [
            Leg(domain.merchant(meta["merchant"], amount.currency), -amount),
            Leg(domain.buyer(meta["owner"], amount.currency), amount),
        ]
        return _post_in_transaction(
            reference,
            "refund",
            legs,
            description=f"Refund of {payment_reference}",
            metadata={"amount": amount.minor, "currency": amount.currency},
            related=payment,
        )

    return run_in_transaction(run)


def withdraw_to_card(
    policy: domain.BalancePolicy, owner: str, amount: Money, reference: str
) -> PostedEntry:
    """Move money from the balance to 'refunds in transit' until the network pays it out."""
    _require(policy)
    _positive(amount)
    return post(
        reference,
        "withdrawal",
        [
            Leg(domain.buyer(owner, amount.currency), -amount),
            Leg(domain.refunds_in_transit(amount.currency), amount),
        ],
        description="Withdrawal to card",
        metadata={"owner": owner, "amount": amount.minor, "currency": amount.currency},
    )


def settle_withdrawal(
    withdrawal_reference: str, reference: str, *, network: str = "cardnet"
) -> PostedEntry:
    """The card network has paid a withdrawal out: clear it from 'refunds in transit'."""
    domain.validate_reference(reference)

    def run() -> PostedEntry:
        withdrawal = _lock_entry(withdrawal_reference)
        _refuse_if_recorded(reference)
        if (
            withdrawal.kind != "withdrawal"
            or _is_reversed(withdrawal)
            or _live_followers(withdrawal)
        ):
            raise errors.WithdrawalClosed(reference=withdrawal_reference)
        amount = Money(int(withdrawal.metadata["amount"]), withdrawal.metadata["currency"])
        legs = [
            Leg(domain.refunds_in_transit(amount.currency), -amount),
            Leg(domain.clearing(amount.currency, network), amount),
        ]
        return _post_in_transaction(
            reference,
            "withdrawal_settled",
            legs,
            description=f"Payout of {withdrawal_reference}",
            related=withdrawal,
        )

    return run_in_transaction(run)


# --- payments: holds, captures, releases, refunds ------------------------------------------
# The postings of docs/payments.md. Each is one entry whose reference is the business
# event's identity ("<payment id>:hold", ...), so settling an event twice fails with
# DuplicateReference instead of moving money twice. ``buyer_owner`` is None for a card
# payment (the money comes from and goes back to the card network's clearing account) and
# the buyer's ledger owner for a balance payment. They run inside the caller's transaction
# when there is one (the payment's state change).


def _source(currency: str, buyer_owner: str | None, network: str) -> AccountRef:
    return (
        domain.buyer(buyer_owner, currency) if buyer_owner else domain.clearing(currency, network)
    )


def hold_payment(
    reference: str,
    amount: Money,
    *,
    buyer_owner: str | None = None,
    network: str = "cardnet",
    policy: domain.BalancePolicy | None = None,
) -> PostedEntry:
    """An authorization: the amount moves to the card holds (from the buyer's balance for
    a balance payment, which needs the platform's balance switched on and enough money:
    InsufficientFunds otherwise)."""
    _positive(amount)
    if buyer_owner is not None:
        _require(policy or domain.BALANCE_OFF)
    return post(
        reference,
        "payment_hold",
        [
            Leg(_source(amount.currency, buyer_owner, network), -amount),
            Leg(domain.card_holds(amount.currency), amount),
        ],
        description="Payment authorized",
    )


def capture_hold(reference: str, merchant: str, amount: Money) -> PostedEntry:
    """A capture: held money becomes the merchant's payable."""
    _positive(amount)
    return post(
        reference,
        "payment_capture",
        [
            Leg(domain.card_holds(amount.currency), -amount),
            Leg(domain.merchant(merchant, amount.currency), amount),
        ],
        description=f"Payment captured for {merchant}"[:200],
    )


def release_hold(
    reference: str, amount: Money, *, buyer_owner: str | None = None, network: str = "cardnet"
) -> PostedEntry:
    """A void, an expiry or the rest of a partial capture: held money goes back."""
    _positive(amount)
    return post(
        reference,
        "payment_release",
        [
            Leg(domain.card_holds(amount.currency), -amount),
            Leg(_source(amount.currency, buyer_owner, network), amount),
        ],
        description="Payment hold released",
    )


def refund_capture(
    reference: str,
    merchant: str,
    amount: Money,
    *,
    buyer_owner: str | None = None,
    network: str = "cardnet",
) -> PostedEntry:
    """A refund of a captured payment: from the merchant's payable back to where it came
    from (InsufficientFunds if the merchant's payable holds less)."""
    _positive(amount)
    return post(
        reference,
        "payment_refund",
        [
            Leg(domain.merchant(merchant, amount.currency), -amount),
            Leg(_source(amount.currency, buyer_owner, network), amount),
        ],
        description=f"Refund by {merchant}"[:200],
    )


# --- statements -----------------------------------------------------------------------------

MAX_PAGE = 500


def statement(
    ref: AccountRef,
    *,
    cursor: str | None = None,
    limit: int = 50,
    since: dt.datetime | None = None,
    until: dt.datetime | None = None,
    kinds: Sequence[str] | None = None,
) -> StatementPage:
    """One page of an account's postings, newest first (keyset pagination).

    `since` is inclusive, `until` exclusive; `kinds` filters by entry kind. The cursor is
    opaque to clients; a malformed one raises ValueError. Pages stay fast at any depth
    because they seek on the (account, posted_at, id) index instead of counting an offset.
    """
    limit = max(1, min(limit, MAX_PAGE))
    rows = list(Account.objects.filter(_ref_q(ref)).values_list("pk", flat=True))
    sharded = len(rows) > 1
    postings = Posting.objects.filter(account_id__in=rows)
    if since is not None:
        postings = postings.filter(posted_at__gte=since)
    if until is not None:
        postings = postings.filter(posted_at__lt=until)
    if kinds:
        postings = postings.filter(entry__kind__in=list(kinds))
    if cursor:
        position = Cursor.decode(cursor)
        postings = postings.filter(
            Q(posted_at__lt=position.posted_at)
            | Q(posted_at=position.posted_at, pk__lt=position.posting_id)
        )
    page = list(postings.select_related("entry").order_by("-posted_at", "-pk")[: limit + 1])
    more = len(page) > limit
    page = page[:limit]
    lines = [
        StatementLine(
            posting_id=p.pk,
            posted_at=p.posted_at,
            reference=p.entry.reference,
            entry_kind=p.entry.kind,
            description=p.entry.description,
            amount=Money(p.amount, p.currency),
            balance_after=None if sharded else Money(p.balance_after, p.currency),
        )
        for p in page
    ]
    next_cursor = Cursor(page[-1].posted_at, page[-1].pk).encode() if more and page else None
    return StatementPage(lines, next_cursor)


def iter_statement(
    ref: AccountRef,
    *,
    since: dt.datetime | None = None,
    until: dt.datetime | None = None,
    kinds: Sequence[str] | None = None,
) -> Iterator[StatementLine]:
    cursor: str | None = None
    while True:
        page = statement(ref, cursor=cursor, limit=MAX_PAGE, since=since, until=until, kinds=kinds)
        yield from page.lines
        if page.next_cursor is None:
            return
        cursor = page.next_cursor


CSV_HEADER = (
    "posted_at", "reference", "kind", "description", "amount", "currency", "balance_after",
)  # fmt: skip


def write_statement_csv(
    out: IO[str],
    ref: AccountRef,
    *,
    since: dt.datetime | None = None,
    until: dt.datetime | None = None,
    kinds: Sequence[str] | None = None,
) -> int:
    """Write the whole (filtered) statement as CSV; return the number of lines written.

    Amounts are exact major-unit strings ("12.30"); free text is guarded against
    spreadsheet formula injection.
    """
    writer = csv.writer(out)
    writer.writerow(CSV_HEADER)
    count = 0
    for line in iter_statement(ref, since=since, until=until, kinds=kinds):
        writer.writerow(
            [
                line.posted_at.isoformat(),
                domain.csv_safe(line.reference),
                line.entry_kind,
                domain.csv_safe(line.description),
                line.amount.amount_str(),
                line.amount.currency,
                "" if line.balance_after is None else line.balance_after.amount_str(),
            ]
        )
        count += 1
    return count


# --- checks and reports -----------------------------------------------------------------------


def check() -> list[Violation]:
    """Verify every invariant of the stored ledger; return the violations (none is good).

    One function per invariant, in :mod:`zhifu.ledger.checks`.
    """
    return checks.run_all()


def report() -> list[ReportRow]:
    """Per currency, per account kind: how many accounts and their total balance."""
    rows = (
        Account.objects.values("currency", "kind")
        .annotate(total=Sum("balance"), accounts=Count("pk"))
        .order_by("currency", "kind")
    )
    return [
        ReportRow(
            currency=row["currency"],
            kind=row["kind"],
            accounts=int(row["accounts"]),
            total=Money(int(row["total"] or 0), row["currency"]),
        )
        for row in rows
    ]
