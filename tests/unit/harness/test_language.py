"""The "no English on a Russian page" checker finds English and only English."""

from __future__ import annotations

import pytest

from tests.harness.language import english_words


def test_a_russian_page_with_names_codes_and_amounts_passes() -> None:
    text = (
        "Мой кошелёк · магазин zhifu · Bazaar · EN RU\n"
        "Карта Visa 4242 •••• •••• 4242 сохранена. Mastercard, American Express, UnionPay, "
        "Мир, JCB. Подтверждение 3-D Secure. CVC.\n"
        "Итого: 3 900 ₸, 49 ¥, 890 zł, 10 R$, 5 CA$, 7 A$; курс 1 USD = 78,31 RUB.\n"
        "Письмо отправлено на buyer@example.com, ссылка http://127.0.0.1:8000/confirm/abc "
        "и http://shop.localhost:8001/cart/. Номер операции ver_3f2a9c, заказ A1B2."
    )
    attributes = ["Основное меню", "ММ/ГГ", "Корзина: 5 товаров"]  # noqa: RUF001 (Cyrillic)
    assert english_words(text, attributes) == []


def test_english_words_in_text_and_attributes_are_returned_once_in_order() -> None:
    text = "Оплата отклонена (do not honour). Invalid client_id parameter value. Do not"
    attributes = ["breadcrumb", "MM/YY", "5 items", "breadcrumb"]
    assert english_words(text, attributes) == [
        "do", "not", "honour", "Invalid", "parameter", "value", "Do",
        "breadcrumb", "MM", "YY", "items",
    ]  # fmt: skip


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("через zhifu shop", ["shop"]),  # the shop's name, untranslated
        ("Отправить e-mail", ["e-mail"]),
        ("Don't", ["Don't"]),
        ("Café", ["Café"]),
        ("кошелёк zhifu", []),
    ],
)
def test_words_are_whole_words(text: str, expected: list[str]) -> None:
    assert english_words(text) == expected


def test_the_caller_s_allow_list_is_case_insensitive() -> None:
    assert english_words("Pico и Django", allow=["pico"]) == ["Django"]
