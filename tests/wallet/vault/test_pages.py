"""The card pages: list, add, make default, delete after the payment password."""

from __future__ import annotations

import re
from typing import Any

import pytest
from django.test import Client

from tests.wallet.accounts.support import GOOD_PIN, new_buyer, registered_buyer, sign_in
from tests.wallet.stepup import adding
from tests.wallet.vault.support import MASTERCARD, VISA, card_input
from zhifu.connectors.base import (
    DeclineCode,
    NetworkStatus,
    NetworkUnavailable,
    Refused,
    VerifyResult,
)
from zhifu.connectors.fake import FakeCardNetwork
from zhifu.vault import services
from zhifu.vault.models import StoredCard

pytestmark = pytest.mark.django_db(databases=["default", "vault"])

FORM = {"number": "4242 4242 4242 4242", "expiry": "12/30", "holder_name": "ANNA IVANOVA",
        "cvc": "739", "label": "Salary", "payment_password": GOOD_PIN}  # fmt: skip


@pytest.fixture
def network(settings: Any) -> FakeCardNetwork:
    """The wallet's card network, chosen by settings (restored after the test)."""
    fake = FakeCardNetwork()
    settings.ZHIFU_CARD_NETWORK = fake
    return fake


@pytest.fixture
def buyer(client: Client) -> object:
    user = registered_buyer("anna@example.com")
    sign_in(client, user)
    return user


def field_error(html: str, field: str) -> str:
    match = re.search(rf'<small class="field-error" id="id_{field}_error">(.*?)</small>', html)
    return match.group(1) if match else ""


def test_the_list_starts_empty_and_invites_to_add_a_card(client: Client, buyer: object) -> None:
    html = client.get("/cards/").content.decode()
    assert "No cards yet. Save a card so you don't have to type it" in html
    assert 'href="/cards/add/"' in html
    assert "Add card" in html


def test_the_empty_list_in_russian(client: Client, buyer: object) -> None:
    html = client.get("/cards/", headers={"Accept-Language": "ru"}).content.decode()
    assert "Здесь пока пусто. Сохраните карту, чтобы не вводить её при каждой покупке." in html
    assert "Добавить карту" in html


def test_pages_need_a_signed_in_buyer(client: Client) -> None:
    for url in ("/cards/", "/cards/add/", "/cards/card_x/delete/"):
        resp = client.get(url)
        assert resp.status_code == 302
        assert "/cards/" not in resp["Location"].split("?")[0]


def test_adding_a_card_shows_it_masked(
    client: Client, buyer: object, network: FakeCardNetwork
) -> None:
    resp = client.post("/cards/add/", FORM, follow=True)
    html = resp.content.decode()
    assert "4242 •••• •••• 4242" in html
    assert "4242424242424242" not in html
    assert "4242 4242 4242 4242" not in html
    assert "Salary" in html
    assert "12/30" in html
    assert 'src="/static/vault/schemes/visa.svg"' in html
    assert network.seen_cvcs == ["739"]


def test_a_bad_number_is_refused_beside_the_field_and_not_shown_again(
    client: Client, buyer: object, network: FakeCardNetwork
) -> None:
    html = client.post("/cards/add/", {**FORM, "number": "4242 4242 4242 4241"}).content.decode()
    assert field_error(html, "number") == "This card number is not valid. Check it for typos."
    # The field points at its error, so a screen reader reads it with the field (Django sets it).
    assert re.search(r'<input [^>]*aria-invalid="true" aria-describedby="id_number_error"', html)
    assert "4242 4242 4242 4241" not in html
    assert "4242424242424241" not in html
    assert 'value="739"' not in html  # nor the CVC
    assert 'value="ANNA IVANOVA"' in html  # the rest of the input is kept
    assert network.calls == 0


@pytest.mark.parametrize("pin", ["", "000000"])
def test_adding_a_card_needs_the_payment_password(
    client: Client, buyer: object, network: FakeCardNetwork, pin: str
) -> None:
    resp = client.post("/cards/add/", {**FORM, "payment_password": pin})
    assert resp.status_code == 403
    html = resp.content.decode()
    assert field_error(html, "payment_password") in (
        "Enter your payment password.",
        "The payment password is wrong. 4 attempts left, then it is locked for 3 hours.",
    )
    assert network.calls == 0
    assert services.list_cards(buyer) == []
    assert "4242 4242 4242 4242" not in html
    assert f'value="{pin}"' not in html or pin == ""


def test_a_typo_in_the_card_does_not_cost_a_payment_password_attempt(
    client: Client, buyer: object, network: FakeCardNetwork
) -> None:
    from zhifu.credentials.models import PaymentPassword

    for _ in range(6):
        client.post("/cards/add/", {**FORM, "expiry": "13/30", "payment_password": "000000"})
    assert PaymentPassword.objects.get(user=buyer).failures == 0
    assert client.post("/cards/add/", FORM).status_code == 302


def test_a_wrong_cvc_decline_is_shown_beside_the_cvc(
    client: Client, buyer: object, network: FakeCardNetwork
) -> None:
    network.outcomes[VISA] = Refused(DeclineCode.INCORRECT_CVC, "v")
    html = client.post("/cards/add/", FORM).content.decode()
    assert field_error(html, "cvc") == "The CVC is incorrect. Check the code and try again."


