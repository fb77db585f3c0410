from __future__ import annotations

from tests.checks import float_columns


def test_no_model_stores_anything_in_a_float_column() -> None:
    """Money is integer minor units; floats have no place in any table (docs/security.md SEC-05)."""
    assert float_columns() == []
