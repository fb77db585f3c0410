"""The demo shop's name has no English word on a Russian wallet page or e-mail: «через
магазин zhifu», never «через zhifu shop»; other shops' names stay as registered."""

from __future__ import annotations

from django.template import Context, Template
from django.utils import translation

from tests.harness.language import english_words
from zhifu.notifications import services as notifications
from zhifu.web.shop_names import shop_name


def test_the_demo_shop_is_zhifu_in_russian_and_zhifu_shop_in_english() -> None:
    with translation.override("ru"):
        assert shop_name("zhifu shop") == "zhifu"
        assert shop_name("zhifu shop", alone=True) == "Магазин zhifu"
        assert shop_name("Bazaar", alone=True) == "Bazaar"
        assert shop_name("Bazaar") == "Bazaar"
        assert shop_name("") == ""
    with translation.override("en"):
        assert shop_name("zhifu shop") == "zhifu shop"


def test_the_wallet_header_sentence_reads_naturally() -> None:
    template = Template(
        "{% load i18n shop_names %}{% blocktranslate with shop=name|shop_name %}"
        "via {{ shop }}{% endblocktranslate %}"
    )
    with translation.override("ru"):
        assert template.render(Context({"name": "zhifu shop"})) == "через магазин zhifu"
    with translation.override("en"):
        assert template.render(Context({"name": "zhifu shop"})) == "via zhifu shop"


def test_an_e_mail_names_the_shop_in_the_buyer_s_language() -> None:
    subject, body = notifications.render("platform_connected", "ru", {"shop": "zhifu shop"})
    assert subject == "Магазин zhifu подключён к вашему кошельку zhifu"
    assert "zhifu shop" not in body
    assert english_words(subject) == []
