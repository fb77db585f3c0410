"""The cashier page: who reaches it, what it shows, and paying with each method.

Against the real use cases with the in-memory card network (``settings.ZHIFU_CARD_NETWORK``);
the payment is made the way the merchant API makes it (``services.create_payment``).
"""

from __future__ import annotations

from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
from django.test import Client

from tests.wallet.accounts.support import GOOD_PIN, new_buyer, registered_buyer, sign_in
from tests.wallet.payments.cashier_support import (
    NEW_CARD,
    RETURN_URL,
    field_error,
    link,
    main,
    new_payment,
    save_card,
)
from zhifu.accounts.models import Platform
from zhifu.connectors.base import (
    AuthorizeResult,
    DeclineCode,
    Flow,
    NetworkStatus,
    Refused,
)
from zhifu.connectors.fake import APPROVE, FakeCardNetwork
from zhifu.kernel.money import Money
from zhifu.payments import services
from zhifu.payments.domain import PaymentStatus
from zhifu.vault import services as vault

pytestmark = pytest.mark.django_db(databases=["default", "vault"])


@pytest.fixture
def buyer(client: Client, platform: Platform, network: FakeCardNetwork) -> Any:
    """A registered buyer with two saved cards (the Visa is the default), signed in."""
    user = registered_buyer("anna@example.com")
    save_card(user, "4242424242424242", label="Salary")
    save_card(user, "5555555555554444")
    sign_in(client, user, platform)
    return user


def pay_url(payment_id: str) -> str:
    return f"/pay/{payment_id}/"


# --- who reaches the cashier ----------------------------------------------------------------


def test_a_signed_out_buyer_goes_through_the_payments_shop_and_comes_back(
    client: Client, platform: Platform, provider: Any, network: FakeCardNetwork
) -> None:
    payment = new_payment(platform)
    resp = client.get(pay_url(payment.id))
    assert resp.status_code == 302
    assert resp["Location"].startswith("https://shop.test/o/authorize/")
    query = provider.authorize(resp["Location"])
    back = client.get("/oidc/callback/", query)
    assert back.status_code == 302
    assert back["Location"] == pay_url(payment.id)
    # A shop account never seen by the wallet is a light account: no e-mail gate here.
    page = client.get(pay_url(payment.id))
    assert page.status_code == 200
    assert "Payment to <strong>Test shop</strong>" in page.content.decode()


def test_an_unknown_payment_is_not_found_signed_in_or_out(
    client: Client, platform: Platform, network: FakeCardNetwork
) -> None:
    assert client.get(pay_url("pay_doesnotexist")).status_code == 404
    sign_in(client, registered_buyer(), platform)
    assert client.get(pay_url("pay_doesnotexist")).status_code == 404
    assert client.get(pay_url("../../admin")).status_code == 404


def test_another_buyers_payment_is_not_found(
    client: Client, platform: Platform, network: FakeCardNetwork
) -> None:
    payment = new_payment(platform)
    first = Client()
    sign_in(first, registered_buyer("first@example.com"), platform)
    assert first.get(pay_url(payment.id)).status_code == 200  # bound to the first buyer
    sign_in(client, registered_buyer("second@example.com"), platform)
    assert client.get(pay_url(payment.id)).status_code == 404
    assert client.post(pay_url(payment.id), {**NEW_CARD}).status_code == 404
    assert client.get(f"/pay/{payment.id}/receipt/").status_code == 404


def test_a_payment_meant_for_another_shop_account_is_not_found(
    client: Client, platform: Platform, network: FakeCardNetwork
) -> None:
    payment = new_payment(platform, buyer_reference="buyer-7")
    user = registered_buyer()
    link(user, platform, "buyer-8")
    sign_in(client, user, platform)
    assert client.get(pay_url(payment.id)).status_code == 404


def test_a_light_account_pays_with_a_new_card_only(
    client: Client, platform: Platform, network: FakeCardNetwork
) -> None:
    light = new_buyer()  # signed in through the shop, e-mail never confirmed
    sign_in(client, light, platform)
    assert client.get("/account/").status_code == 302  # the gate, everywhere else
    html = main(client, pay_url(new_payment(platform).id))
    assert "You can pay without registering" in html
    assert 'name="card_id"' not in html
    assert "Enter your payment password" not in html
    assert 'name="save"' not in html
    assert 'autocomplete="cc-number"' in html


# --- what the page shows --------------------------------------------------------------------


