"""A refused sign-in request explains itself in the buyer's language, never in the OAuth
library's English ("Invalid client_id parameter value.")."""

from __future__ import annotations

from types import SimpleNamespace

import pytest
from django.utils import translation

from tests.harness.language import english_words
from zhifu.marketplace.templatetags.shop import oauth_error_text


@pytest.mark.parametrize(
    ("code", "description", "russian"),
    [
        ("invalid_request", "Invalid client_id parameter value.", "не зарегистрирован"),
        ("invalid_request", "Mismatching redirect URI.", "по адресу"),
        ("invalid_request", "Missing response_type parameter.", "не хватает"),
        ("invalid_scope", "", "сведения"),
        ("something_new", "Whatever", "не хватает"),
    ],
)
def test_each_error_has_a_russian_explanation(code: str, description: str, russian: str) -> None:
    error = SimpleNamespace(error=code, description=description)
    with translation.override("ru"):
        text = oauth_error_text(error)
    assert russian in text
    assert english_words(text) == []
