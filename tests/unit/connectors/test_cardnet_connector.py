"""The cardnet connector over a transport: what it sends, and what each failure means."""

from __future__ import annotations

import datetime as dt
import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, ClassVar

import pytest
import time_machine

from tests.unit.connectors.support import (
    BASE,
    CARD,
    answer,
    challenge_signer,
    connector,
    replaying,
)
from zhifu.connectors import base
from zhifu.connectors.cardnet import wire
from zhifu.kernel import http, signing

REQUEST = base.VerifyRequest("card_01:verify", CARD)


def test_an_approval_is_read_and_the_request_carries_the_keys_and_the_card() -> None:
    transport = replaying("verify_approved")
    result = connector(transport).verify(REQUEST)
    assert (result.status, result.reference) == (base.NetworkStatus.APPROVED, "ver_01")
    [sent] = transport.requests
    assert sent.header("authorization") == "Bearer api-k3y"
    assert sent.header("idempotency-key") == "card_01:verify"
    assert sent.json_body() == {
        "number": "4242424242424242",
        "exp_month": 12,
        "exp_year": 2030,
        "cvc": "739",
        "holder_name": "ANNA IVANOVA",
    }


def test_a_decline_keeps_its_code_and_unknown_codes_are_other() -> None:
    body = {"id": "v", "status": "declined", "decline_code": "stolen_card"}
    transport = http.MockTransport(lambda r: answer(200, body))
    with pytest.raises(base.Refused) as refused:
        connector(transport).verify(REQUEST)
    assert refused.value.decline_code is base.DeclineCode.STOLEN_CARD
    body["decline_code"] = "brand_new_code"
    with pytest.raises(base.Refused) as refused:
        connector(transport).verify(REQUEST)
    assert refused.value.decline_code is base.DeclineCode.OTHER


def failing(error: http.TransportError) -> http.MockTransport:
    def handler(request: http.Request) -> http.Response:
        raise error

    return http.MockTransport(handler)


@pytest.mark.parametrize(
    "error", [http.ReadTimeout("no answer"), http.ConnectionLost("reset by peer")]
)
def test_no_answer_after_sending_is_an_unknown_outcome(error: http.TransportError) -> None:
    with pytest.raises(base.OutcomeUnknown, match="did not answer"):
        connector(failing(error)).verify(REQUEST)


@pytest.mark.parametrize(
    "error",
    [
        http.ConnectFailed("connection refused"),
        http.ConnectTimeout("no connection"),
        http.AddressRefused("10.0.0.1 may not be reached"),
    ],
)
def test_no_connection_is_network_unavailable_nothing_was_sent(
    error: http.TransportError,
) -> None:
    with pytest.raises(base.NetworkUnavailable):
        connector(failing(error)).verify(REQUEST)


@pytest.mark.parametrize(
    ("status", "body", "headers", "error"),
    [
        (500, {"error": "boom"}, None, base.OutcomeUnknown),
        (503, b"", None, base.OutcomeUnknown),
        (401, {"error": {"code": "unauthorized"}}, None, base.NetworkUnavailable),
        (400, {"error": {"code": "invalid_request"}}, None, base.NetworkUnavailable),
        (409, {"error": {"code": "in_flight"}}, None, base.OutcomeUnknown),
        (302, b"", {"Location": "http://example.com/steal"}, base.OutcomeUnknown),
        (200, b"<html>", None, base.OutcomeUnknown),
        (200, {"status": "maybe"}, None, base.OutcomeUnknown),
        (200, [1, 2], None, base.OutcomeUnknown),
        (200, {"id": "v", "status": "challenge", "challenge_url": "http://evil.test/c/"}, None,
         base.OutcomeUnknown),
    ],
)  # fmt: skip
def test_anything_unusable_is_an_error_never_approved(
    status: int, body: Any, headers: dict[str, str] | None, error: type[Exception]
) -> None:
    transport = http.MockTransport(lambda r: answer(status, body, headers))
    with pytest.raises(error):
        connector(transport).verify(REQUEST)
    assert len(transport.requests) == 1  # a redirect is not followed


def test_the_request_repr_hides_the_number_and_cvc() -> None:
    for value in (REQUEST, CARD, wire.verify_request(BASE, "k", REQUEST)):
        text = repr(value)
        assert "4242424242424242" not in text
        assert "739" not in text


# --- the challenge answer: its own key, with fallbacks ----------------------------------

T0 = dt.datetime(2026, 12, 1, 9, 0, tzinfo=dt.UTC)


