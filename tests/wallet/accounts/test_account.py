"""The account page: balance notice, cards link, security section; the demo seed."""

from __future__ import annotations

import pytest
from django.test import Client
from django.utils import translation

from tests.wallet.accounts.support import registered_buyer, sign_in
from zhifu.accounts.models import Platform
from zhifu.accounts.seed import DEMO_PLATFORM, seed

pytestmark = pytest.mark.django_db


def test_balance_notice_when_the_balance_is_off(client: Client, platform: Platform) -> None:
    sign_in(client, registered_buyer(), platform)
    html = client.get("/account/").content.decode()
    assert (
        "The balance cannot be used: top-ups and payments from the balance are switched off."
        in html
    )


def test_balance_notice_in_russian(client: Client, platform: Platform) -> None:
    sign_in(client, registered_buyer(), platform)
    html = client.get("/account/", HTTP_ACCEPT_LANGUAGE="ru").content.decode()
    assert "Баланс недоступен: пополнение и оплата с баланса отключены." in html  # noqa: RUF001
    assert "Банковские карты" in html


def test_balances_shown_when_the_platform_switches_the_balance_on(
    client: Client, platform: Platform
) -> None:
    platform.balance_enabled = True
    platform.save()
    sign_in(client, registered_buyer(), platform)
    html = client.get("/account/").content.decode()
    assert "No balance yet." in html
    assert "cannot be used" not in html


def test_account_links_to_cards_and_security(client: Client, platform: Platform) -> None:
    sign_in(client, registered_buyer(), platform)
    html = client.get("/account/").content.decode()
    assert 'href="/cards/"' in html
    assert "Bank cards" in html
    assert 'href="/account/payment-password/"' in html
    assert 'href="/account/security-questions/"' in html
    assert 'href="/recovery/"' in html
    assert 'href="/recovery/log/"' in html
    # The old URL name, still linked by pages built before recovery, leads to its form.
    old = client.get("/account/forgot-payment-password/")
    assert (old.status_code, old["Location"]) == (302, "/recovery/")


def test_seed_creates_the_demo_platform_once_and_follows_the_shop_url(db: None) -> None:
    from zhifu.config.site import config

    seed()
    seed()
    platform = Platform.objects.get(slug=DEMO_PLATFORM)
    assert platform.issuer == config().urls["marketplace"] + "/o"
    assert platform.client_id == "zhifu-wallet"
    assert platform.balance_enabled is False
    Platform.objects.filter(pk=platform.pk).update(issuer="http://127.0.0.1:1/o")
    seed()
    assert Platform.objects.get(slug=DEMO_PLATFORM).issuer == config().urls["marketplace"] + "/o"


def test_the_account_page_shows_the_ledger_balance_when_switched_on(
    client: Client, platform: Platform
) -> None:
    from zhifu.accounts import services
    from zhifu.kernel.money import Money
    from zhifu.ledger import services as ledger

    platform.balance_enabled = True
    platform.save()
    buyer = registered_buyer()
    policy = services.balance_policy(platform)
    ledger.top_up(policy, services.balance_owner(buyer), Money(123450, "RUB"), "topup-1")
    ledger.top_up(policy, services.balance_owner(buyer), Money(500, "USD"), "topup-2")
    sign_in(client, buyer, platform)
    html = client.get("/account/", HTTP_ACCEPT_LANGUAGE="ru").content.decode()
    assert "1\xa0234,50\xa0₽" in html
    assert "5\xa0$" in html
    assert "No balance yet." not in html


def test_with_the_balance_off_a_top_up_is_refused_with_the_notice(platform: Platform) -> None:
    from zhifu.accounts import services
    from zhifu.kernel.money import Money
    from zhifu.ledger import errors as ledger_errors
    from zhifu.ledger import services as ledger

    buyer = registered_buyer()
    with pytest.raises(ledger_errors.BalanceDisabled) as refused:
        ledger.top_up(
            services.balance_policy(platform),
            services.balance_owner(buyer),
            Money(100, "USD"),
            "topup-off",
        )
    with translation.override("en"):
        assert "The balance cannot be used" in str(refused.value)
    with translation.override("ru"):
        assert str(refused.value).startswith("Баланс недоступен")
