"""The one rule for an e-mail's language (notifications.domain), used by every sender."""

from __future__ import annotations

import pytest

from zhifu.notifications.domain import language_for


@pytest.mark.parametrize(
    ("preferences", "language"),
    [
        (["ru"], "ru"),
        (["ru-RU", "en"], "ru"),
        (["RU_ru"], "ru"),
        (["en-GB", "ru"], "en"),
        (["", "ru"], "ru"),  # no locale claim: the page's language
        ([None, "ru-ru"], "ru"),
        (["de", "ru"], "ru"),  # a language we do not write in: the next preference
        (["de", "fr"], "en"),
        ([], "en"),
    ],
)
def test_the_first_language_we_write_in_else_english(
    preferences: list[str | None], language: str
) -> None:
    assert language_for(preferences) == language
