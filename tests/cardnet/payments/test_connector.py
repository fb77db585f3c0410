"""The wallet's real CardnetConnector (over zhifu.kernel.http) against the real cardnet
site: the wire format both sides speak, flow by flow, including the no-answer card that
only a later status call settles, and the challenge the connector's own signer checks."""

from __future__ import annotations

from urllib.parse import unquote, urlsplit

import pytest
from django.test import Client

from tests.cardnet.payments.support import CHALLENGE_CARD, TIMEOUT_CARD, WALLET_RETURN
from zhifu.cardnet import api
from zhifu.config.site import config
from zhifu.connectors import base, registry
from zhifu.connectors.base import DeclineCode, Flow, NetworkStatus
from zhifu.connectors.cardnet import CardnetConnector
from zhifu.kernel import http
from zhifu.kernel.money import Money

pytestmark = pytest.mark.django_db

CARD = base.CardDetails("4242424242424242", 12, 2030, "739", "ANNA IVANOVA")
EUR = Money(1250, "EUR")


class NoAnswer(Exception):
    """cardnet went to sleep on the no-answer card: the client's read timeout fires."""


class DjangoClientTransport:
    """kernel.http's Transport over Django's test client: the request reaches cardnet's
    views exactly as the wire brings it (method, percent-encoded path, headers, bytes)."""

    def __init__(self, client: Client) -> None:
        self.client = client

    def handle(self, request: http.Request) -> http.Response:
        url = urlsplit(request.url)
        assert f"{url.scheme}://{url.netloc}" == config().urls["cardnet"]
        headers = {k: v for k, v in request.headers.items() if k != "content-type"}
        try:
            resp = self.client.generic(
                request.method,
                url.path,
                request.content,
                content_type=request.header("content-type") or "application/octet-stream",
                headers=headers,
            )
        except NoAnswer:
            raise http.ReadTimeout("no answer within the read timeout") from None
        return http.Response(resp.status_code, dict(resp.items()), resp.content)


@pytest.fixture
def connector(client: Client, monkeypatch: pytest.MonkeyPatch) -> CardnetConnector:
    def sleep(seconds: float) -> None:
        raise NoAnswer  # the answer would come after the wallet stopped waiting

    monkeypatch.setattr(api.time, "sleep", sleep)
    cfg = config()
    return registry.cardnet_connector(  # the wallet's own construction of it
        registry.CardnetSettings(
            base_url=cfg.urls["cardnet"],
            api_key=cfg.secret("cardnet_api_key").reveal(),
            challenge_key=cfg.secret("cardnet_challenge_key").reveal(),
            transport=DjangoClientTransport(client),
        )
    )


def test_authorize_capture_refund(connector: CardnetConnector) -> None:
    auth = connector.authorize(base.AuthorizeRequest("pay_1:authorize", CARD, EUR))
    assert (auth.status, auth.amount) == (NetworkStatus.AUTHORIZED, EUR)
    cap = connector.capture(
        base.CaptureRequest("pay_1:capture", auth.reference, Money(1000, "EUR"))
    )
    assert (cap.status, cap.authorization, cap.amount) == (
        NetworkStatus.CAPTURED, auth.reference, Money(1000, "EUR"))  # fmt: skip
    refund = base.RefundRequest("re_1:refund", auth.reference, Money(600, "EUR"))
    first = connector.refund(refund)
    assert first.status is NetworkStatus.REFUNDED
    assert connector.refund(refund) == first  # a retry acts once
    with pytest.raises(base.Refused) as over:
        connector.refund(base.RefundRequest("re_2:refund", auth.reference, Money(401, "EUR")))
    assert over.value.decline_code is DeclineCode.OTHER
    assert (
        connector.refund(
            base.RefundRequest("re_3:refund", auth.reference, Money(400, "EUR"))
        ).status
        is NetworkStatus.REFUNDED
    )
    with pytest.raises(base.Refused):
        connector.void(base.VoidRequest("pay_1:void", auth.reference))
    told = connector.status(base.StatusRequest("pay_1:capture"))
    assert (told.flow, told.status, told.reference, told.amount) == (
        Flow.CAPTURE, NetworkStatus.CAPTURED, cap.reference, Money(1000, "EUR"))  # fmt: skip


