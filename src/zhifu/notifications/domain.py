"""The language an e-mail is written in and the rules of its freeze link; free of Django."""

from __future__ import annotations

import datetime as dt
import hashlib
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


# "This wasn't me" in a security e-mail: a single-use link, valid this long, without sign-in.
FREEZE_LINK_LIFETIME = dt.timedelta(days=7)
TOKEN_BYTES = 32  # 256 bits, as every e-mailed token (SEC-15 asks at least 128)


def token_digest(token: str) -> str:
    """What is stored of an e-mailed token (decision 0007): its SHA-256."""
    return hashlib.sha256(token.encode()).hexdigest()