def complete(answer_token: str, signer: signing.Signer | None = None) -> base.VerifyResult:
    request = base.CompleteChallengeRequest("card_01:challenge", "ver_03", answer_token)
    return connector(http.MockTransport(_no_network), signer).complete_challenge(request)


def _no_network(request: http.Request) -> http.Response:
    raise AssertionError("a challenge answer is checked without calling the network")


@pytest.fixture(autouse=True)
def _pinned() -> Iterator[None]:
    with time_machine.travel(T0, tick=False):
        yield


def test_a_confirmed_challenge_approves_and_a_cancelled_one_declines() -> None:
    signer = challenge_signer()
    assert complete(wire.sign_challenge_answer(signer, "ver_03", True)).status is (
        base.NetworkStatus.APPROVED
    )
    with pytest.raises(base.Refused):
        complete(wire.sign_challenge_answer(signer, "ver_03", False))


def test_an_answer_signed_with_a_fallback_key_still_verifies() -> None:
    old = signing.Signer("old-challenge-key", salt=wire.CHALLENGE_RESULT_SALT)
    token = wire.sign_challenge_answer(old, "ver_03", True)
    assert complete(token, challenge_signer("old-challenge-key")).status is (
        base.NetworkStatus.APPROVED
    )
    with pytest.raises(base.ChallengeInvalid):
        complete(token, challenge_signer())  # once the fallback is gone, so is the answer


def test_an_answer_signed_with_the_api_key_is_refused() -> None:
    forged = signing.Signer("api-k3y", salt=wire.CHALLENGE_RESULT_SALT)
    with pytest.raises(base.ChallengeInvalid, match="forged"):
        complete(wire.sign_challenge_answer(forged, "ver_03", True))


@pytest.mark.parametrize("tamper", ["payload", "signature", "reference"])
def test_a_tampered_answer_is_refused(tamper: str) -> None:
    signer = challenge_signer()
    token = wire.sign_challenge_answer(signer, "ver_03", False)
    payload, stamp, signature = token.split(":")
    if tamper == "payload":
        approved = wire.sign_challenge_answer(signer, "ver_03", True).split(":")[0]
        token = f"{approved}:{stamp}:{signature}"
    elif tamper == "signature":
        token = f"{payload}:{stamp}:{signature[::-1]}"
    else:
        token = wire.sign_challenge_answer(signer, "ver_other", True)
    with pytest.raises(base.ChallengeInvalid):
        complete(token)


def test_an_answer_older_than_fifteen_minutes_is_refused() -> None:
    token = wire.sign_challenge_answer(challenge_signer(), "ver_03", True)
    later = T0 + dt.timedelta(seconds=wire.CHALLENGE_MAX_AGE_S + 1)
    with (
        time_machine.travel(later, tick=False),
        pytest.raises(base.ChallengeInvalid, match="expired"),
    ):
        complete(token)


# --- one end-to-end call over the real transport ----------------------------------------


class Handler(BaseHTTPRequestHandler):
    received: ClassVar[list[Any]] = []

    def do_POST(self) -> None:
        body = self.rfile.read(int(self.headers["Content-Length"]))
        Handler.received.append((self.headers, json.loads(body)))
        content = json.dumps({"id": "ver_1", "status": "approved", "decline_code": None}).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(content)))
        self.end_headers()
        self.wfile.write(content)

    def log_message(self, *args: Any) -> None:
        pass


@pytest.fixture
def server() -> Iterator[str]:
    Handler.received = []
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    httpd.daemon_threads = True
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}"
    httpd.shutdown()
    httpd.server_close()


def test_the_connector_talks_to_a_local_cardnet_over_the_real_transport(server: str) -> None:
    from zhifu.connectors.cardnet import CardnetConnector

    allowed = CardnetConnector(
        http.HttpTransport(allowed_networks=http.LOOPBACK), server, "k3y", challenge_signer()
    )
    assert allowed.verify(REQUEST).reference == "ver_1"
    headers, body = Handler.received[0]
    assert headers["Authorization"] == "Bearer k3y"
    assert headers["Idempotency-Key"] == "card_01:verify"
    assert body["number"] == "4242424242424242"
    refused = CardnetConnector(http.HttpTransport(), server, "k3y", challenge_signer())
    with pytest.raises(base.NetworkUnavailable):
        refused.verify(REQUEST)  # loopback is refused unless allowed
    assert len(Handler.received) == 1
