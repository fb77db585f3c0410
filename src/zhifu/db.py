"""Database helpers every area's use cases share: transactions with retries, and telling
integrity errors apart by the constraint they violated.

Use cases own their transactions (docs/development.md); they open them with
:func:`run_in_transaction` when a deadlock or serialization failure may be retried.
"""

from __future__ import annotations

import random
import re
import time
from collections.abc import Callable
from typing import TypeVar

from django.db import IntegrityError, OperationalError, connection, models, transaction

T = TypeVar("T")

_RETRIES = 5
_RETRY_SQLSTATES = frozenset({"40P01", "40001"})  # deadlock_detected, serialization_failure
_rng = random.SystemRandom()
# SQLite: "UNIQUE constraint failed: ledger_entry.reference" (columns, never a name).
_SQLITE_COLUMNS = re.compile(r"constraint failed: (?P<columns>[\w.]+(?:, [\w.]+)*)")


def _is_retryable(exc: OperationalError) -> bool:
    cause = exc.__cause__
    return getattr(cause, "sqlstate", None) in _RETRY_SQLSTATES


def run_in_transaction(fn: Callable[[], T]) -> T:
    """Run fn in a transaction, retrying deadlock/serialization failures if we own it.

    Inside a caller's transaction there is nothing to retry (the whole outer transaction
    is lost), so the error propagates.
    """
    if connection.in_atomic_block:
        with transaction.atomic():
            return fn()
    return _retrying(lambda: _atomic(fn))


def run_one_statement(fn: Callable[[], T]) -> T:
    """Run fn, which sends the database exactly one statement, as run_in_transaction would.

    Outside a transaction that statement is a transaction of its own (autocommit): no BEGIN
    or COMMIT round trip, and locks are held only while the server runs it. Inside a
    caller's transaction it gets a savepoint, as with run_in_transaction.
    """
    if connection.in_atomic_block or not connection.get_autocommit():
        return run_in_transaction(fn)
    return _retrying(fn)


def _atomic(fn: Callable[[], T]) -> T:
    with transaction.atomic():
        return fn()


def _retrying(fn: Callable[[], T]) -> T:
    for attempt in range(_RETRIES):
        try:
            return fn()
        except OperationalError as exc:
            if not _is_retryable(exc) or attempt == _RETRIES - 1:
                raise
            time.sleep(0.005 * (attempt + 1) * (1 + _rng.random()))
    raise AssertionError("unreachable")  # pragma: no cover


def constraint_name(exc: IntegrityError) -> str | None:
    """What the database calls the constraint ``exc`` violated, or None if it says nothing.

    PostgreSQL names the constraint (psycopg's ``diag.constraint_name``). SQLite names only
    the columns, so for it this is the message's column list, e.g. "ledger_entry.reference".
    """
    diag = getattr(exc.__cause__, "diag", None)
    if diag is not None:
        name: str | None = diag.constraint_name
        return name
    found = _SQLITE_COLUMNS.search(str(exc))
    return found["columns"] if found else None


def violates_unique_field(exc: IntegrityError, model: type[models.Model], field: str) -> bool:
    """Whether ``exc`` is the violation of ``model.field``'s ``unique=True``.

    A unique column's constraint is created inline with the table, so PostgreSQL names it
    "<table>_<column>_key"; SQLite names the column "<table>.<column>".
    """
    table = model._meta.db_table
    column = model._meta.get_field(field).column  # type: ignore[union-attr]
    return constraint_name(exc) in {f"{table}_{column}_key", f"{table}.{column}"}
