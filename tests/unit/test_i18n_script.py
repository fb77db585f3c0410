"""scripts/i18n.py keeps the three-form Russian plural header whatever wrote the catalogue."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path
from types import ModuleType

from babel.messages.pofile import read_po

ROOT = Path(__file__).resolve().parents[2]

DJANGO_HEADER = (
    '"Plural-Forms: nplurals=4; plural=(n%10==1 && n%100!=11 ? 0 : n%10>=2 && "\n'
    '"n%10<=4 && (n%100<12 || n%100>14) ? 1 : n%10==0 || (n%10>=5 && n%10<=9) || "\n'
    '"(n%100>=11 && n%100<=14)? 2 : 3);\\n"\n'
)
CATALOGUE = (
    'msgid ""\nmsgstr ""\n"Language: ru\\n"\n"Content-Type: text/plain; charset=UTF-8\\n"\n'
    "{header}"
    '\n#, python-format\nmsgid "%(n)s item"\nmsgid_plural "%(n)s items"\n'
    'msgstr[0] "%(n)s товар"\nmsgstr[1] "%(n)s товара"\n{rest}\n'
    'msgid "Cart"\nmsgstr "Корзина"\n'
)


def _script() -> ModuleType:
    spec = importlib.util.spec_from_file_location("i18n_script", ROOT / "scripts" / "i18n.py")
    assert spec
    assert spec.loader
    module = importlib.util.module_from_spec(spec)
    sys.modules["i18n_script"] = module
    spec.loader.exec_module(module)
    return module


def _read(po: Path):  # type: ignore[no-untyped-def]
    with po.open("rb") as fh:
        return read_po(fh)


def test_django_s_four_form_header_becomes_three_forms_and_the_fourth_form_goes(
    tmp_path: Path,
) -> None:
    po = tmp_path / "django.po"
    rest = 'msgstr[2] "%(n)s товаров"\nmsgstr[3] ""\n"%(n)s товара"\n'
    po.write_text(CATALOGUE.format(header=DJANGO_HEADER, rest=rest), encoding="utf-8")
    script = _script()
    script.keep_plural_forms(po)
    catalog = _read(po)
    assert catalog.plural_forms == script.RU_PLURAL_FORMS
    item = next(m for m in catalog if m.id and isinstance(m.id, tuple))
    assert item.string == ("%(n)s товар", "%(n)s товара", "%(n)s товаров")
    assert catalog["Cart"].string == "Корзина"


def test_a_missing_form_is_added_empty_so_missing_reports_it(tmp_path: Path) -> None:
    po = tmp_path / "django.po"
    header = '"Plural-Forms: nplurals=2; plural=(n != 1);\\n"\n'
    po.write_text(CATALOGUE.format(header=header, rest=""), encoding="utf-8")
    _script().keep_plural_forms(po)
    item = next(m for m in _read(po) if m.id and isinstance(m.id, tuple))
    assert item.string == ("%(n)s товар", "%(n)s товара", "")


def test_a_right_header_is_left_as_it_is_wrapped(tmp_path: Path) -> None:
    po = tmp_path / "django.po"
    header = (
        '"Plural-Forms: nplurals=3; plural=(n%10==1 && n%100!=11 ? 0 : n%10>=2 && "\n'
        '"n%10<=4 && (n%100<10 || n%100>=20) ? 1 : 2);\\n"\n'
    )
    text = CATALOGUE.format(header=header, rest='msgstr[2] "%(n)s товаров"\n')
    po.write_text(text, encoding="utf-8")
    _script().keep_plural_forms(po)
    assert po.read_text(encoding="utf-8") == text
