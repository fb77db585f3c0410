"""Test settings: each site's real settings, on SQLite or PostgreSQL (ZHIFU_TEST_DB).

Secrets are demo-generated into a throwaway data directory, never into ./var.
"""

from __future__ import annotations

import os
import tempfile
from typing import Any
from urllib.parse import urlsplit, urlunsplit

DEFAULT_PG = "postgresql://postgres@127.0.0.1:5432/postgres"
DB_PREFIX = "ZHIFU_TEST_DB_PREFIX"


def db_prefix() -> str:
    """The test databases' name prefix: ZHIFU_TEST_DB_PREFIX keeps concurrent runs on one
    server apart."""
    return os.environ.get(DB_PREFIX, "zhifu")


def prepare(site: str, extra_aliases: tuple[str, ...] = ()) -> None:
    os.environ["ZHIFU_DEMO"] = "1"
    if "ZHIFU_DATA_DIR" not in os.environ or not os.environ.get("ZHIFU_TEST_KEEP_DATA_DIR"):
        os.environ["ZHIFU_DATA_DIR"] = tempfile.mkdtemp(prefix=f"zhifu-test-{site}-")
    os.environ.pop("DATABASE_URL", None)
    if os.environ.get("ZHIFU_TEST_DB", "sqlite") == "postgres":
        base = urlsplit(os.environ.get("ZHIFU_TEST_DATABASE_URL") or DEFAULT_PG)
        prefix = db_prefix()
        for alias in (site, *extra_aliases):
            # pytest-django creates test_<name> beside it (test_<name>_gw<N> for each xdist
            # worker) and drops it afterwards.
            url = urlunsplit(base._replace(path=f"/{prefix}_{alias}"))
            os.environ[f"ZHIFU_{alias.upper()}_DATABASE_URL"] = url
    else:
        for alias in (site, *extra_aliases):
            os.environ.pop(f"ZHIFU_{alias.upper()}_DATABASE_URL", None)


def sqlite_test_files(databases: dict[str, dict[str, Any]]) -> None:
    """Test SQLite databases as files (not :memory:), so WAL and the busy timeout apply
    and threads in concurrency tests share one database, as in production. Each xdist worker
    has its own data directory, so its own files.

    On PostgreSQL a commit returns before its WAL reaches the disk (synchronous_commit=off):
    a test database never outlives a crash, and locks, isolation and constraints are the
    same, while the committed tests stop waiting for fsync."""
    for alias, config in databases.items():
        if config["ENGINE"] == "django.db.backends.sqlite3":
            name = os.path.join(os.environ["ZHIFU_DATA_DIR"], f"test_{alias}.db")
            config["TEST"] = {"NAME": name}
        elif config["ENGINE"] == "django.db.backends.postgresql":
            options = config.setdefault("OPTIONS", {})
            options["options"] = f"{options.get('options', '')} -c synchronous_commit=off".strip()


def cheap_hashing(site_settings: dict[str, object]) -> None:
    """Cheap password hashing: the production hashers cost 30-300 ms a hash, and the suite
    hashes thousands of passwords. The production choices stay in PRODUCTION_PASSWORD_HASHERS
    and credentials.hashing's constants, where the stored-hash tests assert them."""
    site_settings["PRODUCTION_PASSWORD_HASHERS"] = site_settings["PASSWORD_HASHERS"]
    site_settings["PASSWORD_HASHERS"] = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    # argon2id's smallest parameters: the encoding stays the production one.
    site_settings["CREDENTIAL_HASH_PARAMETERS"] = {
        "time_cost": 1,
        "memory_cost": 8,
        "parallelism": 1,
    }