def test_the_page_shows_the_shop_the_order_the_amount_and_the_time_left(
    client: Client, buyer: Any, platform: Platform
) -> None:
    payment = new_payment(platform)
    html = main(client, pay_url(payment.id))
    assert "Payment to <strong>Test shop</strong>" in html
    assert "order-42" in html
    assert "Tea and a teapot" in html
    assert "RUB\xa01,780.00" in html
    assert "60 minutes" in html
    assert "Pay RUB\xa01,780.00" in html


def test_saved_cards_come_default_first_and_the_default_is_chosen(
    client: Client, buyer: Any, platform: Platform
) -> None:
    html = main(client, pay_url(new_payment(platform).id))
    visa, mastercard = html.index("4242 •••• •••• 4242"), html.index("5555 •••• •••• 4444")
    assert visa < mastercard
    cards = vault.list_cards(buyer)
    assert f'value="{cards[0].id}" id="card-{cards[0].id}" checked' in html
    assert "Default" in html


def test_the_fields_carry_what_a_phone_needs(
    client: Client, buyer: Any, platform: Platform
) -> None:
    html = main(client, pay_url(new_payment(platform).id))
    pin = html[
        html.index('name="payment_password"') - 200 : html.index('name="payment_password"') + 200
    ]
    for attr in ('inputmode="numeric"', 'autocomplete="off"', 'maxlength="6"', 'type="password"'):
        assert attr in pin
    for attr in ("cc-number", "cc-exp", "cc-csc", "cc-name"):
        assert f'autocomplete="{attr}"' in html
    assert 'name="save"' in html  # "Save this card", for a registered buyer
    assert "Save this card" in html


def test_the_page_in_russian(client: Client, buyer: Any, platform: Platform) -> None:
    html = main(client, pay_url(new_payment(platform).id), headers={"Accept-Language": "ru"})
    assert "Введите платёжный пароль" in html
    assert "Оплатить 1\xa0780\xa0₽" in html
    assert "Забыли платёжный пароль?" in html
    assert "Сохранить эту карту" in html
    assert "60 минут" in html


def test_the_fx_estimate_is_shown_when_the_buyer_prefers_another_currency(
    client: Client, platform: Platform, network: FakeCardNetwork
) -> None:
    from zhifu.fx import services as fx

    fx.import_sample()
    user = registered_buyer("ru@example.com", locale="ru")
    sign_in(client, user, platform)
    payment = new_payment(platform, amount=Money(1000, "USD"))
    assert services.cashier(user, payment.id).fx_estimate is not None
    html = main(client, pay_url(payment.id))
    assert "fx-estimate" in html
    assert "An estimate at 1 USD = " in html  # the dearer currency first
    assert "your bank's rate may differ" in html
    same = new_payment(platform, amount=Money(1000, "RUB"), order="order-rub")
    assert "fx-estimate" not in main(client, pay_url(same.id))  # no estimate in one's own


# --- paying ---------------------------------------------------------------------------------


def pay_saved(client: Client, payment_id: str, pin: str = GOOD_PIN, card_id: str = "") -> Any:
    data = {"method": "saved_card", "payment_password": pin}
    if card_id:
        data["card_id"] = card_id
    else:
        html = main(client, pay_url(payment_id))
        data["card_id"] = html.split('name="card_id" value="', 1)[1].split('"', 1)[0]
    return client.post(pay_url(payment_id), data)


def test_a_saved_card_and_the_payment_password_pay_and_lead_to_the_receipt(
    client: Client, buyer: Any, platform: Platform
) -> None:
    payment = new_payment(platform)
    resp = pay_saved(client, payment.id)
    assert resp.status_code == 302
    assert resp["Location"] == f"/pay/{payment.id}/receipt/"
    assert services.receipt(buyer, payment.id).status is PaymentStatus.SUCCEEDED
    html = main(client, resp["Location"])
    assert "Payment complete" in html
    assert "Visa ending in 4242" in html
    back = services.return_url_for(services.receipt(buyer, payment.id))
    assert f'href="{back}"' in html.replace("&amp;", "&")
    assert back.startswith(RETURN_URL)
    assert parse_qs(urlsplit(back).query)["payment_id"] == [payment.id]
    assert "finish registration" not in html  # registered: no invitation
    # Paid: the cashier now leads to the receipt, never to a second payment.
    again = client.get(pay_url(payment.id))
    assert again.status_code == 302
    assert again["Location"] == f"/pay/{payment.id}/receipt/"


def test_a_wrong_payment_password_says_how_many_tries_are_left(
    client: Client, buyer: Any, platform: Platform
) -> None:
    payment = new_payment(platform)
    resp = pay_saved(client, payment.id, pin="000001")
    assert resp.status_code == 403
    html = resp.content.decode()
    assert "The payment password is wrong." in field_error(html, "payment_password")
    assert "4 attempts left." in html
    assert "000001" not in html
    assert services.receipt(buyer, payment.id).status is PaymentStatus.REQUIRES_PAYMENT_METHOD


