"""The wallet's card network, chosen by settings, over the kernel transport."""

from __future__ import annotations

from typing import Any

import pytest
from django.utils import translation

from tests.wallet.stepup import adding
from tests.wallet.vault.support import VISA, Buyer, card_input
from zhifu.config import outbound
from zhifu.config.site import config
from zhifu.connectors.cardnet import CardnetConnector, wire
from zhifu.connectors.fake import FakeCardNetwork
from zhifu.kernel import http, signing
from zhifu.vault import services
from zhifu.vault.models import StoredCard

pytestmark = pytest.mark.django_db(databases=["default", "vault"])

ANNA = Buyer(1, "anna@example.com")


def test_the_wallet_talks_to_cardnet_over_a_transport_that_allows_loopback_in_demo() -> None:
    network = outbound.card_network()
    assert isinstance(network, CardnetConnector)
    assert network.base_url == config().urls["cardnet"]
    assert isinstance(network.transport, http.LimitedTransport)
    inner = network.transport.inner
    assert isinstance(inner, http.HttpTransport)
    assert inner.allowed_networks == http.LOOPBACK  # the tests run in demo mode
    assert inner.read_timeout == outbound.verify_timeouts()[1]


def test_settings_choose_the_fake_by_name_or_by_instance(settings: Any) -> None:
    settings.ZHIFU_CARD_NETWORK = "fake"
    assert isinstance(outbound.card_network(), FakeCardNetwork)
    mine = FakeCardNetwork()
    settings.ZHIFU_CARD_NETWORK = mine
    assert outbound.card_network() is mine


def challenge_transport() -> http.MockTransport:
    """cardnet as a mock: every verification asks for a challenge."""
    url = config().urls["cardnet"] + "/challenge/t/"

    def handler(request: http.Request) -> http.Response:
        assert request.header("idempotency-key").endswith(":verify")
        body = {"id": "ver_9", "status": "challenge", "decline_code": None, "challenge_url": url}
        return http.Response.json_of(200, body)

    return http.MockTransport(handler)


def signed(key: str, approved: bool = True) -> str:
    return wire.sign_challenge_answer(
        signing.Signer(key, salt=wire.CHALLENGE_RESULT_SALT), "ver_9", approved
    )


def test_a_challenge_answer_signed_with_the_challenge_key_saves_the_card(settings: Any) -> None:
    settings.ZHIFU_HTTP_TRANSPORT = challenge_transport()
    pending = services.add_card(ANNA, card_input(VISA), step_up=adding(ANNA))
    assert isinstance(pending, services.ChallengeRequired)
    assert pending.url == config().urls["cardnet"] + "/challenge/t/"
    answer = signed(config().secret("cardnet_challenge_key").reveal())
    card = services.complete_challenge(ANNA, pending.card_id, answer)
    assert [c.id for c in services.list_cards(ANNA)] == [card.id]


def test_a_challenge_answer_signed_with_the_api_key_is_refused(settings: Any) -> None:
    settings.ZHIFU_HTTP_TRANSPORT = challenge_transport()
    pending = services.add_card(ANNA, card_input(VISA), step_up=adding(ANNA))
    assert isinstance(pending, services.ChallengeRequired)
    forged = signed(config().secret("cardnet_api_key").reveal())
    with pytest.raises(services.ChallengeFailed):
        services.complete_challenge(ANNA, pending.card_id, forged)
    assert services.list_cards(ANNA) == []
    assert StoredCard.objects.filter(status="pending").count() == 1  # waits until it times out


def test_a_network_that_cannot_be_reached_saves_nothing_and_charges_nothing(
    settings: Any,
) -> None:
    def down(request: http.Request) -> http.Response:
        raise http.ConnectFailed("connection refused")

    settings.ZHIFU_HTTP_TRANSPORT = http.MockTransport(down)
    with pytest.raises(services.NetworkUnavailable) as exc:
        services.add_card(ANNA, card_input(VISA), step_up=adding(ANNA))
    with translation.override("en"):  # messages are translated when read
        assert "Nothing was charged" in exc.value.message
    assert not StoredCard.objects.exists()
