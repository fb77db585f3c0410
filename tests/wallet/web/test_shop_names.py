"""The demo shop's name has no English word on a Russian wallet page or e-mail: «через
магазин zhifu», never «через zhifu shop»; other shops' names stay as registered."""

from __future__ import annotations

from django.template import Context, Template
from django.utils import translation
from django.utils.html import strip_tags

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


def test_the_header_says_the_same_with_the_shops_link_and_without() -> None:
    """Signed in, the header links the shop's home; signed out (the home page's choice of
    shops) it does not: the words are the same, «через магазин zhifu»."""
    linked = Template(
        "{% load i18n shop_names %}{% blocktranslate with shop=name|shop_name home=home %}"
        'via <a href="{{ home }}">{{ shop }}</a>{% endblocktranslate %}'
    )
    plain = Template(
        "{% load i18n shop_names %}{% blocktranslate with shop=name|shop_name %}"
        "via {{ shop }}{% endblocktranslate %}"
    )
    context = {"name": "zhifu shop", "home": "http://127.0.0.1:8001/"}
    for language, words in (("ru", "через магазин zhifu"), ("en", "via zhifu shop")):
        with translation.override(language):
            assert strip_tags(linked.render(Context(context))) == words
            assert plain.render(Context(context)) == words


def test_an_e_mail_names_the_shop_in_the_buyer_s_language() -> None:
    subject, body = notifications.render("platform_connected", "ru", {"shop": "zhifu shop"})
    assert subject == "Магазин zhifu подключён к вашему кошельку zhifu"
    assert "zhifu shop" not in body
    assert english_words(subject) == []
