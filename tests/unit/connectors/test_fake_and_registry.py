"""The programmable fake network (every flow) and the registry's choice."""

from __future__ import annotations

import pytest

from tests.unit.connectors.support import API_KEY, BASE, CARD, CHALLENGE_KEY
from zhifu.connectors import base, registry
from zhifu.connectors.cardnet import CardnetConnector
from zhifu.connectors.fake import FakeCardNetwork
from zhifu.kernel import http
from zhifu.kernel.money import Money

EUR = Money(1250, "EUR")


def test_the_fake_approves_and_keeps_the_books_of_every_flow() -> None:
    fake = FakeCardNetwork()
    assert fake.verify(base.VerifyRequest("v1", CARD)).status is base.NetworkStatus.APPROVED
    auth = fake.authorize(base.AuthorizeRequest("a1", CARD, EUR))
    assert (auth.status, auth.amount) == (base.NetworkStatus.AUTHORIZED, EUR)
    capture = fake.capture(base.CaptureRequest("c1", auth.reference, Money(1000, "EUR")))
    assert capture.status is base.NetworkStatus.CAPTURED
    with pytest.raises(base.Refused):  # more than is left to capture
        fake.capture(base.CaptureRequest("c2", auth.reference, Money(251, "EUR")))
    with pytest.raises(base.Refused):  # more than was captured
        fake.refund(base.RefundRequest("r1", auth.reference, Money(1001, "EUR")))
    refund = fake.refund(base.RefundRequest("r2", auth.reference, Money(1000, "EUR")))
    assert refund.status is base.NetworkStatus.REFUNDED
    with pytest.raises(base.Refused):  # captured: too late to void
        fake.void(base.VoidRequest("x1", auth.reference))
    other = fake.authorize(base.AuthorizeRequest("a2", CARD, EUR))
    assert fake.void(base.VoidRequest("x2", other.reference)).status is base.NetworkStatus.VOIDED
    assert fake.seen_cvcs == ["739", "739", "739"]


def test_the_fake_acts_once_per_idempotency_key_and_finds_operations_by_it() -> None:
    fake = FakeCardNetwork()
    first = fake.authorize(base.AuthorizeRequest("pay_1:authorize:1", CARD, EUR))
    again = fake.authorize(base.AuthorizeRequest("pay_1:authorize:1", CARD, EUR))
    assert again == first
    found = fake.status(base.StatusRequest("pay_1:authorize:1"))
    assert (found.flow, found.status, found.reference) == (
        base.Flow.AUTHORIZE, base.NetworkStatus.AUTHORIZED, first.reference,
    )  # fmt: skip
    with pytest.raises(base.NetworkUnavailable):
        fake.status(base.StatusRequest("never-sent"))


def test_the_fake_is_programmable_per_flow() -> None:
    fake = FakeCardNetwork()
    fake.program(base.Flow.VERIFY, CARD.number, base.Refused(base.DeclineCode.INCORRECT_CVC))
    fake.program(base.Flow.AUTHORIZE, CARD.number, base.OutcomeUnknown("timeout"))
    fake.program(base.Flow.CAPTURE, "auth_1", base.NetworkUnavailable("down"))
    with pytest.raises(base.Refused):
        fake.verify(base.VerifyRequest("v1", CARD))
    with pytest.raises(base.OutcomeUnknown):
        fake.authorize(base.AuthorizeRequest("a1", CARD, EUR))
    with pytest.raises(base.NetworkUnavailable):
        fake.capture(base.CaptureRequest("c1", "auth_1", EUR))
    assert fake.calls == 3


def test_the_fake_challenge_answers_like_the_buyers_buttons() -> None:
    fake = FakeCardNetwork()
    ok = fake.complete_challenge(base.CompleteChallengeRequest("k", "ver_1", "approve"))
    assert ok.status is base.NetworkStatus.APPROVED
    with pytest.raises(base.Refused):
        fake.complete_challenge(base.CompleteChallengeRequest("k", "ver_1", "decline"))
    with pytest.raises(base.ChallengeInvalid):
        fake.complete_challenge(base.CompleteChallengeRequest("k", "ver_1", "forged"))


def settings_read() -> registry.CardnetSettings:
    return registry.CardnetSettings(
        BASE, API_KEY, CHALLENGE_KEY, transport=http.MockTransport(lambda r: http.Response(500))
    )


def test_the_registry_builds_the_network_the_settings_name() -> None:
    built = registry.card_network("cardnet", settings_read)
    assert isinstance(built, CardnetConnector)
    assert built.base_url == BASE
    assert isinstance(registry.card_network("fake", settings_read), FakeCardNetwork)
    configured = FakeCardNetwork()
    assert registry.card_network(configured, settings_read) is configured
    with pytest.raises(ValueError, match="unknown card network 'visa'"):
        registry.card_network("visa", settings_read)


def test_the_fake_needs_no_cardnet_settings() -> None:
    def unreadable() -> registry.CardnetSettings:
        raise AssertionError("cardnet's settings are read only when cardnet is chosen")

    assert isinstance(registry.card_network("fake", unreadable), FakeCardNetwork)


def test_connector_errors_are_refusals_with_stable_codes() -> None:
    from zhifu.kernel.errors import Refusal, codes_of

    codes = codes_of(base.NetworkError)
    assert set(codes) >= {c.value for c in base.ConnectorCode}
    refused = base.Refused(base.DeclineCode.STOLEN_CARD, "ver_1")
    assert isinstance(refused, Refusal)
    assert refused.as_error()["code"] == "network_refused"
