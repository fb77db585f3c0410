"""Database settings: SQLite done properly by default, PostgreSQL via a URL."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import dj_database_url

from zhifu.config.environment import ConfigurationError, Environment, env_name

SQLITE_BUSY_TIMEOUT_S = 20


def database_url(env: Environment, alias_site: str, *, own_site: bool) -> tuple[str, str]:
    """The URL for a site's database and the variable it came from.

    The per-site variable wins; DATABASE_URL applies to the site the process runs.
    """
    field = f"{alias_site}_database_url"
    specific = getattr(env, field)
    if specific:
        return specific, env_name(field)
    if own_site and env.database_url:
        return env.database_url, "DATABASE_URL"
    path = (env.data_dir / f"{alias_site}.sqlite3").resolve()
    return f"sqlite:///{path}", "default"


def database_config(url: str, source: str, conn_max_age: int) -> dict[str, Any]:
    try:
        config: dict[str, Any] = dict(dj_database_url.parse(url))
    except Exception as exc:  # dj-database-url raises several types for bad URLs
        raise ConfigurationError(f"{source}: not a database URL ({exc})") from None
    engine = config.get("ENGINE", "")
    if engine == "django.db.backends.sqlite3":
        name = str(config.get("NAME") or "")
        if not name or name == ":memory:":
            raise ConfigurationError(f"{source}: SQLite needs a file path")
        Path(name).parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        config["OPTIONS"] = {
            # One writer at a time, taken at BEGIN: no "database is locked" upgrades midway.
            "transaction_mode": "IMMEDIATE",
            "timeout": SQLITE_BUSY_TIMEOUT_S,
            "init_command": (
                "PRAGMA journal_mode=WAL;"
                "PRAGMA synchronous=NORMAL;"
                "PRAGMA foreign_keys=ON;"
                f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_S * 1000};"
            ),
        }
        # Kept open as PostgreSQL's are: a new connection per request would repeat the
        # PRAGMAs (journal_mode=WAL takes a lock) on every one.
        config["CONN_MAX_AGE"] = conn_max_age
    elif engine == "django.db.backends.postgresql":
        config["CONN_MAX_AGE"] = conn_max_age
        config["CONN_HEALTH_CHECKS"] = True
        config.setdefault("OPTIONS", {})["connect_timeout"] = 5
    else:
        raise ConfigurationError(f"{source}: unsupported database engine {engine}")
    config["ATOMIC_REQUESTS"] = False  # use cases own their transactions
    return config
