"""Russian plural messages of the catalogues, and which form a number takes.

`ru_form` is written from the CLDR rule, independently of the catalogues' Plural-Forms
formula, so a wrong header (or a four-form one copied from Django) shows up as a mismatch.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from babel.messages.pofile import read_po

PKG = Path(__file__).resolve().parents[2] / "src" / "zhifu"
CATALOGUES = sorted(PKG.glob("*/locale/ru/LC_MESSAGES/django.po"))
# 0 and 5 are "many", 1 and 21 "one", 2 "few", 11 and 25 "many" again (11 is not "one").
SAMPLES = (0, 1, 2, 5, 11, 21, 25)
ONE, FEW, MANY = 0, 1, 2


def ru_form(n: int) -> int:
    """CLDR's Russian cardinal categories for integers: one (1, 21, 101, not 11), few
    (2-4, 22-24, not 12-14), many (everything else)."""
    if n % 10 == 1 and n % 100 != 11:
        return ONE
    if 2 <= n % 10 <= 4 and not 12 <= n % 100 <= 14:
        return FEW
    return MANY


@dataclass(frozen=True)
class PluralMessage:
    app: str
    context: str | None
    singular: str
    plural: str
    forms: tuple[str, ...]

    def __str__(self) -> str:
        return f"{self.app}: {self.singular!r}"


def plural_messages(apps: set[str] | None = None) -> list[PluralMessage]:
    """Every plural message of the ru catalogues (of `apps` only, when given)."""
    found = []
    for po in CATALOGUES:
        app = po.parts[-5]
        if apps is not None and app not in apps:
            continue
        with po.open("rb") as fh:
            catalog = read_po(fh)
        for m in catalog:
            if m.id and isinstance(m.id, tuple | list):
                found.append(
                    PluralMessage(app, m.context, m.id[0], m.id[1], tuple(m.string))
                )  # fmt: skip
    return found


def render(template: str, n: int) -> str:
    """The message with every placeholder given n (the tests only compare forms)."""

    class _All(dict[str, int]):
        def __missing__(self, key: str) -> int:
            return n

    if "%(" in template:
        return template % _All()
    return template % n if "%" in template else template  # Django's own use "%d"


def django_mismatches(apps: set[str]) -> list[str]:
    """Render every plural message of `apps` through Django's own translation machinery in
    Russian (the merged catalogues of the running site) and list each number whose text
    is not the catalogue's form for it; an empty list when Django uses what was compiled."""
    from django.utils import translation

    by_id: dict[tuple[str | None, str], list[PluralMessage]] = {}
    for message in plural_messages(apps):
        by_id.setdefault((message.context, message.singular), []).append(message)
    wrong = []
    with translation.override("ru"):
        for (context, singular), same in by_id.items():
            for n in SAMPLES:
                if context:
                    got = translation.npgettext(context, singular, same[0].plural, n)
                else:
                    got = translation.ngettext(singular, same[0].plural, n)
                # Two apps may share a msgid; Django takes one of them.
                if got not in {m.forms[ru_form(n)] for m in same}:
                    wrong.append(f"{same[0]} n={n}: {got!r}")
    return wrong
