"""Database helpers every area's use cases share: transactions with retries, telling
integrity errors apart by the constraint they violated, and hot reads whose SQL is built once.

Use cases own their transactions (docs/development.md); they open them with
:func:`run_in_transaction` when a deadlock or serialization failure may be retried.
"""

from __future__ import annotations

import random
import re
import time
from collections.abc import Callable, Hashable
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

from django.db import IntegrityError, OperationalError, connection, connections, models, transaction
from django.db.models import QuerySet
from django.db.models.query import get_related_populators  # type: ignore[attr-defined]

T = TypeVar("T")
M = TypeVar("M", bound=models.Model)

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


# --- hot reads: the ORM builds the SQL once per process ------------------------------------

_STR_SLOT = "\x00zhifu-slot-{}\x00"
_INT_SLOT = -1_999_999_000  # below any id a sequence gives, within 32 bits


@dataclass(frozen=True)
class _Plan:
    model: type[models.Model]
    alias: str
    sql: str
    params: tuple[tuple[int, Any], ...]  # (slot index, or -1 and the fixed value)
    columns: slice  # the model's own columns in the row
    names: tuple[str, ...]  # their attnames
    converters: tuple[tuple[int, tuple[Callable[..., Any], ...], Any], ...]
    related: tuple[Any, ...]  # Django's populators of select_related rows
    for_update: bool


class CompiledQuery(Generic[M]):
    """A SELECT of model rows whose SQL Django's ORM builds once per process, database and
    shape, then sends again with other values.

    Building a queryset's SQL costs the wallet more CPU than a primary-key read costs the
    database (docs/performance.md, "The merchant API"); on the API's hot reads the SQL is
    kept. ``build(*values, **shape)`` makes the queryset, as for the ORM; each value is
    None (no filter: another shape) or a str or int the queryset sends unchanged (an id, a
    foreign key's id, a status); ``shape``'s hashable keywords (the mode, a limit) change
    the SQL. A value of another type (a datetime) runs the queryset itself. The rows are
    what the queryset gives (every concrete field, Django's converters applied, its
    select_related rows made by Django's own populators); no annotations or extra columns.
    """

    MAX_PLANS = 256

    def __init__(self, build: Callable[..., QuerySet[M]]) -> None:
        self.build = build
        self._plans: dict[Hashable, _Plan] = {}

    def fetch(self, *values: Any, **shape: Hashable) -> list[M]:
        if not all(v is None or type(v) in (str, int) for v in values):
            return list(self.build(*values, **shape))
        key = (tuple(None if v is None else type(v) for v in values), *sorted(shape.items()))
        plan = self._plans.get(key)
        if plan is None:
            plan = self._compile(values, shape)
            if len(self._plans) >= self.MAX_PLANS:
                self._plans.clear()
            self._plans[key] = plan
        db = connections[plan.alias]
        if plan.for_update and not db.in_atomic_block:
            raise transaction.TransactionManagementError(
                "select_for_update cannot be used outside of a transaction."
            )
        params = [values[i] if i >= 0 else fixed for i, fixed in plan.params]
        with db.cursor() as cursor:
            cursor.execute(plan.sql, params)
            found = cursor.fetchall()
        model = plan.model
        rows: list[M] = []
        for raw in found:
            row = list(raw)
            for pos, convs, expression in plan.converters:
                value = row[pos]
                for convert in convs:
                    value = convert(value, expression, db)
                row[pos] = value
            obj = model.from_db(plan.alias, plan.names, row[plan.columns])
            for populator in plan.related:
                populator.populate(row, obj)
            rows.append(obj)  # type: ignore[arg-type]
        return rows

    def _compile(self, values: tuple[Any, ...], shape: dict[str, Hashable]) -> _Plan:
        marks = [
            None if v is None else (_STR_SLOT.format(i) if isinstance(v, str) else _INT_SLOT - i)
            for i, v in enumerate(values)
        ]
        queryset = self.build(*marks, **shape)
        query = queryset.query
        if query.annotations or query.extra or query.combinator or query.deferred_loading[0]:
            raise ValueError("a compiled query reads the models' own columns only")
        assert query.model is not None
        alias = queryset.db
        compiler = query.get_compiler(using=alias)
        sql, params = compiler.as_sql()
        where = {m: i for i, m in enumerate(marks) if m is not None}
        slots = tuple((where.get(p, -1) if type(p) in (str, int) else -1, p) for p in params)
        if {i for i, _ in slots if i >= 0} != set(where.values()):
            raise ValueError("a value of the compiled query does not reach its SQL unchanged")
        columns = [col for col, _, _ in compiler.select]
        converters = compiler.get_converters(columns)
        info = compiler.klass_info
        assert info is not None
        own = slice(info["select_fields"][0], info["select_fields"][-1] + 1)
        return _Plan(
            model=query.model,
            alias=alias,
            sql=sql,
            params=tuple((i, None if i >= 0 else p) for i, p in slots),
            columns=own,
            names=tuple(col.target.attname for col in columns[own]),
            converters=tuple((pos, tuple(c), e) for pos, (c, e) in converters.items()),
            related=tuple(get_related_populators(info, compiler.select, alias)),
            for_update=bool(query.select_for_update),
        )
