"""The connector's cassettes (tests/fixtures/cardnet/) are what cardnet really answers: each
recorded request, sent to the real site in the state the cassette assumes, gets the
recorded answer but for its ids. The connector's side reads the same cassettes
(tests/unit/connectors/test_cardnet_wire.py), so a format change on either side fails one
of the two."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import pytest
from django.test import Client

from tests.cardnet.payments.support import authorize, authorized, capture, get, new_key, post
from tests.unit.connectors.support import cassette, cassettes
from zhifu.config.site import config

pytestmark = pytest.mark.django_db

RECORDED_AUTHORIZATION = "auth_01"
STATUS_KEY = "pay_01:authorize:1"
# Not cardnet's answers: an acquirer's "pending" (cardnet never pends), and a 400 recorded
# beside a request that had no fault (the connector's reading of any 400).
NOT_CARDNET = {"capture_pending", "verify_invalid_request"}


def captured(client: Client) -> str:
    auth = authorized(client, 1250)
    capture(client, auth, 1250)
    return auth


# What each cassette assumes cardnet already holds; the authorization it names, if any.
STATE: dict[str, Callable[[Client], str | None]] = {
    "capture_captured": lambda c: authorized(c, 1250),
    "void_voided": lambda c: authorized(c, 1250),
    "refund_refunded": captured,
    "refund_declined": captured,
    "status_authorized": lambda c: authorize(c, 1250, key=STATUS_KEY).json()["id"],
    "status_declined": lambda c: authorize(
        c, 1250, key=STATUS_KEY, number="4000000000009979"
    ).json()["id"],
}
NAMES = [n for n in cassettes("") if n not in NOT_CARDNET]
IDS = ("id", "authorization", "challenge_url")


def normalized(body: Any) -> Any:
    """The answer with its ids (fresh on every run) reduced to whether they are there."""
    if isinstance(body, dict) and "error" not in body:
        return {k: (v is not None if k in IDS else v) for k, v in body.items()}
    return body


@pytest.mark.parametrize("name", NAMES)
def test_cardnet_answers_what_the_cassette_recorded(client: Client, name: str) -> None:
    recorded = cassette(name)
    auth = STATE.get(name, lambda c: None)(client)
    request = recorded["request"]
    path = request["path"].replace(RECORDED_AUTHORIZATION, auth or RECORDED_AUTHORIZATION)
    if request["method"] == "GET":
        resp = get(client, path)
    else:
        body = json.loads(
            json.dumps(request["body"]).replace("http://wallet.test", config().urls["wallet"])
        )
        resp = post(client, path, body, new_key(name))
    assert resp.status_code == recorded["response"]["status"]
    assert normalized(resp.json()) == normalized(recorded["response"]["body"])
    if auth and "authorization" in resp.json():
        assert resp.json()["authorization"] == auth


def test_the_challenge_url_is_on_cardnet(client: Client) -> None:
    body = {**cassette("authorize_challenge")["request"]["body"],
            "return_url": config().urls["wallet"] + "/pay/return/"}  # fmt: skip
    data = post(client, "/api/v1/authorizations", body, new_key()).json()
    assert data["challenge_url"].startswith(config().urls["cardnet"] + "/challenge/")
