"""Database helpers every area's use cases share: transactions with retries, telling
integrity errors apart by the constraint they violated, and hot reads whose SQL is built once.

Use cases own their transactions (docs/development.md); they open them with
:func:`run_in_transaction` when a deadlock or serialization failure may be retried.
"""

from __future__ import annotations

import copy
import datetime as dt
import random
import re
import time
from collections.abc import Callable, Hashable
from dataclasses import dataclass
from decimal import Decimal
from typing import Any, Generic, TypeVar

from django.db import (
    DatabaseError,
    IntegrityError,
    OperationalError,
    connection,
    connections,
    models,
    transaction,
)
from django.db.models import NOT_PROVIDED, QuerySet
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


# --- hot writes: the SQL built once, only the changed columns ------------------------------

_IMMUTABLE = (str, int, bool, float, bytes, type(None), dt.datetime, dt.date, Decimal)


def _snapshot(obj: models.Model) -> dict[str, Any]:
    """The values of obj's loaded columns, copied where a value could change in place (a
    JSON field's dict)."""
    values = obj.__dict__
    return {
        f.attname: v if isinstance(v, _IMMUTABLE) else copy.deepcopy(v)
        for f in obj._meta.concrete_fields
        if (v := values.get(f.attname, _ABSENT)) is not _ABSENT
    }


_ABSENT = object()


class Tracked(models.Model):
    """A model whose rows remember the column values they were read or written with, so
    that :func:`save_changes` sends only the columns a step changed."""

    class Meta:
        abstract = True

    @classmethod
    def from_db(cls, db: str | None, field_names: Any, values: Any) -> Any:
        obj = super().from_db(db, field_names, values)
        obj.__dict__["_zhifu_written"] = _snapshot(obj)
        return obj


@dataclass(frozen=True)
class _Write:
    sql: str
    fields: tuple[Any, ...]  # the columns sent, in the SQL's order
    returning: tuple[Any, ...]  # an insert's returned columns (an AutoField's id)
    returning_params: tuple[Any, ...] | None  # None: the id is the cursor's last one


_WRITES: dict[Hashable, _Write] = {}


def _qn(alias: str, name: Any) -> str:
    quoted: str = connections[alias].ops.quote_name(name)
    return quoted


def _update_plan(
    model: type[models.Model], alias: str, names: tuple[str, ...], where: tuple[str, ...]
) -> _Write:
    key = ("update", model, alias, names, where)
    plan = _WRITES.get(key)
    if plan is None:
        opts = model._meta
        fields: tuple[Any, ...] = tuple(opts.get_field(n) for n in names)
        conds: tuple[Any, ...] = tuple(opts.get_field(n) for n in (opts.pk.name, *where))
        if any(hasattr(f, "get_placeholder") for f in fields + conds) or any(
            isinstance(f, models.JSONField) for f in conds
        ):
            raise ValueError("a compiled write sends plain values only")
        sets = ", ".join(f"{_qn(alias, f.column)} = %s" for f in fields)
        tests = " AND ".join(f"{_qn(alias, f.column)} = %s" for f in conds)
        plan = _Write(
            # Identifiers from the model's meta, quoted; every value is a parameter.
            f"UPDATE {_qn(alias, opts.db_table)} SET {sets} WHERE {tests}",  # noqa: S608
            fields + conds,
            (),
            (),
        )
        _WRITES[key] = plan
    return plan


def _insert_plan(model: type[models.Model], alias: str, returning: bool) -> _Write:
    key = ("insert", model, alias, returning)
    plan = _WRITES.get(key)
    if plan is None:
        opts = model._meta
        db = connections[alias]
        fields = tuple(
            f for f in opts.local_concrete_fields if not (returning and f is opts.auto_field)
        )
        if any(hasattr(f, "get_placeholder") or f.db_default is not NOT_PROVIDED for f in fields):
            raise ValueError("a compiled write sends plain values only")
        back = (opts.auto_field,) if returning else ()
        tail, back_params = "", None
        if back and db.features.can_return_columns_from_insert:
            found = db.ops.return_insert_columns(back)
            if found:
                tail, back_params = " " + found[0], tuple(found[1])
        columns = ", ".join(_qn(alias, f.column) for f in fields)
        marks = ", ".join(["%s"] * len(fields))
        plan = _Write(
            f"INSERT INTO {_qn(alias, opts.db_table)} ({columns}) VALUES ({marks}){tail}",  # noqa: S608
            fields,
            back,
            back_params,
        )
        _WRITES[key] = plan
    return plan


