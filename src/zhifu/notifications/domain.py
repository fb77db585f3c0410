"""The language an e-mail is written in; free of Django."""

from __future__ import annotations

from collections.abc import Iterable

# The languages every e-mail template is translated into; English is the source.
LANGUAGES = ("ru", "en")
DEFAULT_LANGUAGE = "en"


def language_for(preferences: Iterable[str | None]) -> str:
    """The first preference we write e-mails in, else English.

    Callers list the buyer's own choice first (the locale claim of their shop, e.g. "ru-RU"),
    then the language of the page they were on; only the primary subtag counts.
    """
    for preference in preferences:
        code = (preference or "").strip().lower().replace("_", "-").split("-")[0]
        if code in LANGUAGES:
            return code
    return DEFAULT_LANGUAGE
