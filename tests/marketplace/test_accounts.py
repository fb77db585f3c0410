# ruff: noqa: RUF001 - Russian text is what the buyer sees
"""Shop accounts: sign-up, login, lockout, logout, password reset, language."""

from __future__ import annotations

import re
from typing import Any

import pytest
from django.core import mail
from django.test import Client

from tests.marketplace.conftest import PASSWORD, finish_sign_up
from zhifu.config.site import config
from zhifu.marketplace.models import Buyer

pytestmark = pytest.mark.django_db

# 64 characters of Cyrillic (128 bytes of UTF-8): every one of them must count.
LONG_UNICODE = "Съешь же ещё этих мягких французских булок, да выпей чаю! Ёжик-1"
assert len(LONG_UNICODE) == 64


def sign_up(client: Client, **overrides: str) -> object:
    data = {
        "name": "Ivan Sidorov",
        "email": "ivan@example.org",
        "password": "amber-violin-delta-7",
        "locale": "ru",
        **overrides,
    }
    return client.post("/signup/", data)


def test_sign_up_creates_a_signed_in_buyer_with_language_and_subject(client: Client) -> None:
    response = sign_up(client)
    assert response.status_code == 302
    assert response["Location"] == "/signup/sent/"
    assert not Buyer.objects.filter(email="ivan@example.org").exists()  # not before the link
    response = finish_sign_up(client, "ivan@example.org")
    assert response.status_code == 302
    assert response["Location"] == "/"
    buyer = Buyer.objects.get(email="ivan@example.org")
    assert buyer.name == "Ivan Sidorov"
    assert buyer.locale == "ru"
    assert re.fullmatch(r"[0-9a-f]{32}", buyer.public_id)
    assert buyer.check_password("amber-violin-delta-7")
    page = client.get("/orders/")
    assert page.status_code == 200  # signed in
    assert "Добро пожаловать! Аккаунт в магазине создан." in page.content.decode()


def test_sign_up_refuses_a_common_password_and_keeps_the_other_input(client: Client) -> None:
    response = sign_up(client, password="password123")
    assert response.status_code == 200
    html = response.content.decode()
    assert "This password is too common." in html
    assert 'value="ivan@example.org"' in html
    assert 'value="Ivan Sidorov"' in html
    assert "password123" not in html
    assert not Buyer.objects.filter(email="ivan@example.org").exists()


def test_sign_up_refuses_a_short_password_beside_the_field(client: Client) -> None:
    response = sign_up(client, password="k9!x")
    html = response.content.decode()
    assert 'id="id_password_error"' in html
    assert "This password is too short. It must contain at least 8 characters." in html
    assert 'aria-invalid="true"' in html


def test_sign_up_refuses_a_password_like_the_email(client: Client) -> None:
    response = sign_up(client, email="bluefalcon@example.org", password="bluefalcon")
    assert "The password is too similar to the e-mail." in response.content.decode()


def test_sign_up_accepts_a_64_character_unicode_password(client: Client) -> None:
    response = sign_up(client, password=LONG_UNICODE)
    assert response.status_code == 302
    assert finish_sign_up(client, "ivan@example.org").status_code == 302
    buyer = Buyer.objects.get(email="ivan@example.org")
    assert buyer.check_password(LONG_UNICODE)
    assert not buyer.check_password(LONG_UNICODE[:-1])  # the whole password counts


def test_sign_up_refuses_an_absurdly_long_password(client: Client) -> None:
    response = sign_up(client, password="ж" * 257)
    assert "This password is too long. It must contain at most 256 characters." in (
        response.content.decode()
    )


def test_sign_up_with_a_registered_e_mail_tells_its_owner_not_the_page(
    client: Client, buyer: Buyer
) -> None:
    response = sign_up(client, email="OLGA@example.org")
    assert response["Location"] == "/signup/sent/"
    assert Buyer.objects.filter(email="olga@example.org").count() == 1
    (note,) = mail.outbox
    assert note.to == ["olga@example.org"]
    assert "Кто-то пытался" in note.subject  # in the owner's language
    assert "/password-reset/" in note.body