def update_where(
    model: type[models.Model],
    pk: Any,
    values: dict[str, Any],
    where: dict[str, Any] | None = None,
    *,
    using: str | None = None,
) -> int:
    """``UPDATE`` one row by primary key, setting ``values`` if the row's columns also equal
    ``where`` (a conditional close): ``QuerySet.filter(pk=..., **where).update(**values)``
    with its SQL built once per model, database and set of columns. Plain values only (no
    expressions); returns the rows updated (0 or 1)."""
    alias = using or router_db(model)
    where = where or {}
    plan = _update_plan(model, alias, tuple(values), tuple(where))
    db = connections[alias]
    params = [
        f.get_db_prep_save(v, db)
        for f, v in zip(plan.fields, (*values.values(), pk, *where.values()), strict=True)
    ]
    with transaction.mark_for_rollback_on_error(alias), db.cursor() as cursor:
        cursor.execute(plan.sql, params)
        count: int = cursor.rowcount
    return count


def router_db(model: type[models.Model]) -> str:
    from django.db import router

    alias: str = router.db_for_write(model)
    return alias


def insert(obj: M) -> M:
    """``obj.save()`` of a new row (``Model.objects.create``), its ``INSERT`` built once per
    model and database; an AutoField's id is read back as Django does. No signals are sent
    (the models written so have no receivers). The row then remembers what it wrote, for
    :func:`save_changes`."""
    model = type(obj)
    opts = model._meta
    alias = obj._state.db or router_db(model)
    returning = opts.auto_field is not None and getattr(obj, opts.auto_field.attname) is None
    plan = _insert_plan(model, alias, returning)
    db = connections[alias]
    params = [f.get_db_prep_save(f.pre_save(obj, True), db) for f in plan.fields]
    with transaction.mark_for_rollback_on_error(alias), db.cursor() as cursor:
        cursor.execute(plan.sql, params)
        if plan.returning:
            if plan.returning_params is not None:
                back = db.ops.fetch_returned_insert_columns(cursor, plan.returning_params)
            else:
                back = (db.ops.last_insert_id(cursor, opts.db_table, opts.pk.column),)
            for field, value in zip(plan.returning, back, strict=True):
                setattr(obj, field.attname, value)
    obj._state.adding = False
    obj._state.db = alias
    obj.__dict__["_zhifu_written"] = _snapshot(obj)
    return obj


def save_changes(obj: Tracked) -> None:
    """``obj.save(update_fields=...)`` with exactly the columns changed since the row was
    read or written (none: no statement), its ``UPDATE`` built once per model, database and
    set of columns. A row not read through the ORM (nothing to compare with) is saved
    whole. Like ``save(update_fields=...)``, a row that is not there raises DatabaseError."""
    before = obj.__dict__.get("_zhifu_written")
    if before is None:
        obj.save()
        obj.__dict__["_zhifu_written"] = _snapshot(obj)
        return
    now = _snapshot(obj)
    changed = {k: v for k, v in now.items() if k not in before or before[k] != v}
    if not changed:
        return
    model = type(obj)
    fields = [model._meta.get_field(k) for k in changed]
    values = {f.name: f.pre_save(obj, False) for f in fields}  # type: ignore[union-attr]
    if not update_where(model, obj.pk, values, using=obj._state.db):
        raise DatabaseError("Save with update_fields did not affect any rows.")
    obj.__dict__["_zhifu_written"] = now