def test_authorize_then_void(connector: CardnetConnector) -> None:
    auth = connector.authorize(base.AuthorizeRequest("pay_2:authorize", CARD, EUR))
    voided = connector.void(base.VoidRequest("pay_2:void", auth.reference))
    assert voided == base.VoidResult(NetworkStatus.VOIDED, auth.reference)
    with pytest.raises(base.Refused):
        connector.capture(base.CaptureRequest("pay_2:capture", auth.reference, EUR))


def test_a_timeout_is_settled_by_status(connector: CardnetConnector) -> None:
    card = base.CardDetails(TIMEOUT_CARD, 12, 2030, "123")
    with pytest.raises(base.OutcomeUnknown):
        connector.authorize(base.AuthorizeRequest("pay_3:authorize", card, EUR))
    told = connector.status(base.StatusRequest("pay_3:authorize"))
    assert (told.flow, told.status, told.amount) == (Flow.AUTHORIZE, NetworkStatus.AUTHORIZED, EUR)
    cap = connector.capture(base.CaptureRequest("pay_3:capture", told.reference, EUR))
    assert cap.status is NetworkStatus.CAPTURED  # what reconcile does next


@pytest.mark.parametrize(
    ("number", "code"),
    [("4000000000009995", DeclineCode.INSUFFICIENT_FUNDS), ("4000000000000002",
      DeclineCode.DO_NOT_HONOUR), ("4000000000009979", DeclineCode.STOLEN_CARD)],
)  # fmt: skip
def test_declines_carry_their_codes(
    connector: CardnetConnector, number: str, code: DeclineCode
) -> None:
    card = base.CardDetails(number, 12, 2030, "123")
    with pytest.raises(base.Refused) as refused:
        connector.authorize(base.AuthorizeRequest("pay_4:authorize", card, EUR))
    assert refused.value.decline_code is code
    told = connector.status(base.StatusRequest("pay_4:authorize"))
    assert (told.status, told.decline_code) == (NetworkStatus.DECLINED, code)


@pytest.mark.parametrize(("decision", "approved"), [("confirm", True), ("cancel", False)])
def test_the_challenge_through_the_connector(
    connector: CardnetConnector, client: Client, decision: str, approved: bool
) -> None:
    card = base.CardDetails(CHALLENGE_CARD, 12, 2030, "123")
    key = "pay_5:authorize"
    auth = connector.authorize(base.AuthorizeRequest(key, card, EUR, WALLET_RETURN))
    assert auth.status is NetworkStatus.CHALLENGE
    assert connector.status(base.StatusRequest(key)).status is NetworkStatus.CHALLENGE
    page = urlsplit(auth.challenge_url).path
    back = client.post(page, {"decision": decision})["Location"]
    answer = unquote(back.split("?result=", 1)[1])
    request = base.CompleteChallengeRequest("pay_5:challenge", auth.reference, answer)
    told = connector.status(base.StatusRequest(key))
    if approved:
        assert connector.complete_challenge(request).status is NetworkStatus.APPROVED
        assert (told.status, told.reference) == (NetworkStatus.AUTHORIZED, auth.reference)
    else:
        with pytest.raises(base.Refused):
            connector.complete_challenge(request)
        assert told.status is NetworkStatus.DECLINED


def test_nothing_happened_answers(connector: CardnetConnector) -> None:
    with pytest.raises(base.NetworkUnavailable) as unknown:
        connector.status(base.StatusRequest("pay_none:authorize"))
    assert unknown.value.details["error"] == "not_found"
    connector.authorize(base.AuthorizeRequest("pay_6:authorize", CARD, EUR))
    with pytest.raises(base.NetworkUnavailable) as reused:
        connector.authorize(base.AuthorizeRequest("pay_6:authorize", CARD, Money(1, "EUR")))
    assert reused.value.details["error"] == "idempotency_key_reused"
    with pytest.raises(base.NetworkUnavailable):
        connector.capture(base.CaptureRequest("pay_7:capture", "auth_missing", EUR))
