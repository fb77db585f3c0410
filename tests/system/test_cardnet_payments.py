"""The wallet's real CardnetConnector over the real HTTP transport against the real demo's
cardnet (gunicorn, its own SQLite database, migrated by `zhifu demo`): authorize, capture,
refund; the challenge page; the no-answer card timing out and then settled by status.

Nothing asserts a duration: the no-answer card sleeps 30 s, far beyond the 1.5 s read
timeout of that one call, so the timeout is certain, and its authorization is committed
before cardnet sleeps, so the status call finds it. Every other call may take 20 s.
"""

from __future__ import annotations

import re
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Iterator
from http.cookiejar import CookieJar
from pathlib import Path

import pytest

from tests.harness.demo import Demo
from zhifu.connectors import base, registry
from zhifu.connectors.base import Flow, NetworkStatus
from zhifu.connectors.cardnet import CardnetConnector
from zhifu.kernel import http
from zhifu.kernel.money import Money

pytestmark = pytest.mark.slow

CARD = base.CardDetails("4242424242424242", 12, 2030, "739", "ANNA IVANOVA")
RUB = Money(99900, "RUB")
BOUND_S = 20.0  # a bound on an answer that comes, never a timing assertion


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Demo]:
    d = Demo(tmp_path_factory.mktemp("cardnet-payments") / "data")
    try:
        d.start()
        yield d
    finally:
        d.kill_leftovers()


def cardnet(demo: Demo, read_timeout: float) -> CardnetConnector:
    """The connector the wallet builds, with its own secrets read from the demo's files."""
    secrets = demo.data_dir / "secrets"
    return registry.cardnet_connector(
        registry.CardnetSettings(
            base_url=demo.urls["cardnet"],
            api_key=(secrets / "cardnet_api_key").read_text().strip(),
            challenge_key=(secrets / "cardnet_challenge_key").read_text().strip(),
            transport=http.HttpTransport(
                connect_timeout=5.0,
                read_timeout=read_timeout,
                allowed_networks=http.parse_networks(["127.0.0.0/8"]),
            ),
        )
    )


@pytest.fixture(scope="module")
def connector(demo: Demo) -> CardnetConnector:
    # Generous: the machine may be busy; only the no-answer card's call must time out.
    return cardnet(demo, read_timeout=BOUND_S)


def test_authorize_capture_refund_over_http(connector: CardnetConnector) -> None:
    auth = connector.authorize(base.AuthorizeRequest("pay_s1:authorize", CARD, RUB))
    assert (auth.status, auth.amount) == (NetworkStatus.AUTHORIZED, RUB)
    again = connector.authorize(base.AuthorizeRequest("pay_s1:authorize", CARD, RUB))
    assert again == auth  # the same key: the first answer, nothing authorized twice
    cap = connector.capture(base.CaptureRequest("pay_s1:capture", auth.reference, RUB))
    assert cap.status is NetworkStatus.CAPTURED
    refund = connector.refund(
        base.RefundRequest("re_s1:refund", auth.reference, Money(40000, "RUB"))
    )
    assert (refund.status, refund.amount) == (NetworkStatus.REFUNDED, Money(40000, "RUB"))
    with pytest.raises(base.Refused):
        connector.refund(base.RefundRequest("re_s2:refund", auth.reference, RUB))
    told = connector.status(base.StatusRequest("re_s1:refund"))
    assert (told.flow, told.status, told.reference) == (
        Flow.REFUND, NetworkStatus.REFUNDED, refund.reference)  # fmt: skip


def test_the_no_answer_card_times_out_and_status_settles_it(
    demo: Demo, connector: CardnetConnector
) -> None:
    card = base.CardDetails("4000000000000036", 12, 2030, "123")
    with pytest.raises(base.OutcomeUnknown):  # cardnet answers after 30 s: certainly later
        cardnet(demo, read_timeout=1.5).authorize(
            base.AuthorizeRequest("pay_s2:authorize", card, RUB)
        )
    told = connector.status(base.StatusRequest("pay_s2:authorize"))
    assert (told.flow, told.status, told.amount) == (Flow.AUTHORIZE, NetworkStatus.AUTHORIZED, RUB)
    voided = connector.void(base.VoidRequest("pay_s2:void", told.reference))
    assert voided.status is NetworkStatus.VOIDED


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args: object, **kwargs: object) -> None:
        return None


def test_the_challenge_page_confirms_the_payment(demo: Demo, connector: CardnetConnector) -> None:
    card = base.CardDetails("4000000000003220", 12, 2030, "123")
    return_url = demo.urls["wallet"] + "/pay/pay_s3/challenge/"
    auth = connector.authorize(base.AuthorizeRequest("pay_s3:authorize", card, RUB, return_url))
    assert auth.status is NetworkStatus.CHALLENGE
    jar = CookieJar()
    browser = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar), _NoRedirect())
    with browser.open(auth.challenge_url, timeout=BOUND_S) as page:
        html = page.read().decode()
    assert "999" in html
    match = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', html)
    assert match, html
    form = urllib.parse.urlencode({"csrfmiddlewaretoken": match[1], "decision": "confirm"})
    with pytest.raises(urllib.error.HTTPError) as redirect:
        browser.open(auth.challenge_url, form.encode(), timeout=BOUND_S)
    assert redirect.value.code == 302
    location = redirect.value.headers["Location"]
    assert location.startswith(return_url + "?result=")
    answer = urllib.parse.unquote(location.split("?result=", 1)[1])
    done = connector.complete_challenge(
        base.CompleteChallengeRequest("pay_s3:challenge", auth.reference, answer)
    )
    assert done.status is NetworkStatus.APPROVED
    told = connector.status(base.StatusRequest("pay_s3:authorize"))
    assert (told.status, told.reference) == (NetworkStatus.AUTHORIZED, auth.reference)


def test_secrets_stay_out_of_cardnets_database(demo: Demo) -> None:
    import sqlite3

    path: Path = demo.data_dir / "cardnet.sqlite3"
    dump = "\n".join(sqlite3.connect(f"file:{path}?mode=ro", uri=True).iterdump())
    assert "auth_" in dump
    for secret in ("4242424242424242", "4000000000000036", "4000000000003220", '"739"'):
        assert secret not in dump