def test_five_wrong_passwords_lock_it_and_a_new_payment_does_not_reset_the_count(
    client: Client, buyer: Any, platform: Platform
) -> None:
    payment = new_payment(platform)
    card_id = vault.list_cards(buyer)[0].id
    for _ in range(3):
        assert pay_saved(client, payment.id, "000001", card_id).status_code == 403
    other = new_payment(platform, order="order-43")
    html = pay_saved(client, other.id, "000001", card_id).content.decode()
    assert "Last attempt: after it the payment password will be locked for 3 hours." in html
    locked = pay_saved(client, other.id, "000001", card_id)
    assert locked.status_code == 423
    html = locked.content.decode()
    assert "Your payment password is locked until" in html
    assert 'href="/recovery/"' in html
    assert "You can still pay with a new card." in html
    # Locked: even the right password is refused, and the first payment's page says so too.
    assert pay_saved(client, payment.id, GOOD_PIN, card_id).status_code == 423
    assert "Your payment password is locked until" in main(client, pay_url(payment.id))
    assert services.receipt(buyer, payment.id).status is PaymentStatus.REQUIRES_PAYMENT_METHOD


def test_a_new_card_pays_and_is_saved_when_asked(
    client: Client, buyer: Any, platform: Platform, network: FakeCardNetwork
) -> None:
    payment = new_payment(platform)
    number = "378282246310005"
    resp = client.post(
        pay_url(payment.id),
        {**NEW_CARD, "number": number, "cvc": "7391", "save": "on"},
    )
    assert resp.status_code == 302, resp.content.decode()
    assert resp["Location"] == f"/pay/{payment.id}/receipt/"
    assert any(c.last4 == "0005" for c in vault.list_cards(buyer))
    assert "7391" in network.seen_cvcs  # the CVC went to the network, once


def test_a_new_card_is_not_saved_unless_asked(
    client: Client, buyer: Any, platform: Platform
) -> None:
    payment = new_payment(platform)
    resp = client.post(pay_url(payment.id), {**NEW_CARD, "number": "3566002020360505"})
    assert resp.status_code == 302
    assert not any(c.last4 == "0505" for c in vault.list_cards(buyer))


def test_a_light_account_pays_and_is_invited_to_finish_registration(
    client: Client, platform: Platform, network: FakeCardNetwork
) -> None:
    light = new_buyer()
    sign_in(client, light, platform)
    payment = new_payment(platform)
    resp = client.post(pay_url(payment.id), {**NEW_CARD, "save": "on"})
    assert resp.status_code == 302
    html = main(client, resp["Location"])
    assert "Payment complete" in html
    assert "Save your card for next time: finish registration" in html
    assert 'href="/confirm-email/"' in html
    assert vault.list_cards(light) == []  # "save" is not offered to a light account


def test_a_card_typo_is_refused_beside_the_field_and_costs_nothing(
    client: Client, buyer: Any, platform: Platform, network: FakeCardNetwork
) -> None:
    payment = new_payment(platform)
    calls = network.calls
    resp = client.post(pay_url(payment.id), {**NEW_CARD, "number": "4242 4242 4242 4241"})
    assert resp.status_code == 400
    html = resp.content.decode()
    assert "This card number is not valid. Check it for typos." in field_error(html, "number")
    assert network.calls == calls
    assert "4242 4242 4242 4241" not in html
    assert 'value="739"' not in html
    assert 'value="ANNA IVANOVA"' in html  # the name is kept


def test_a_decline_shows_the_banks_reason(
    client: Client, buyer: Any, platform: Platform, network: FakeCardNetwork
) -> None:
    number = "4000000000009995"
    network.program(Flow.AUTHORIZE, number, Refused(DeclineCode.INSUFFICIENT_FUNDS))
    payment = new_payment(platform)
    resp = client.post(pay_url(payment.id), {**NEW_CARD, "number": number})
    assert resp.status_code == 402
    html = resp.content.decode()
    assert "insufficient funds" in html
    assert number not in html
    assert "4000 0000 0000 9995" not in html
    assert services.receipt(buyer, payment.id).status is PaymentStatus.REQUIRES_PAYMENT_METHOD


def test_a_wrong_cvc_decline_points_at_the_cvc(
    client: Client, buyer: Any, platform: Platform, network: FakeCardNetwork
) -> None:
    number = "4000000000000127"
    network.program(Flow.AUTHORIZE, number, Refused(DeclineCode.INCORRECT_CVC))
    resp = client.post(pay_url(new_payment(platform).id), {**NEW_CARD, "number": number})
    assert "The CVC is incorrect." in field_error(resp.content.decode(), "cvc")


