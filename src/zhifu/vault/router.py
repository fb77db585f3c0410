"""Sends the vault's models to their own database alias, and nothing else there."""

from __future__ import annotations

from typing import Any

VAULT_DB = "vault"
APP_LABEL = "vault"


class VaultRouter:
    def db_for_read(self, model: type[Any], **hints: Any) -> str | None:
        return VAULT_DB if model._meta.app_label == APP_LABEL else None

    def db_for_write(self, model: type[Any], **hints: Any) -> str | None:
        return VAULT_DB if model._meta.app_label == APP_LABEL else None

    def allow_relation(self, obj1: Any, obj2: Any, **hints: Any) -> bool | None:
        in_vault = {obj1._meta.app_label == APP_LABEL, obj2._meta.app_label == APP_LABEL}
        return False if in_vault == {True, False} else None

    def allow_migrate(self, db: str, app_label: str, **hints: Any) -> bool | None:
        if app_label == APP_LABEL:
            return db == VAULT_DB
        if db == VAULT_DB:
            return False
        return None
