"""Translations (English is the source language; Russian is kept complete).

  python scripts/i18n.py make [APP ...]     refresh the ru catalogues from the source strings
  python scripts/i18n.py fill APP FILE.json set ru strings from {"English": "Русский"}
  python scripts/i18n.py missing            list untranslated strings (exit 1 if any)
  python scripts/i18n.py compile            write the .mo files (committed, so zhifu runs
                                            without gettext)

Each app keeps its own catalogue in src/zhifu/<app>/locale/, so areas never edit one file.
Every step keeps the gettext Russian plural header (three forms: one, few, many): Django's
makemessages copies a four-form header from Django's own catalogue, and a catalogue that
declares fewer forms than its formula yields prints English for "5 товаров".
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PKG = ROOT / "src" / "zhifu"
LANGUAGES = ["ru"]  # English is the source language

# The GNU gettext formula for Russian: 0 = one (1, 21), 1 = few (2-4, 22-24), 2 = many.
RU_PLURAL_FORMS = (
    "nplurals=3; plural=(n%10==1 && n%100!=11 ? 0 : n%10>=2 && n%10<=4 && "
    "(n%100<10 || n%100>=20) ? 1 : 2);"
)
_HEADER = re.compile(r'^"Plural-Forms:(?:[^"\\]|\\.)*"\n(?:"(?:[^"\\]|\\.)*"\n)*?(?<=\\n"\n)', re.M)
_EXTRA_FORM = re.compile(r'^msgstr\[[3-9]\] .*\n(?:".*\n)*', re.M)
_ONLY_TWO = re.compile(r'^(msgstr\[1\] .*\n(?:".*\n)*+)(?!msgstr\[2\])', re.M)


def apps_with_locale() -> list[Path]:
    return sorted(p.parent for p in PKG.glob("*/locale") if p.is_dir())


def make(apps: list[Path]) -> None:
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "tests.settings.typecheck",
           "PYTHONPATH": str(ROOT)}  # fmt: skip
    for app in apps:
        for lang in LANGUAGES:
            subprocess.run(
                [sys.executable, "-m", "django", "makemessages", "-l", lang, "--no-location",
                 "--no-obsolete", "-e", "html,txt,py"],
                cwd=app, env=env, check=True,
            )  # fmt: skip


def keep_plural_forms(po: Path) -> None:
    """Give the catalogue the three-form Russian header and every plural message exactly
    three forms (a missing one is left empty for `missing` to report), editing only those
    lines so the catalogue's other text (and a merge of it) stays as it was."""
    text = po.read_text(encoding="utf-8")
    header = f'"Plural-Forms: {RU_PLURAL_FORMS}\\n"\n'
    found = _HEADER.search(text)
    if found is None:
        fixed = text.replace('"Content-Type:', header + '"Content-Type:', 1)
    elif (
        "".join(re.findall(r'^"(.*)"$', found.group(0), re.M))
        != f"Plural-Forms: {RU_PLURAL_FORMS}\\n"
    ):
        fixed = text[: found.start()] + header + text[found.end() :]
    else:
        fixed = text  # right already, however it is wrapped
    fixed = _ONLY_TWO.sub(lambda m: m.group(1) + 'msgstr[2] ""\n', _EXTRA_FORM.sub("", fixed))
    if fixed != text:
        po.write_text(fixed, encoding="utf-8")


def compile_all(apps: list[Path]) -> None:
    for app in apps:
        for po in (app / "locale").glob("*/LC_MESSAGES/*.po"):
            keep_plural_forms(po)
            subprocess.run(["msgfmt", "--check-format", "-o", str(po.with_suffix(".mo")), str(po)],
                           check=True)  # fmt: skip


def _po(app: Path) -> Path:
    return app / "locale" / "ru" / "LC_MESSAGES" / "django.po"


def fill(app: Path, mapping: dict[str, str]) -> None:
    from babel import Locale
    from babel.messages.pofile import read_po, write_po

    with _po(app).open("rb") as fh:
        catalog = read_po(fh)
    catalog.locale = Locale.parse("ru")  # keeps Language in the header
    catalog.fuzzy = False
    for message in catalog:
        key = message.id if isinstance(message.id, str) else message.id[0]
        if message.id and key in mapping:
            value = mapping[key]
            message.string = value if isinstance(message.id, str) else tuple(value)
            message.flags.discard("fuzzy")
    with _po(app).open("wb") as fh:
        write_po(fh, catalog, width=100)
    keep_plural_forms(_po(app))


def missing(apps: list[Path]) -> int:
    from babel.messages.pofile import read_po

    count = 0
    for app in apps:
        with _po(app).open("rb") as fh:
            catalog = read_po(fh)
        for message in catalog:
            strings = message.string if isinstance(message.string, tuple) else (message.string,)
            if message.id and (not all(strings) or message.fuzzy):
                count += 1
                print(f"{app.name}: {message.id!r}")
    return count


if __name__ == "__main__":
    action = sys.argv[1] if len(sys.argv) > 1 else "compile"
    if action == "fill":
        import json

        fill(PKG / sys.argv[2], json.loads(Path(sys.argv[3]).read_text()))
        compile_all([PKG / sys.argv[2]])
        sys.exit(0)
    chosen = [PKG / a for a in sys.argv[2:]] or apps_with_locale()
    if action == "missing":
        sys.exit(1 if missing(chosen) else 0)
    if action == "make":
        for app in chosen:
            (app / "locale").mkdir(exist_ok=True)
        make(chosen)
    compile_all(chosen)  # keeps the plural header of what make wrote
