"""cardnet's verification API and its test cards (docs/test-cards.md)."""

from __future__ import annotations

import json
from typing import Any

import pytest
from django.test import Client

from zhifu.cardnet import api
from zhifu.cardnet.domain import TEST_CARDS, Behaviour
from zhifu.config.site import config
from zhifu.kernel import signing

URL = "/api/v1/verifications"


def key() -> str:
    return config().secret("cardnet_api_key").reveal()


def verify(client: Client, number: str, **extra: Any) -> Any:
    body = {"number": number, "exp_month": 12, "exp_year": 2030, "cvc": "123",
            "holder_name": "ANNA IVANOVA"}  # fmt: skip
    body.update(extra)
    headers = extra.pop("headers", None) or {"Authorization": f"Bearer {key()}"}
    body.pop("headers", None)
    return client.post(URL, json.dumps(body), content_type="application/json", headers=headers)


APPROVING = [c for c in TEST_CARDS if c.behaviour is Behaviour.APPROVE]
DECLINING = [
    c for c in TEST_CARDS if c.behaviour not in (Behaviour.APPROVE, Behaviour.TIMEOUT,
                                                 Behaviour.CHALLENGE)
]  # fmt: skip


@pytest.mark.parametrize("card", APPROVING, ids=lambda c: c.scheme)
def test_every_approving_test_card_is_approved(client: Client, card: Any) -> None:
    cvc = "1234" if card.scheme == "American Express" else "123"
    resp = verify(client, card.number, cvc=cvc)
    assert resp.status_code == 200
    data = resp.json()
    assert data["status"] == "approved"
    assert data["decline_code"] is None
    assert data["id"].startswith("ver_")


@pytest.mark.parametrize("card", DECLINING, ids=lambda c: c.behaviour.value)
def test_each_declining_test_card_gives_its_reason(client: Client, card: Any) -> None:
    data = verify(client, card.number).json()
    assert (data["status"], data["decline_code"]) == ("declined", card.behaviour.value)


def test_the_challenge_card_needs_a_return_address(client: Client) -> None:
    resp = verify(client, "4000000000003220")
    assert resp.status_code == 400
    assert resp.json()["error"]["param"] == "return_url"


def test_the_timeout_card_does_not_answer_in_time(
    client: Client, monkeypatch: pytest.MonkeyPatch
) -> None:
    slept: list[float] = []
    monkeypatch.setattr(api.time, "sleep", slept.append)
    verify(client, "4000000000000036")
    assert slept == [api.TIMEOUT_SLEEP_S]
    assert api.TIMEOUT_SLEEP_S > 8  # longer than the wallet's read timeout


def test_any_other_luhn_valid_number_approves(client: Client) -> None:
    assert verify(client, "4111111111111111").json()["status"] == "approved"


def test_a_number_failing_luhn_is_refused(client: Client) -> None:
    data = verify(client, "4111111111111112").json()
    assert (data["status"], data["decline_code"]) == ("declined", "invalid_number")


def test_a_past_expiry_declines_as_expired(client: Client) -> None:
    data = verify(client, "4242424242424242", exp_year=2020).json()
    assert data["decline_code"] == "expired_card"


@pytest.mark.parametrize(
    "headers",
    [{}, {"Authorization": "Bearer wrong"}, {"Authorization": "Basic abc"}],
)
def test_without_the_shared_key_the_api_refuses(client: Client, headers: dict[str, str]) -> None:
    resp = client.post(URL, "{}", content_type="application/json", headers=headers)
    assert resp.status_code == 401
    assert resp.json()["error"]["code"] == "unauthorized"


def test_the_api_needs_no_csrf_token_but_a_key() -> None:
    strict = Client(enforce_csrf_checks=True)
    assert verify(strict, "4242424242424242").status_code == 200


@pytest.mark.parametrize(
    ("body", "param"),
    [("not json", None), ('{"number": 4242}', "number"), ('{"number": "4242424242424242"}',
      "exp_month")],
)  # fmt: skip
def test_malformed_requests_get_a_typed_400(client: Client, body: str, param: str | None) -> None:
    resp = client.post(
        URL, body, content_type="application/json", headers={"Authorization": f"Bearer {key()}"}
    )
    assert resp.status_code == 400
    assert resp.json()["error"]["param"] == param


def test_get_is_not_allowed(client: Client) -> None:
    assert client.get(URL).status_code == 405


def test_the_home_page_lists_the_test_cards_in_english_and_russian(client: Client) -> None:
    page = client.get("/").content.decode()
    for card in TEST_CARDS:
        assert card.grouped in page
    assert "Declined: insufficient funds" in page
    ru = client.get("/", headers={"Accept-Language": "ru"}).content.decode()
    assert "Тестовые карты" in ru
    assert "Отказ: недостаточно средств" in ru


