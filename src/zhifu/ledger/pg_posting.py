"""Posting on PostgreSQL: one entry in one statement, the stored function `ledger_post`.

The function (migration 0004, its shard choice amended by 0005) inserts the entry, locks the
account rows in ascending id order, chooses the postings and writes them with the new
balances, so an entry costs one round trip and its locks are held only while the server
runs it. What it refuses comes back
as SQLSTATEs of its own, turned here into the ledger's errors (the same refusals the ORM
path of SQLite raises).
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Mapping
from typing import Any

from django.db import DatabaseError, IntegrityError, connection

from zhifu.db import violates_unique_field
from zhifu.ledger import domain, errors
from zhifu.ledger.domain import AccountRef
from zhifu.ledger.models import Entry

_INSUFFICIENT_FUNDS = "ZL001"
_UNBALANCED = "ZL002"
_NO_MONEY_MOVED = "ZL003"

_CALL = (
    "SELECT entry_id, account_ids, amounts, currencies FROM ledger_post("
    "%s, %s, %s, %s::jsonb, %s, %s, %s, "
    "%s::text[], %s::text[], %s::text[], %s::bigint[], %s::integer[], %s::boolean[])"
)

Postings = tuple[tuple[int, int, str], ...]  # (account id, amount, currency)


def post_entry(
    reference: str,
    kind: str,
    net: Mapping[AccountRef, int],
    *,
    description: str,
    metadata: dict[str, Any],
    related_id: int | None,
    reverses_id: int | None,
    posted_at: dt.datetime,
) -> tuple[int, Postings]:
    """Post one entry of `net` (each logical account's change, none zero); return the
    entry's id and its postings. Runs in whatever transaction the connection is in."""
    refs = list(net)
    params = [
        reference,
        kind,
        description,
        json.dumps(metadata),
        related_id,
        reverses_id,
        posted_at,
        [ref.owner for ref in refs],
        [ref.kind.value for ref in refs],
        [ref.currency for ref in refs],
        [net[ref] for ref in refs],
        [domain.default_shards(ref.kind) for ref in refs],
        [domain.allows_negative(ref.kind) for ref in refs],
    ]
    try:
        with connection.cursor() as cursor:
            cursor.execute(_CALL, params)
            entry_id, account_ids, amounts, currencies = cursor.fetchone()
    except IntegrityError as exc:
        if violates_unique_field(exc, Entry, "reference"):
            raise errors.DuplicateReference(reference=reference) from None
        if violates_unique_field(exc, Entry, "reverses"):
            raise errors.NotReversible() from None
        raise
    except DatabaseError as exc:
        _refuse(exc, net)
        raise
    return entry_id, tuple(zip(account_ids, amounts, currencies, strict=True))


def _refuse(exc: DatabaseError, net: Mapping[AccountRef, int]) -> None:
    """Raise the ledger's error for one of the function's own SQLSTATEs (else return)."""
    cause = exc.__cause__
    sqlstate = getattr(cause, "sqlstate", None)
    if sqlstate == _INSUFFICIENT_FUNDS:
        account = getattr(getattr(cause, "diag", None), "message_primary", None)
        raise errors.InsufficientFunds(account=account) from None
    if sqlstate == _UNBALANCED:
        sums: dict[str, int] = {}
        for ref, amount in net.items():
            sums[ref.currency] = sums.get(ref.currency, 0) + amount
        raise domain.Unbalanced({cur: total for cur, total in sums.items() if total}) from None
    if sqlstate == _NO_MONEY_MOVED:
        raise domain.LedgerRuleError("the entry moves no money") from None