def test_the_banks_challenge_leads_there_and_back_to_the_receipt(
    client: Client, buyer: Any, platform: Platform, network: FakeCardNetwork
) -> None:
    number = "4000000000003220"
    challenge = "https://cardnet.test/challenge/abc/"
    payment = new_payment(platform)
    network.program(
        Flow.AUTHORIZE,
        number,
        AuthorizeResult(NetworkStatus.CHALLENGE, "fakeauth_1", payment.amount, challenge),
    )
    resp = client.post(pay_url(payment.id), {**NEW_CARD, "number": number})
    assert resp.status_code == 302
    assert resp["Location"] == challenge
    back = client.get(f"/pay/{payment.id}/challenge/", {"result": APPROVE})
    assert back.status_code == 302
    assert back["Location"] == f"/pay/{payment.id}/receipt/"
    assert services.receipt(buyer, payment.id).status is PaymentStatus.SUCCEEDED


def test_a_forged_challenge_answer_goes_back_to_the_cashier_with_a_message(
    client: Client, buyer: Any, platform: Platform, network: FakeCardNetwork
) -> None:
    number = "4000000000003220"
    payment = new_payment(platform)
    network.program(
        Flow.AUTHORIZE,
        number,
        AuthorizeResult(NetworkStatus.CHALLENGE, "fakeauth_2", payment.amount, "https://c.test/"),
    )
    client.post(pay_url(payment.id), {**NEW_CARD, "number": number})
    back = client.get(f"/pay/{payment.id}/challenge/", {"result": "forged"})
    assert back.status_code == 302
    assert back["Location"] == pay_url(payment.id)
    assert "bank" in main(client, pay_url(payment.id))


def test_an_expired_payment_says_so_and_leads_back_to_the_shop(
    client: Client, buyer: Any, platform: Platform, time_machine: Any
) -> None:
    payment = new_payment(platform)
    time_machine.move_to(payment.expires_at, tick=False)
    sign_in(client, buyer, platform)  # an hour idle ended the first session
    resp = client.get(pay_url(payment.id))
    assert resp.status_code == 409
    html = resp.content.decode()
    assert "This payment is closed" in html
    assert RETURN_URL in html
    assert pay_saved(client, payment.id, card_id="card_x").status_code == 409


def test_a_closed_or_foreign_payment_costs_no_payment_password_attempt(
    client: Client, buyer: Any, platform: Platform, time_machine: Any
) -> None:
    """The confirmation checks the payment before the payment password."""
    from zhifu.credentials import services as credentials

    card_id = vault.list_cards(buyer)[0].id
    foreign = new_payment(platform)
    services.cashier(registered_buyer("boris@example.com"), foreign.id)  # bound to Boris
    assert pay_saved(client, foreign.id, "000001", card_id).status_code == 404
    payment = new_payment(platform)
    time_machine.move_to(payment.expires_at, tick=False)
    sign_in(client, buyer, platform)
    assert pay_saved(client, payment.id, "000001", card_id).status_code == 409
    assert credentials.attempts_left(buyer) == 5
    assert services.receipt(buyer, payment.id).status is PaymentStatus.EXPIRED


def test_an_unknown_method_is_refused(client: Client, buyer: Any, platform: Platform) -> None:
    payment = new_payment(platform)
    assert client.post(pay_url(payment.id), {"method": "crypto"}).status_code == 400
    # The balance is not offered while the shop has it off.
    assert "balance-payment_password" not in main(client, pay_url(payment.id))
    resp = client.post(
        pay_url(payment.id), {"method": "balance", "balance-payment_password": GOOD_PIN}
    )
    assert resp.status_code == 400


def test_posting_needs_the_csrf_token(buyer: Any, platform: Platform) -> None:
    client = Client(enforce_csrf_checks=True)
    sign_in(client, buyer, platform)
    payment = new_payment(platform)
    assert client.post(pay_url(payment.id), {**NEW_CARD}).status_code == 403


def test_a_light_account_cannot_use_saved_cards_even_by_posting(
    client: Client, platform: Platform, network: FakeCardNetwork
) -> None:
    light = new_buyer()
    sign_in(client, light, platform)
    payment = new_payment(platform)
    resp = client.post(
        pay_url(payment.id),
        {"method": "saved_card", "card_id": "card_someone", "payment_password": GOOD_PIN},
    )
    assert resp.status_code == 400
    assert services.receipt(light, payment.id).status is PaymentStatus.REQUIRES_PAYMENT_METHOD