def test_nothing_is_logged_with_the_card_number(
    client: Client, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level("DEBUG")
    verify(client, "4242424242424242", cvc="987")
    # Without the records' timestamps, whose microseconds can hold any three digits.
    msgs = [
        {k: v for k, v in r.msg.items() if k != "timestamp"}
        if isinstance(r.msg, dict)
        else f"{r.getMessage()} {r.msg}"
        for r in caplog.records
    ]
    text = "\n".join(str(m) for m in msgs)
    assert "4242424242424242" not in text
    assert "987" not in text


WALLET_RETURN = "http://localhost:8000/cards/challenge/card_1/"


def answers() -> signing.Signer:
    """How the wallet checks cardnet's answers: the challenge key, never the API key."""
    return signing.Signer(
        config().secret("cardnet_challenge_key").reveal(), salt="zhifu.cardnet.challenge-result"
    )


def test_the_challenge_card_gets_a_challenge_page_that_answers_the_wallet(client: Client) -> None:
    data = verify(client, "4000000000003220", return_url=WALLET_RETURN).json()
    assert data["status"] == "challenge"
    url = data["challenge_url"]
    assert url.startswith(config().urls["cardnet"] + "/challenge/")
    path = url.removeprefix(config().urls["cardnet"])
    page = client.get(path)
    assert page.status_code == 200
    assert "Confirm your card" in page.content.decode()
    answer = client.post(path, {"decision": "confirm"})
    assert answer.status_code == 302
    assert answer["Location"].startswith(WALLET_RETURN + "?result=")
    token = answer["Location"].split("?result=", 1)[1]
    from urllib.parse import unquote

    result = answers().loads(unquote(token))
    assert result == {"id": data["id"], "result": "approved"}
    cancelled = client.post(path, {"decision": "cancel"})
    token = unquote(cancelled["Location"].split("?result=", 1)[1])
    assert answers().loads(token)["result"] == "declined"
    with pytest.raises(signing.BadSignature):  # the API key never signs an answer
        signing.Signer(key(), salt="zhifu.cardnet.challenge-result").loads(token)


@pytest.mark.parametrize(
    "return_url",
    ["https://evil.example/steal", "http://localhost:8000@evil.example/", "javascript:alert(1)"],
)
def test_cardnet_never_redirects_outside_the_wallet(client: Client, return_url: str) -> None:
    resp = verify(client, "4000000000003220", return_url=return_url)
    assert resp.status_code == 400
    assert resp.json()["error"]["param"] == "return_url"


def test_a_tampered_challenge_token_is_a_404(client: Client) -> None:
    data = verify(client, "4000000000003220", return_url=WALLET_RETURN).json()
    path = data["challenge_url"].removeprefix(config().urls["cardnet"])
    assert client.get(path.replace("/challenge/", "/challenge/x")).status_code == 404


def test_cardnet_and_the_wallet_sign_answers_under_the_same_salt() -> None:
    from zhifu.cardnet import challenge
    from zhifu.connectors.cardnet import wire

    assert challenge.RESULT_SALT == wire.CHALLENGE_RESULT_SALT
    assert challenge.MAX_AGE_S == wire.CHALLENGE_MAX_AGE_S


def test_a_challenge_key_moved_to_the_fallbacks_still_verifies(
    client: Client, settings: Any
) -> None:
    """Rotation: a new key signs, the old one in the fallbacks still opens pages it signed."""
    import dataclasses
    from urllib.parse import unquote

    from zhifu.kernel.secret import Secret

    data = verify(client, "4000000000003220", return_url=WALLET_RETURN).json()
    path = data["challenge_url"].removeprefix(config().urls["cardnet"])
    cfg = config()
    old, new = cfg.secret("cardnet_challenge_key"), Secret("new-challenge-key-" + "0" * 46)
    secrets = {**cfg.secrets, "cardnet_challenge_key": new}
    with_fallback = cfg.env.model_copy(update={"cardnet_challenge_key_fallbacks": old})
    settings.ZHIFU = dataclasses.replace(cfg, env=with_fallback, secrets=secrets)
    assert client.get(path).status_code == 200
    answer = client.post(path, {"decision": "confirm"})
    token = unquote(answer["Location"].split("?result=", 1)[1])
    salt = "zhifu.cardnet.challenge-result"
    assert signing.Signer(new.reveal(), salt=salt).loads(token)["result"] == "approved"
    with pytest.raises(signing.BadSignature):  # the newest key signs, never a fallback
        signing.Signer(old.reveal(), salt=salt).loads(token)
    settings.ZHIFU = dataclasses.replace(cfg, secrets=secrets)  # the fallback removed
    assert client.get(path).status_code == 404


def test_the_challenge_page_is_the_banks_and_names_the_card_and_who_asks(client: Client) -> None:
    data = verify(client, "4000000000003220", return_url=WALLET_RETURN, merchant="zhifu").json()
    page = client.get(data["challenge_url"].removeprefix(config().urls["cardnet"]))
    html = page.content.decode()
    assert "cardnet bank" in html
    assert "3-D Secure" in html
    assert "Visa ending in 3220" in html
    assert "4000000000003220" not in html  # the last four digits only
    assert "<dd>zhifu</dd>" in html
    assert "zhifu/icon.svg" not in html  # not the wallet's logo
    ru = client.get(
        data["challenge_url"].removeprefix(config().urls["cardnet"]),
        headers={"Accept-Language": "ru"},
    ).content.decode()
    assert "Банк cardnet" in ru
    assert "Подтвердите карту" in ru
    assert "Visa, оканчивается на 3220" in ru


@pytest.mark.parametrize("merchant", ["x" * 61, "shop\nname", 42])
def test_a_merchant_name_too_long_unprintable_or_not_text_is_refused(
    client: Client, merchant: Any
) -> None:
    resp = verify(client, "4242424242424242", merchant=merchant)
    assert resp.status_code == 400
    assert resp.json()["error"]["param"] == "merchant"
