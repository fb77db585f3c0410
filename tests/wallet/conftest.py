import importlib
from collections.abc import Iterator
from typing import Any

import pytest

from zhifu.accounts import csp
from zhifu.merchants import services as merchants


@pytest.fixture(autouse=True)
def _csp_origins_fresh() -> Iterator[None]:
    """A test's platforms are rolled back without a signal: forget the origins they left in
    the process's CSP cache (zhifu.accounts.csp)."""
    csp.forget()
    yield
    csp.forget()


@pytest.fixture(autouse=True)
def _api_keys_fresh() -> Iterator[None]:
    """Likewise the keys the merchant API read (zhifu.merchants.services caches them)."""
    merchants.forget_cached_keys()
    yield
    merchants.forget_cached_keys()


@pytest.fixture(autouse=True, scope="session")
def _sqlite_flush_purges_the_security_log() -> Iterator[None]:
    """Between transactional tests Django empties every table with DELETE on SQLite, which
    the append-only security log refuses (migration security 0002): the flush lifts the
    trigger around it, as PostgreSQL's flush (TRUNCATE) passes its trigger."""
    from django.db import connection

    if connection.vendor != "sqlite":
        yield
        return
    operations = type(connection.ops)
    trigger = importlib.import_module("zhifu.security.migrations.0002_sqlite_refuses_delete")
    original = operations.sql_flush

    def sql_flush(self: Any, style: Any, tables: Any, **kwargs: Any) -> list[str]:
        statements = original(self, style, tables, **kwargs)
        if "security_securityevent" not in tables:
            return statements
        return [trigger.DROP, *statements, trigger.CREATE]

    operations.sql_flush = sql_flush  # type: ignore[method-assign]
    yield
    operations.sql_flush = original  # type: ignore[method-assign]


@pytest.fixture(autouse=True)
def _no_language_left_active() -> Iterator[None]:
    """A test that activates a language (a view's LocaleMiddleware, translation.activate)
    must not leave it to the next one on the same worker: messages read in English would
    come out in Russian depending on the order the tests ran in."""
    from django.utils import translation

    yield
    translation.deactivate()
