from __future__ import annotations

from django.apps import apps
from django.db import models


def test_no_model_stores_anything_in_a_float_column() -> None:
    """Money is integer minor units; floats have no place in any table (SECURITY.md row 5)."""
    floats = [
        f"{model._meta.label}.{field.name}"
        for model in apps.get_models()
        for field in model._meta.get_fields()
        if isinstance(field, models.FloatField)
    ]
    assert floats == []