def test_sign_up_ignores_an_off_site_next(client: Client) -> None:
    client.post(
        "/signup/?next=https://evil.example/steal",
        {"name": "Ivan", "email": "ivan@example.org", "password": "amber-violin-delta-7",
         "locale": "en", "next": "https://evil.example/steal"},
    )  # fmt: skip
    assert finish_sign_up(client, "ivan@example.org")["Location"] == "/"


def test_sign_up_page_is_translated(client: Client) -> None:
    client.cookies["zhifu_marketplace_lang"] = "ru"
    html = client.get("/signup/").content.decode()
    assert "Создать аккаунт" in html
    assert "Электронная почта" in html


def test_login_with_the_e_mail_in_any_case(client: Client, buyer: Buyer) -> None:
    response = client.post("/login/", {"username": "Olga@Example.org", "password": PASSWORD})
    assert response.status_code == 302
    assert response["Location"] == "/"
    assert response.cookies["zhifu_marketplace_lang"].value == "ru"


def test_login_with_a_wrong_password_says_so_and_keeps_the_e_mail(
    client: Client, buyer: Buyer
) -> None:
    response = client.post("/login/", {"username": "olga@example.org", "password": "nope-nope"})
    html = response.content.decode()
    assert response.status_code == 200
    assert "The e-mail or password is incorrect." in html
    assert 'value="olga@example.org"' in html
    assert "nope-nope" not in html


def test_login_page_has_the_forgot_password_link(client: Client) -> None:
    assert 'href="/password-reset/">Forgot password?</a>' in client.get("/login/").content.decode()
    client.cookies["zhifu_marketplace_lang"] = "ru"
    assert "Забыли пароль?" in client.get("/login/").content.decode()


def test_five_failures_lock_the_login_out_with_a_message(client: Client, buyer: Buyer) -> None:
    for _ in range(4):
        response = client.post("/login/", {"username": "olga@example.org", "password": "bad-1"})
        assert response.status_code == 200
    response = client.post("/login/", {"username": "olga@example.org", "password": "bad-1"})
    assert response.status_code == 429
    assert "Too many failed attempts" in response.content.decode()
    # Now even the right password is refused, still with the message.
    response = client.post("/login/", {"username": "olga@example.org", "password": PASSWORD})
    assert response.status_code == 429
    html = response.content.decode()
    assert "blocked for 30 minutes" in html
    assert 'value="olga@example.org"' in html  # the e-mail is kept, the password never
    assert PASSWORD not in html
    assert "_auth_user_id" not in client.session


def test_a_locked_out_attempt_is_counted_once(client: Client, buyer: Buyer) -> None:
    from axes.models import AccessAttempt

    for _ in range(6):
        client.post("/login/", {"username": "olga@example.org", "password": "bad-1"})
    assert AccessAttempt.objects.get().failures_since_start == 6


def test_lockout_counts_one_e_mail_however_it_is_typed(client: Client, buyer: Buyer) -> None:
    for variant in ("olga@example.org", "OLGA@example.org", "Olga@example.org", "olga@EXAMPLE.org"):
        client.post("/login/", {"username": variant, "password": "bad-1"})
    response = client.post("/login/", {"username": "olga@example.ORG", "password": "bad-1"})
    assert response.status_code == 429


def test_logout_needs_a_post(signed_in: Client) -> None:
    assert signed_in.get("/logout/").status_code == 405
    signed_in.cookies["zhifu_marketplace_lang"] = "ru"
    response = signed_in.post("/logout/")
    assert response.status_code == 302
    assert "_auth_user_id" not in signed_in.session
    assert "Вы вышли из аккаунта магазина." in signed_in.get("/").content.decode()


