"""zhifu.db: integrity errors told apart by the constraint they violate, on either database."""

from __future__ import annotations

import pytest
from django.db import IntegrityError, transaction

from zhifu.db import constraint_name, violates_unique_field
from zhifu.ledger.models import Entry

pytestmark = pytest.mark.django_db


def _violation(**fields: object) -> IntegrityError:
    with pytest.raises(IntegrityError) as caught, transaction.atomic():
        Entry.objects.create(kind="manual", **fields)
    return caught.value


def test_a_duplicate_reference_is_told_apart_from_a_second_reversal() -> None:
    first = Entry.objects.create(reference="db-1", kind="manual")
    Entry.objects.create(reference="db-1-rev", kind="reversal", reverses=first)

    duplicate = _violation(reference="db-1")
    second_reversal = _violation(reference="db-1-rev-again", reverses=first)

    assert constraint_name(duplicate) in {"ledger_entry_reference_key", "ledger_entry.reference"}
    assert violates_unique_field(duplicate, Entry, "reference")
    assert not violates_unique_field(duplicate, Entry, "reverses")
    assert violates_unique_field(second_reversal, Entry, "reverses")
    assert not violates_unique_field(second_reversal, Entry, "reference")


def test_an_error_naming_no_constraint_has_no_name() -> None:
    assert constraint_name(IntegrityError("something else went wrong")) is None
