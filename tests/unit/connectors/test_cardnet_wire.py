"""cardnet's wire format against recorded cassettes: what is sent, and how answers read."""

from __future__ import annotations

import contextlib
import dataclasses
from typing import Any
from urllib.parse import urlsplit

import pytest

from tests.unit.connectors.support import BASE, CARD, answer, cassette, cassettes, connector
from zhifu.connectors import base
from zhifu.connectors.cardnet import wire
from zhifu.kernel import http
from zhifu.kernel.money import Money

KEY = "pay_01:authorize:1"


def request_for(name: str) -> Any:
    """The contract's request that the cassette recorded on the wire."""
    body = cassette(name)["request"].get("body", {})
    money = Money(body["amount"], body["currency"]) if "amount" in body else None
    card = dataclasses.replace(CARD, number=body.get("number", CARD.number))  # cardnet's test card
    flow = name.split("_")[0]
    if flow == "verify":
        return base.VerifyRequest(KEY, card, body.get("return_url", ""))
    if flow == "authorize":
        assert money is not None
        return base.AuthorizeRequest(KEY, card, money, body.get("return_url", ""))
    if flow == "capture":
        assert money is not None
        return base.CaptureRequest(KEY, "auth_01", money)
    if flow == "void":
        return base.VoidRequest(KEY, "auth_01")
    if flow == "refund":
        assert money is not None
        return base.RefundRequest(KEY, "auth_01", money)
    return base.StatusRequest(KEY)


def call(name: str) -> tuple[Any, http.MockTransport]:
    recorded = cassette(name)["response"]
    transport = http.MockTransport(lambda r: answer(recorded["status"], recorded["body"]))
    method = getattr(connector(transport), name.split("_")[0])
    return method(request_for(name)), transport


ALL = cassettes("")


@pytest.mark.parametrize("name", ALL)
def test_each_flow_sends_what_the_cassette_recorded(name: str) -> None:
    recorded = cassette(name)["request"]
    [sent] = call_transport(name).requests
    assert sent.method == recorded["method"]
    assert urlsplit(sent.url)._replace(path="").geturl() == BASE
    assert urlsplit(sent.url).path == recorded["path"]
    assert sent.header("authorization") == "Bearer api-k3y"
    assert sent.header("idempotency-key") == KEY
    if recorded["method"] == "POST":
        assert sent.header("content-type") == "application/json"
        assert sent.json_body() == recorded["body"]
    else:
        assert sent.content == b""


def call_transport(name: str) -> http.MockTransport:
    recorded = cassette(name)["response"]
    transport = http.MockTransport(lambda r: answer(recorded["status"], recorded["body"]))
    method = getattr(connector(transport), name.split("_")[0])
    with contextlib.suppress(base.NetworkError):
        method(request_for(name))
    return transport


@pytest.mark.parametrize("name", ALL)
def test_each_answer_reads_as_the_cassette_expects(name: str) -> None:
    expect = cassette(name)["expect"]
    if "refused" in expect:
        with pytest.raises(base.Refused) as refused:
            call(name)
        assert refused.value.decline_code is base.DeclineCode(expect["refused"])
        assert refused.value.reference == expect["reference"]
        return
    if "error" in expect:
        with pytest.raises(getattr(base, expect["error"])):
            call(name)
        return
    result, _ = call(name)
    assert result.status is base.NetworkStatus(expect["status"])
    if "reference" in expect:
        assert result.reference == expect["reference"]
    if "amount" in expect:
        assert result.amount == Money(*expect["amount"])
    assert getattr(result, "challenge_url", "") == expect.get("challenge_url", "")
    if "flow" in expect:
        assert result.flow is base.Flow(expect["flow"])
    if "decline_code" in expect:
        assert result.decline_code is base.DeclineCode(expect["decline_code"])
    if hasattr(result, "authorization"):
        assert result.authorization == "auth_01"


def test_every_flow_has_a_cassette() -> None:
    flows = {name.split("_")[0] for name in ALL}
    assert flows == {f.value for f in base.Flow} | {"status"}


@pytest.mark.parametrize("value", ["maybe", "", None, 1, "APPROVED", "approved "])
def test_an_unknown_status_is_an_error_never_a_default(value: object) -> None:
    with pytest.raises(base.OutcomeUnknown, match="unknown card-network status"):
        wire.status_of(value)


@pytest.mark.parametrize(
    ("flow", "status"),
    [
        ("verify", "authorized"),
        ("verify", "pending"),
        ("capture", "authorized"),
        ("void", "captured"),
        ("refund", "approved"),
        ("authorize", "captured"),
    ],
)
def test_a_status_a_flow_cannot_answer_is_an_unknown_outcome(flow: str, status: str) -> None:
    body = {"id": "x", "authorization": "auth_01", "status": status, "amount": 1, "currency": "EUR"}
    transport = http.MockTransport(lambda r: answer(200, body))
    name = next(n for n in ALL if n.startswith(flow))
    with pytest.raises(base.OutcomeUnknown, match="cannot be"):
        getattr(connector(transport), flow)(request_for(name))


def test_an_answer_for_another_authorization_is_an_unknown_outcome() -> None:
    body = {"id": "cap_9", "authorization": "auth_99", "status": "captured", "amount": 1000,
            "currency": "EUR"}  # fmt: skip
    transport = http.MockTransport(lambda r: answer(200, body))
    with pytest.raises(base.OutcomeUnknown, match="another authorization"):
        connector(transport).capture(request_for("capture_captured"))


@pytest.mark.parametrize(
    "body",
    [
        {"id": "a", "status": "authorized"},
        {"id": "a", "status": "authorized", "amount": "12.50", "currency": "EUR"},
        {"id": "a", "status": "authorized", "amount": 1250, "currency": "ZZZ"},
    ],
)
def test_an_authorization_without_a_usable_amount_is_an_unknown_outcome(body: Any) -> None:
    transport = http.MockTransport(lambda r: answer(200, body))
    with pytest.raises(base.OutcomeUnknown, match="amount"):
        connector(transport).authorize(request_for("authorize_authorized"))


def test_a_reference_in_a_path_is_quoted() -> None:
    request = wire.capture_request(BASE, "k", base.CaptureRequest("k1", "../x?y", Money(1, "EUR")))
    assert urlsplit(request.url).path == "/api/v1/authorizations/..%2Fx%3Fy/captures"
    with pytest.raises(ValueError, match="empty"):
        wire.void_request(BASE, "k", base.VoidRequest("k1", ""))


def test_a_request_without_an_idempotency_key_is_never_sent() -> None:
    with pytest.raises(ValueError, match="idempotency key"):
        wire.verify_request(BASE, "k", base.VerifyRequest("", CARD))
