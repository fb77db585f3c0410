"""The challenge card on a payment: cardnet's page records the buyer's answer, and status
tells it; the signed answer the buyer carries back is what the wallet's connector checks."""

from __future__ import annotations

import datetime as dt
from urllib.parse import unquote

import pytest
import time_machine
from django.test import Client

from tests.cardnet.payments.support import (
    CHALLENGE_CARD,
    WALLET_RETURN,
    authorize,
    capture,
    new_key,
    status,
    void,
)
from zhifu.config.site import config
from zhifu.kernel import clock, signing

pytestmark = pytest.mark.django_db


def answers() -> signing.Signer:
    return signing.Signer(
        config().secret("cardnet_challenge_key").reveal(), salt="zhifu.cardnet.challenge-result"
    )


def challenged(client: Client, key: str, amount: int = 99900) -> tuple[str, str]:
    data = authorize(client, amount, "RUB", key=key, number=CHALLENGE_CARD,
                     return_url=WALLET_RETURN).json()  # fmt: skip
    assert data["status"] == "challenge"
    assert data["challenge_url"].startswith(config().urls["cardnet"] + "/challenge/")
    return data["id"], data["challenge_url"].removeprefix(config().urls["cardnet"])


def answer(client: Client, page: str, decision: str) -> dict[str, str]:
    resp = client.post(page, {"decision": decision})
    assert resp.status_code == 302
    assert resp["Location"].startswith(WALLET_RETURN + "?result=")
    result: dict[str, str] = answers().loads(unquote(resp["Location"].split("?result=", 1)[1]))
    return result


def test_confirming_authorizes_and_status_tells_it(client: Client) -> None:
    key = new_key("authorize")
    auth, page = challenged(client, key)
    assert status(client, key).json()["status"] == "challenge"
    assert capture(client, auth, 99900, "RUB").json()["decline_code"] == (
        "authorization_not_capturable"
    )
    shown = client.get(page).content.decode()
    assert "Confirm your payment" in shown
    assert "999.00" in shown
    assert answer(client, page, "confirm") == {"id": auth, "result": "approved"}
    assert status(client, key).json() == {"flow": "authorize", "id": auth, "status": "authorized",
                                          "amount": 99900, "currency": "RUB"}  # fmt: skip
    assert answer(client, page, "cancel") == {"id": auth, "result": "approved"}  # recorded
    assert capture(client, auth, 99900, "RUB").json()["status"] == "captured"


def test_the_page_speaks_russian(client: Client) -> None:
    _, page = challenged(client, new_key("authorize"))
    shown = client.get(page, headers={"Accept-Language": "ru"}).content.decode()
    assert "Подтвердите платёж" in shown


def test_cancelling_declines_for_good(client: Client) -> None:
    key = new_key("authorize")
    auth, page = challenged(client, key)
    assert answer(client, page, "cancel") == {"id": auth, "result": "declined"}
    assert status(client, key).json()["decline_code"] == "authentication_failed"
    assert answer(client, page, "confirm")["result"] == "declined"  # a second click is too late
    assert status(client, key).json()["status"] == "declined"


def test_the_authorize_replay_still_says_challenge(client: Client) -> None:
    key = new_key("authorize")
    _, page = challenged(client, key)
    first = authorize(client, 99900, "RUB", key=key, number=CHALLENGE_CARD,
                      return_url=WALLET_RETURN).json()  # fmt: skip
    answer(client, page, "confirm")
    again = authorize(client, 99900, "RUB", key=key, number=CHALLENGE_CARD,
                      return_url=WALLET_RETURN).json()  # fmt: skip
    assert again == first  # the first answer; status tells what happened since


def test_a_challenge_nobody_answers_declines_after_its_time(client: Client) -> None:
    key = new_key("authorize")
    _, page = challenged(client, key)
    with time_machine.travel(clock.now() + dt.timedelta(minutes=15, seconds=1), tick=False):
        assert status(client, key).json()["decline_code"] == "authentication_expired"
        assert client.get(page).status_code == 404  # the page's token expired with it


def test_an_open_challenge_may_be_voided(client: Client) -> None:
    key = new_key("authorize")
    auth, page = challenged(client, key)
    assert void(client, auth).json()["status"] == "voided"
    assert answer(client, page, "confirm")["result"] == "declined"
    assert status(client, key).json()["decline_code"] == "authentication_failed"  # never stood


def test_the_challenge_card_needs_a_return_address(client: Client) -> None:
    resp = authorize(client, number=CHALLENGE_CARD)
    assert resp.status_code == 400
    assert resp.json()["error"]["param"] == "return_url"


def test_the_payment_page_names_the_merchant_the_amount_and_the_card(client: Client) -> None:
    data = authorize(client, 178000, "RUB", key=new_key("authorize"), number=CHALLENGE_CARD,
                     return_url=WALLET_RETURN, merchant="Bazaar").json()  # fmt: skip
    page = data["challenge_url"].removeprefix(config().urls["cardnet"])
    html = client.get(page).content.decode()
    assert "Confirm your payment" in html
    assert "<dd>Bazaar</dd>" in html
    assert "1,780.00" in html
    assert "ending in " + CHALLENGE_CARD[-4:] in html
    assert CHALLENGE_CARD not in html
