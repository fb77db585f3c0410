"""The payment history on the account and its detail pages: a buyer sees only their own,
with what was refunded of each payment (in part or in full, and what is on its way)."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client

from tests.wallet.accounts.support import registered_buyer, sign_in
from tests.wallet.payments.cashier_support import NEW_CARD, main, new_payment
from zhifu.accounts.models import Platform
from zhifu.connectors.base import DeclineCode, Flow, OutcomeUnknown, Refused
from zhifu.connectors.fake import FakeCardNetwork
from zhifu.payments import services

pytestmark = pytest.mark.django_db(databases=["default", "vault"])


def paid(client: Client, platform: Platform, order: str, number: str = "4242424242424242") -> str:
    payment = new_payment(platform, order=order)
    resp = client.post(f"/pay/{payment.id}/", {**NEW_CARD, "number": number})
    assert resp.status_code == 302, resp.content.decode()
    return payment.id


@pytest.fixture
def anna(client: Client, platform: Platform, network: FakeCardNetwork) -> Any:
    user = registered_buyer("anna@example.com")
    sign_in(client, user, platform)
    return user


def test_the_account_page_links_to_the_history(client: Client, anna: Any) -> None:
    assert 'href="/pay/history/"' in main(client, "/account/")


def test_the_history_lists_shop_amount_status_card_and_date_newest_first(
    client: Client, anna: Any, platform: Platform
) -> None:
    first = paid(client, platform, "order-1", "4242424242424242")
    second = paid(client, platform, "order-2", "5555555555554444")
    html = main(client, "/pay/history/")
    assert html.index(f"/pay/history/{second}/") < html.index(f"/pay/history/{first}/")
    assert "Test shop" in html
    assert "Mastercard ending in 4444" in html
    assert "Visa ending in 4242" in html
    assert "Paid" in html
    assert "RUB\xa01,780.00" in html
    assert "4242424242424242" not in html


def test_the_detail_page_shows_one_payment(client: Client, anna: Any, platform: Platform) -> None:
    payment_id = paid(client, platform, "order-9")
    html = main(client, f"/pay/history/{payment_id}/")
    assert "order-9" in html
    assert "Tea and a teapot" in html
    assert payment_id in html
    assert "Visa ending in 4242" in html


def test_a_buyer_sees_none_of_another_buyers_payments(
    client: Client, anna: Any, platform: Platform
) -> None:
    payment_id = paid(client, platform, "order-anna")
    other = Client()
    sign_in(other, registered_buyer("boris@example.com"), platform)
    assert "order-anna" not in main(other, "/pay/history/")
    assert "No payments yet." in main(other, "/pay/history/")
    assert other.get(f"/pay/history/{payment_id}/").status_code == 404
    assert other.get(f"/pay/{payment_id}/receipt/").status_code == 404


def test_the_history_in_russian(client: Client, anna: Any, platform: Platform) -> None:
    paid(client, platform, "order-ru")
    html = main(client, "/pay/history/", headers={"Accept-Language": "ru"})
    assert "История платежей" in html
    assert "Оплачен" in html


def test_the_history_is_for_signed_in_registered_buyers(client: Client) -> None:
    assert client.get("/pay/history/").status_code == 302


def refund(platform: Platform, payment_id: str, amount: int) -> None:
    services.create_refund(platform, payment_id=payment_id, amount=amount)


def test_partial_and_full_refunds_on_the_history_and_the_detail(
    client: Client, anna: Any, platform: Platform
) -> None:
    partly = paid(client, platform, "order-part")
    fully = paid(client, platform, "order-full")
    refund(platform, partly, 30000)
    refund(platform, partly, 20000)
    refund(platform, fully, 178000)
    html = main(client, "/pay/history/")
    assert "Refunded RUB\xa0500.00" in html
    row = html[html.index(f"/pay/history/{fully}/") :]
    assert '<span class="status status-refunded">Refunded</span>' in row[: row.index("</a>")]
    detail = main(client, f"/pay/history/{partly}/")
    assert "Refunded RUB\xa0500.00 of RUB\xa01,780.00 (2 refunds)." in detail
    detail = main(client, f"/pay/history/{fully}/")
    assert "Refunded in full: RUB\xa01,780.00 (1 refund)." in detail
    assert '<span class="status status-refunded">Refunded</span>' in detail
    account = main(client, "/account/")
    assert "Refunded RUB\xa0500.00" in account


def test_refunds_in_russian_with_their_plural_forms(
    client: Client, anna: Any, platform: Platform
) -> None:
    ru = {"headers": {"Accept-Language": "ru"}}
    partly = paid(client, platform, "order-part")
    fully = paid(client, platform, "order-full")
    for amount in (10000, 10000, 10000, 10000, 10000):
        refund(platform, partly, amount)
    refund(platform, fully, 100000)
    refund(platform, fully, 78000)
    html = main(client, "/pay/history/", **ru)
    assert "Возвращено 500\xa0₽" in html
    assert "Возвращён" in html
    detail = main(client, f"/pay/history/{partly}/", **ru)
    assert "Возвращено 500\xa0₽ из 1\xa0780\xa0₽ (5 возвратов)." in detail
    detail = main(client, f"/pay/history/{fully}/", **ru)
    assert "Возвращено полностью: 1\xa0780\xa0₽ (2 возврата)." in detail


def test_a_refund_on_its_way_is_not_counted_as_refunded(
    client: Client, anna: Any, platform: Platform, network: FakeCardNetwork
) -> None:
    payment_id = paid(client, platform, "order-slow")
    [authorization] = list(network._authorizations)
    network.program(Flow.REFUND, authorization, OutcomeUnknown("no answer"))
    refund(platform, payment_id, 178000)
    html = main(client, "/pay/history/")
    assert "Refund of RUB\xa01,780.00 in progress" in html
    assert "status-refunded" not in html
    detail = main(client, f"/pay/history/{payment_id}/")
    assert "Refund of RUB\xa01,780.00 in progress" in detail
    assert "Refunded in full" not in detail


def test_a_refused_refund_shows_nothing_refunded(
    client: Client, anna: Any, platform: Platform, network: FakeCardNetwork
) -> None:
    payment_id = paid(client, platform, "order-refused")
    [authorization] = list(network._authorizations)
    network.program(Flow.REFUND, authorization, Refused(DeclineCode.OTHER))
    refund(platform, payment_id, 1000)
    detail = main(client, f"/pay/history/{payment_id}/")
    assert "Refund" not in detail.split("<main", 1)[-1].split("Back to payment history")[0]
