"""Checks every site's suite runs against its own models (each under its own settings)."""

from __future__ import annotations

from django.apps import apps
from django.db import models


def float_columns() -> list[str]:
    """Model fields stored as floats; money is integer minor units, so there must be none."""
    return [
        f"{model._meta.label}.{field.name}"
        for model in apps.get_models()
        for field in model._meta.get_fields()
        if isinstance(field, models.FloatField)
    ]