def test_when_the_network_does_not_answer_the_buyer_is_told(
    client: Client, buyer: object, network: FakeCardNetwork
) -> None:
    network.outcomes[VISA] = NetworkUnavailable("timeout")
    html = client.post("/cards/add/", FORM).content.decode()
    assert "The card network did not answer, so your card was not saved." in html
    assert "correct the fields marked below" not in html  # no field is marked
    assert services.list_cards(buyer) == []


def test_a_bad_field_is_pointed_at_in_the_summary(client: Client, buyer: object) -> None:
    html = client.post("/cards/add/", {**FORM, "number": "4242 4242 4242 4241"}).content.decode()
    assert "Please correct the fields marked below." in html


def test_another_buyers_card_is_a_404(client: Client, network: FakeCardNetwork) -> None:
    other = new_buyer("boris@example.com")
    card = services.add_card(other, card_input(), network=network, step_up=adding(other))
    me = registered_buyer("anna@example.com")
    sign_in(client, me)
    assert client.get(f"/cards/{card.id}/delete/").status_code == 404
    assert (
        client.post(f"/cards/{card.id}/delete/", {"payment_password": GOOD_PIN}).status_code == 404
    )
    assert client.post(f"/cards/{card.id}/default/").status_code == 404
    assert services.list_cards(other)[0].id == card.id


def test_delete_needs_the_payment_password(
    client: Client, buyer: object, network: FakeCardNetwork
) -> None:
    card = services.add_card(buyer, card_input(), network=network, step_up=adding(buyer))
    html = client.post(f"/cards/{card.id}/delete/", {"payment_password": "000000"}).content.decode()
    assert field_error(html, "payment_password") == (
        "The payment password is wrong. 4 attempts left, then it is locked for 3 hours."
    )
    assert 'value="000000"' not in html
    assert len(services.list_cards(buyer)) == 1
    resp = client.post(f"/cards/{card.id}/delete/", {"payment_password": GOOD_PIN}, follow=True)
    assert "Card 4242 •••• •••• 4242 deleted." in resp.content.decode()
    assert services.list_cards(buyer) == []


def test_delete_without_a_payment_password_set_is_refused(
    client: Client, network: FakeCardNetwork
) -> None:
    user = new_buyer("nopin@example.com")
    sign_in(client, user)
    card = services.add_card(user, card_input(), network=network, step_up=adding(user))
    html = client.post(f"/cards/{card.id}/delete/", {"payment_password": "123456"}).content.decode()
    assert "Set up your payment password first" in html
    assert len(services.list_cards(user)) == 1


def test_make_default(client: Client, buyer: object, network: FakeCardNetwork) -> None:
    services.add_card(buyer, card_input(VISA), network=network, step_up=adding(buyer))
    second = services.add_card(
        buyer, card_input(MASTERCARD), network=network, step_up=adding(buyer)
    )
    client.post(f"/cards/{second.id}/default/")
    assert [c.id for c in services.list_cards(buyer) if c.is_default] == [second.id]
    assert client.get(f"/cards/{second.id}/default/").status_code == 405


def test_the_add_form_posts_nothing_without_csrf(buyer: object, network: FakeCardNetwork) -> None:
    strict = Client(enforce_csrf_checks=True)
    sign_in(strict, buyer)  # type: ignore[arg-type]
    assert strict.post("/cards/add/", FORM).status_code == 403
    assert network.calls == 0


def test_error_reports_hide_the_card_number_cvc_and_pin(
    buyer: object, network: FakeCardNetwork, monkeypatch: pytest.MonkeyPatch, rf: Any
) -> None:
    """A crash while adding a card: Django's error report (the 500 e-mail) shows stars."""
    from django.contrib.messages.storage.fallback import FallbackStorage
    from django.views.debug import ExceptionReporter

    from zhifu.vault import views

    def boom(*args: object, **kwargs: object) -> None:
        raise RuntimeError("network exploded")

    monkeypatch.setattr(services, "add_card", boom)
    request = rf.post("/cards/add/", FORM)
    request.user = buyer
    request.session = {}
    request._messages = FallbackStorage(request)
    with pytest.raises(RuntimeError) as exc:
        views.add_card(request)
    report = ExceptionReporter(
        request, exc.type, exc.value, exc.tb, is_email=True
    ).get_traceback_text()
    assert "network exploded" in report
    assert "4242 4242 4242 4242" not in report
    assert "4242424242424242" not in report
    assert "'739'" not in report
    assert GOOD_PIN not in report
    assert "********************" in report


def test_a_challenge_sends_the_buyer_to_the_network_and_back(
    client: Client, buyer: object, network: FakeCardNetwork
) -> None:
    network.outcomes[VISA] = VerifyResult(
        NetworkStatus.CHALLENGE, "ver_9", challenge_url="http://127.0.0.1:8002/challenge/t/"
    )
    resp = client.post("/cards/add/", FORM)
    assert resp.status_code == 302
    assert resp["Location"] == "http://127.0.0.1:8002/challenge/t/"
    [pending] = StoredCard.objects.filter(status="pending")
    html = client.get(f"/cards/challenge/{pending.id}/?result=approve", follow=True)
    assert "Card Visa 4242 •••• •••• 4242 saved." in html.content.decode()
    assert client.get(f"/cards/challenge/{pending.id}/?result=approve").status_code == 404
