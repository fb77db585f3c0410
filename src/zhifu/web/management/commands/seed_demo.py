"""Run this site's demo seeders (settings.ZHIFU_SEEDS), each in its own transaction."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand
from django.db import transaction
from django.utils.module_loading import import_string


class Command(BaseCommand):
    help = "Seed demo data idempotently (nothing is created twice)."

    def handle(self, *args: Any, **options: Any) -> None:
        for path in getattr(settings, "ZHIFU_SEEDS", []):
            with transaction.atomic():
                lines = import_string(path)()
            for line in lines:
                self.stdout.write(line)