def test_secrets_never_reach_the_logs(
    client: Client, buyer: Any, platform: Platform, capsys: Any, caplog: Any
) -> None:
    payment = new_payment(platform)
    client.post(pay_url(payment.id), {**NEW_CARD, "number": "6011111111111117", "cvc": "913"})
    pay_saved(client, new_payment(platform, order="o-2").id, pin="904127")
    out = capsys.readouterr()
    logged = out.out + out.err + caplog.text
    for secret in ("6011111111111117", "6011 1111 1111 1117", "904127"):
        assert secret not in logged


def test_the_balance_pays_where_the_shop_has_it_on(
    client: Client, buyer: Any, platform: Platform
) -> None:
    from zhifu.accounts import services as accounts
    from zhifu.ledger import services as ledger

    platform.balance_enabled = True
    platform.save()
    payment = new_payment(platform, amount=Money(50000, "RUB"))
    html = main(client, pay_url(payment.id))
    assert "There is not enough on your balance for this payment." in html
    assert 'name="balance-payment_password"' not in html
    policy = accounts.balance_policy(platform)
    ledger.top_up(policy, accounts.balance_owner(buyer), Money(80000, "RUB"), "topup-1")
    html = main(client, pay_url(payment.id))
    assert "On your balance:" in html
    assert 'name="balance-payment_password"' in html
    wrong = client.post(
        pay_url(payment.id), {"method": "balance", "balance-payment_password": "000001"}
    )
    assert wrong.status_code == 403
    assert "4 attempts left" in wrong.content.decode()
    resp = client.post(
        pay_url(payment.id), {"method": "balance", "balance-payment_password": GOOD_PIN}
    )
    assert resp.status_code == 302
    assert resp["Location"] == f"/pay/{payment.id}/receipt/"
    assert "Wallet balance" in main(client, resp["Location"])
    assert services.receipt(buyer, payment.id).status is PaymentStatus.SUCCEEDED


def test_a_payment_waiting_for_the_bank_shows_the_receipt_that_says_so(
    client: Client, buyer: Any, platform: Platform, network: FakeCardNetwork
) -> None:
    from zhifu.connectors.base import OutcomeUnknown

    number = "4000000000000036"
    network.program(Flow.AUTHORIZE, number, OutcomeUnknown())
    payment = new_payment(platform)
    resp = client.post(pay_url(payment.id), {**NEW_CARD, "number": number})
    assert resp.status_code == 302
    assert resp["Location"] == f"/pay/{payment.id}/receipt/"
    assert "We are waiting for your bank" in main(client, resp["Location"])
    again = client.get(pay_url(payment.id))
    assert again.status_code == 302
    assert again["Location"] == f"/pay/{payment.id}/receipt/"


def test_another_buyers_card_cannot_pay(client: Client, buyer: Any, platform: Platform) -> None:
    other = registered_buyer("boris@example.com")
    borrowed = save_card(other, "6011111111111117")
    payment = new_payment(platform)
    resp = client.post(
        pay_url(payment.id),
        {"method": "saved_card", "card_id": borrowed.id, "payment_password": GOOD_PIN},
    )
    assert resp.status_code == 400
    assert "Choose one of your saved cards." in resp.content.decode()
    assert services.receipt(buyer, payment.id).status is PaymentStatus.REQUIRES_PAYMENT_METHOD


def test_another_buyer_cannot_answer_a_challenge(
    client: Client, buyer: Any, platform: Platform, network: FakeCardNetwork
) -> None:
    number = "4000000000003220"
    payment = new_payment(platform)
    network.program(
        Flow.AUTHORIZE,
        number,
        AuthorizeResult(NetworkStatus.CHALLENGE, "fakeauth_3", payment.amount, "https://c.test/"),
    )
    client.post(pay_url(payment.id), {**NEW_CARD, "number": number})
    intruder = Client()
    sign_in(intruder, registered_buyer("eve@example.com"), platform)
    assert intruder.get(f"/pay/{payment.id}/challenge/", {"result": APPROVE}).status_code == 404
    assert services.receipt(buyer, payment.id).status is PaymentStatus.REQUIRES_ACTION


def test_the_next_path_of_the_sign_in_is_the_cashier_only(
    client: Client, platform: Platform, provider: Any
) -> None:
    payment = new_payment(platform)
    resp = client.get(pay_url(payment.id) + "?next=https://evil.example/")
    query = provider.authorize(resp["Location"])
    back = client.get("/oidc/callback/", query)
    assert back["Location"] == pay_url(payment.id)  # the path, never the query's next
