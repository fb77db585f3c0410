"""Translations (English is the source language; Russian is kept complete).

  python scripts/i18n.py make [APP ...]     refresh the ru catalogues from the source strings
  python scripts/i18n.py fill APP FILE.json set ru strings from {"English": "Русский"}
  python scripts/i18n.py missing            list untranslated strings (exit 1 if any)
  python scripts/i18n.py compile            write the .mo files (committed, so zhifu runs
                                            without gettext)

Each app keeps its own catalogue in src/zhifu/<app>/locale/, so areas never edit one file.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PKG = ROOT / "src" / "zhifu"
LANGUAGES = ["ru"]  # English is the source language


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


def compile_all(apps: list[Path]) -> None:
    for app in apps:
        for po in (app / "locale").glob("*/LC_MESSAGES/*.po"):
            subprocess.run(["msgfmt", "--check-format", "-o", str(po.with_suffix(".mo")), str(po)],
                           check=True)  # fmt: skip


def _po(app: Path) -> Path:
    return app / "locale" / "ru" / "LC_MESSAGES" / "django.po"


def fill(app: Path, mapping: dict[str, str]) -> None:
    from babel import Locale
    from babel.messages.pofile import read_po, write_po

    with _po(app).open("rb") as fh:
        catalog = read_po(fh)
    catalog.locale = Locale.parse("ru")  # keeps Language and Plural-Forms in the header
    catalog.fuzzy = False
    for message in catalog:
        key = message.id if isinstance(message.id, str) else message.id[0]
        if message.id and key in mapping:
            value = mapping[key]
            message.string = value if isinstance(message.id, str) else tuple(value)
            message.flags.discard("fuzzy")
    with _po(app).open("wb") as fh:
        write_po(fh, catalog, width=100)


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
    compile_all(chosen)
