"""Russian is kept complete, and the committed .mo files match their .po sources."""

from __future__ import annotations

from pathlib import Path

import pytest
from babel.messages.mofile import read_mo
from babel.messages.pofile import read_po

PKG = Path(__file__).resolve().parents[2] / "src" / "zhifu"
CATALOGUES = sorted(PKG.glob("*/locale/ru/LC_MESSAGES/django.po"))


def _key(value: object) -> object:
    """Plural messages come as lists or tuples; make them comparable and hashable."""
    return tuple(value) if isinstance(value, list | tuple) else value


def _strings(message_string: object) -> tuple[str, ...]:
    return message_string if isinstance(message_string, tuple) else (str(message_string),)


@pytest.mark.parametrize("po", CATALOGUES, ids=lambda p: p.parts[-5])
def test_every_string_has_a_russian_translation(po: Path) -> None:
    with po.open("rb") as fh:
        catalog = read_po(fh)
    missing = [m.id for m in catalog if m.id and (m.fuzzy or not all(_strings(m.string)))]
    assert missing == []


@pytest.mark.parametrize("po", CATALOGUES, ids=lambda p: p.parts[-5])
def test_the_compiled_catalogue_is_up_to_date(po: Path) -> None:
    mo = po.with_suffix(".mo")
    assert mo.exists(), "run: python scripts/i18n.py compile"
    with po.open("rb") as fh:
        source = {_key(m.id): _key(m.string) for m in read_po(fh) if m.id}
    with mo.open("rb") as fh:
        compiled = {_key(m.id): _key(m.string) for m in read_mo(fh) if m.id}
    assert compiled == source, "run: python scripts/i18n.py compile"


@pytest.mark.parametrize("po", CATALOGUES, ids=lambda p: p.parts[-5])
def test_every_russian_plural_has_the_forms_for_one_few_and_many(po: Path) -> None:
    """With fewer forms, "5 товаров" would fall back to the English plural."""
    with po.open("rb") as fh:
        catalog = read_po(fh)
    plurals = [m for m in catalog if m.id and isinstance(m.id, tuple | list)]
    if plurals:
        assert catalog.num_plurals >= 3
    for message in plurals:
        assert len(message.string) >= 3, message.id
        assert all(message.string), message.id
