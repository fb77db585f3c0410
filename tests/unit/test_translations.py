"""Russian is kept complete, the committed .mo files match their .po sources, and every
plural message takes the right Russian form for 0, 1, 2, 5, 11, 21 and 25."""

from __future__ import annotations

import gettext
from pathlib import Path

import pytest
from babel.messages.mofile import read_mo
from babel.messages.pofile import read_po

from tests.harness.plurals import CATALOGUES, MANY, ONE, SAMPLES, plural_messages, render, ru_form

GNU_RU_PLURAL = (
    "nplurals=3; plural=(n%10==1 && n%100!=11 ? 0 : n%10>=2 && n%10<=4 && "
    "(n%100<10 || n%100>=20) ? 1 : 2);"
)
PLURALS = plural_messages()


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


def _text(context: str | bytes | None) -> str | None:
    """Babel reads a .mo's contexts as bytes, a .po's as text."""
    return context.decode() if isinstance(context, bytes) else context


@pytest.mark.parametrize("po", CATALOGUES, ids=lambda p: p.parts[-5])
def test_the_compiled_catalogue_is_up_to_date(po: Path) -> None:
    mo = po.with_suffix(".mo")
    assert mo.exists(), "run: python scripts/i18n.py compile"
    with po.open("rb") as fh:
        # Keyed with the context too: one msgid may have several (the shop's name).
        source = {(m.context, _key(m.id)): _key(m.string) for m in read_po(fh) if m.id}
    with mo.open("rb") as fh:
        compiled = {(_text(m.context), _key(m.id)): _key(m.string) for m in read_mo(fh) if m.id}
    assert compiled == source, "run: python scripts/i18n.py compile"


@pytest.mark.parametrize("po", CATALOGUES, ids=lambda p: p.parts[-5])
def test_every_catalogue_declares_the_three_russian_plural_forms(po: Path) -> None:
    """Not Django's four-form header (makemessages copies it), not nplurals=2: with fewer
    forms than the formula yields, "5 товаров" falls back to the English plural."""
    with po.open("rb") as fh:
        catalog = read_po(fh)
    assert catalog.plural_forms == GNU_RU_PLURAL
    for message in (m for m in catalog if m.id and isinstance(m.id, tuple | list)):
        assert len(message.string) == 3, message.id
        assert all(message.string), message.id


def test_the_catalogues_hold_plural_messages() -> None:
    assert len(PLURALS) >= 30  # the parametrised checks below must not pass on nothing


@pytest.mark.parametrize("message", PLURALS, ids=str)
def test_a_plural_message_takes_the_right_form_for_each_number(message) -> None:  # type: ignore[no-untyped-def]
    """Read through the compiled catalogue with gettext (what Django's translations
    subclass), so the .mo's header formula picks the form, checked against CLDR's rule."""
    mo = CATALOGUES[[p.parts[-5] for p in CATALOGUES].index(message.app)].with_suffix(".mo")
    with mo.open("rb") as fh:
        compiled = gettext.GNUTranslations(fh)
    for n in SAMPLES:
        if message.context:
            got = compiled.npgettext(message.context, message.singular, message.plural, n)
        else:
            got = compiled.ngettext(message.singular, message.plural, n)
        assert got == message.forms[ru_form(n)], n
        english = message.singular if n == 1 else message.plural
        assert render(got, n) != render(english, n), n


@pytest.mark.parametrize("message", PLURALS, ids=str)
def test_one_and_many_read_differently(message) -> None:  # type: ignore[no-untyped-def]
    """«1 минута» and «5 минут»: a message whose forms for one and many are the same dodges
    the plural (or copies one form into all three)."""
    assert message.forms[ONE] != message.forms[MANY]
