"""SQLite refuses DELETE from the security log too, as PostgreSQL does since 0001: the
audit log is append-only on both databases. A deliberate purge (what TRUNCATE is on
PostgreSQL) drops the trigger, deletes and creates it again; the tests' flush between
transactional tests does just that (tests/wallet/conftest.py)."""

from typing import Any

from django.db import migrations

TRIGGER = "security_event_no_delete"
CREATE = f"""CREATE TRIGGER {TRIGGER} BEFORE DELETE ON security_securityevent
    BEGIN SELECT RAISE(ABORT, 'the security log is append-only'); END"""
DROP = f"DROP TRIGGER IF EXISTS {TRIGGER}"


def refuse_delete(apps: Any, schema_editor: Any) -> None:
    if schema_editor.connection.vendor == "sqlite":
        schema_editor.execute(CREATE)


def allow_delete(apps: Any, schema_editor: Any) -> None:
    if schema_editor.connection.vendor == "sqlite":
        schema_editor.execute(DROP)


class Migration(migrations.Migration):
    dependencies = [("security", "0001_initial")]

    operations = [migrations.RunPython(refuse_delete, allow_delete)]