def test_password_reset_by_e_mail_link_in_the_buyers_language(client: Client, buyer: Buyer) -> None:
    response = client.post("/password-reset/", {"email": "olga@example.org"})
    assert response["Location"] == "/password-reset/sent/"
    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    assert message.to == ["olga@example.org"]
    assert message.subject == "Магазин zhifu: сброс пароля"  # the buyer's locale is ru
    match = re.search(r"(https?://\S+/password-reset/\S+/\S+/)", str(message.body))
    assert match
    link = match.group(1)
    assert link.startswith(config().urls["marketplace"] + "/")
    path = link.removeprefix(config().urls["marketplace"])
    response = client.get(path, follow=True)
    form_url = response.redirect_chain[-1][0]
    assert "Choose a new password" in response.content.decode()
    new = "silver-otter-canyon-88"
    response = client.post(form_url, {"new_password1": new, "new_password2": new})
    assert response["Location"] == "/password-reset/done/"
    buyer.refresh_from_db()
    assert buyer.check_password(new)
    # The link is single-use.
    assert "This link no longer works" in client.get(path, follow=True).content.decode()


def test_password_reset_for_an_unknown_address_looks_the_same(client: Client) -> None:
    response = client.post("/password-reset/", {"email": "nobody@example.org"})
    assert response["Location"] == "/password-reset/sent/"
    assert mail.outbox == []


def test_password_reset_unlocks_a_locked_out_login(client: Client, buyer: Buyer) -> None:
    for _ in range(5):
        client.post("/login/", {"username": "olga@example.org", "password": "bad-1"})
    client.post("/password-reset/", {"email": "olga@example.org"})
    match = re.search(r"https?://\S+(/password-reset/\S+/\S+/)", str(mail.outbox[0].body))
    assert match
    response = client.get(match.group(1), follow=True)
    new = "silver-otter-canyon-88"
    client.post(response.redirect_chain[-1][0], {"new_password1": new, "new_password2": new})
    response = client.post("/login/", {"username": "olga@example.org", "password": new})
    assert response.status_code == 302


def test_account_menu_has_my_orders_and_my_wallet(client: Client) -> None:
    html = client.get("/").content.decode()
    assert "<summary>My account</summary>" in html
    assert '<a href="/orders/">My orders</a>' in html
    # The wallet's home opens with this shop's sign-in preselected (ZHIFU_SHOP_PLATFORM_SLUG).
    wallet = config().urls["wallet"]
    assert f'<a href="{wallet}/?platform=zhifu-shop">My wallet</a>' in html


def test_my_wallet_preselects_the_slug_the_wallet_registered_the_shop_under(
    client: Client, settings: Any
) -> None:
    import dataclasses

    cfg = config()
    env = cfg.env.model_copy(update={"shop_platform_slug": "second-shop"})
    settings.ZHIFU = dataclasses.replace(cfg, env=env)
    html = client.get("/").content.decode()
    assert f'<a href="{cfg.urls["wallet"]}/?platform=second-shop">My wallet</a>' in html


def test_account_menu_in_russian(signed_in: Client) -> None:
    signed_in.cookies["zhifu_marketplace_lang"] = "ru"
    html = signed_in.get("/").content.decode()
    assert "<summary>Мой аккаунт</summary>" in html
    assert "Мои заказы" in html
    assert f'<a href="{config().urls["wallet"]}/?platform=zhifu-shop">Мой кошелёк</a>' in html
    assert "Выйти" in html


def test_switching_language_is_kept_on_the_account(signed_in: Client, buyer: Buyer) -> None:
    response = signed_in.post("/i18n/setlang/", {"language": "en", "next": "/"})
    assert response.status_code == 302
    buyer.refresh_from_db()
    assert buyer.locale == "en"


def test_settings_change_name_and_language(signed_in: Client, buyer: Buyer) -> None:
    response = signed_in.post("/account/", {"name": "Olga P.", "locale": "en"})
    assert response["Location"] == "/account/"
    buyer.refresh_from_db()
    assert (buyer.name, buyer.locale) == ("Olga P.", "en")
