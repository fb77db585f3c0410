"""Password rules of the shop beyond Django's own validators."""

from __future__ import annotations

import unicodedata

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _
from django.utils.translation import ngettext


class MaximumLengthValidator:
    """Accept long passphrases in any script, refuse only absurd lengths.

    NIST SP 800-63B asks verifiers to accept at least 64 characters and all of Unicode.
    The length is counted in code points after NFKC normalisation (what a person sees as
    characters), never in bytes: 64 Cyrillic letters are 128 bytes of UTF-8 and must
    still pass. The whole password is hashed (argon2 has no 72-byte cut-off like bcrypt),
    so every character counts; the upper bound only keeps hashing requests cheap.
    """

    def __init__(self, max_length: int = 256) -> None:
        self.max_length = max_length

    def validate(self, password: str, user: object | None = None) -> None:
        if len(unicodedata.normalize("NFKC", password)) > self.max_length:
            raise ValidationError(
                ngettext(
                    "This password is too long. It must contain at most %(max)d character.",
                    "This password is too long. It must contain at most %(max)d characters.",
                    self.max_length,
                )
                % {"max": self.max_length},
                code="password_too_long",
            )

    def get_help_text(self) -> str:
        return _("Long passphrases in any language are welcome.")
