"""Issue 9, finding 7: one buyer could stall the wallet through a slow card network.

cardnet's no-answer card (docs/test-cards.md) is played by a transport that blocks until
the test releases it (threading.Event, no sleeps): one verification in flight per buyer,
a bounded number of outbound calls per process, and pages that answer while every slot
is taken.
"""

from __future__ import annotations

import dataclasses
import threading
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from django.db import connections
from django.test import Client
from pydantic import ValidationError

from tests.wallet.accounts.support import GOOD_PIN, registered_buyer, sign_in
from tests.wallet.stepup import adding
from tests.wallet.vault.support import VISA, Buyer, card_input
from zhifu.config import outbound
from zhifu.config.environment import ConfigurationError, Environment
from zhifu.config.site import config
from zhifu.kernel import clock, http
from zhifu.vault import services
from zhifu.vault.models import VerificationLease

pytestmark = pytest.mark.django_db(transaction=True, databases=["default", "vault"])

NO_ANSWER = "4000000000000036"  # cardnet's "no answer in time" test card
BOUND_S = 30.0  # a generous bound on waiting for a condition, never a timing assertion


class HangingNetwork:
    """cardnet over a MockTransport: the no-answer card blocks until ``release``."""

    def __init__(self) -> None:
        self.release = threading.Event()
        self._lock = threading.Lock()
        self.waiting = 0
        self.calls = 0
        self.transport = http.MockTransport(self._handle)

    def _handle(self, request: http.Request) -> http.Response:
        with self._lock:
            self.calls += 1
        if request.json_body()["number"] == NO_ANSWER:
            with self._lock:
                self.waiting += 1
            try:
                if not self.release.wait(BOUND_S):
                    raise http.ReadTimeout("released by nobody")
            finally:
                with self._lock:
                    self.waiting -= 1
            raise http.ReadTimeout("cardnet did not answer")
        body = {"id": "ver_1", "status": "approved", "decline_code": None}
        return http.Response.json_of(200, body)

    def blocked(self, count: int) -> bool:
        return wait_for(lambda: self.waiting >= count)


def wait_for(condition: Callable[[], bool]) -> bool:
    done = threading.Event()
    for _ in range(int(BOUND_S * 100)):
        if condition():
            return True
        done.wait(0.01)
    return condition()


@pytest.fixture
def hanging(settings: Any) -> Iterator[HangingNetwork]:
    network = HangingNetwork()
    settings.ZHIFU_CARD_NETWORK = "cardnet"
    settings.ZHIFU_HTTP_TRANSPORT = network.transport
    yield network
    network.release.set()


class InFlight:
    """add_card in threads of their own; ``results`` holds what each returned or raised."""

    def __init__(self) -> None:
        self.threads: list[threading.Thread] = []
        self.results: list[object] = []

    def start(self, owner: Buyer, number: str = NO_ANSWER) -> None:
        proof = adding(owner)

        def run() -> None:
            try:
                self.results.append(services.add_card(owner, card_input(number), step_up=proof))
            except Exception as exc:  # the test reads what was raised
                self.results.append(exc)
            finally:
                connections.close_all()

        thread = threading.Thread(target=run, daemon=True)
        thread.start()
        self.threads.append(thread)

    def join(self) -> None:
        for thread in self.threads:
            thread.join(BOUND_S)
            assert not thread.is_alive()


@pytest.fixture
def in_flight(hanging: HangingNetwork) -> Iterator[InFlight]:
    calls = InFlight()
    yield calls
    hanging.release.set()
    calls.join()


def buyers(count: int, first: int = 10**9) -> list[Buyer]:
    """Card owners that are not wallet users: their ids sit far above any user's, so a user
    a test registers (its id from a sequence a long test run has advanced) is never one of
    them."""
    return [Buyer(first + n, f"buyer{n}@example.com") for n in range(count)]


def test_a_second_add_card_of_one_buyer_is_refused_at_once_while_the_first_is_in_flight(
    hanging: HangingNetwork, in_flight: InFlight
) -> None:
    anna, boris = buyers(2)
    in_flight.start(anna)
    assert hanging.blocked(1), in_flight.results
    with pytest.raises(services.VerificationInProgress):
        services.add_card(anna, card_input(VISA), step_up=adding(anna))
    assert hanging.calls == 1  # refused before the network was asked: not queued
    services.add_card(boris, card_input(VISA), step_up=adding(boris))  # others are served
    hanging.release.set()
    in_flight.join()
    assert isinstance(in_flight.results[0], services.NetworkUnavailable)
    card = services.add_card(anna, card_input(VISA), step_up=adding(anna))  # lease released
    assert services.list_cards(anna) == [card]
    assert not VerificationLease.objects.exists()


def test_a_lease_left_by_a_request_that_died_is_taken_over_once_it_expires(
    hanging: HangingNetwork,
) -> None:
    (anna,) = buyers(1)
    VerificationLease.objects.create(
        owner_id=str(anna.pk), card_id="card_dead", expires_at=clock.now() - services.LEASE_FOR
    )
    card = services.add_card(anna, card_input(VISA), step_up=adding(anna))
    assert services.list_cards(anna) == [card]


def test_pages_and_healthz_answer_while_every_outbound_slot_waits_on_the_network(
    client: Client, hanging: HangingNetwork, in_flight: InFlight
) -> None:
    slots = outbound.slots()
    assert slots.capacity == outbound.THREADS_DEFAULT - 1  # one thread is kept for pages
    for owner in buyers(slots.capacity):
        in_flight.start(owner)
    assert hanging.blocked(slots.capacity)
    assert slots.taken == slots.capacity

    assert client.get("/healthz").status_code == 200
    user = registered_buyer("vera@example.com")
    sign_in(client, user)
    assert client.get("/cards/").status_code == 200
    # The next buyer's card is turned away unsent ("busy"), not left waiting for a slot.
    form = {"number": "4242 4242 4242 4242", "expiry": "12/30", "holder_name": "VERA P",
            "cvc": "739", "label": "", "payment_password": GOOD_PIN}  # fmt: skip
    html = client.post("/cards/add/", form).content.decode()
    assert "The card network is busy, so your card was not saved." in html
    assert "Nothing was charged." in html
    assert hanging.calls == slots.capacity  # the busy one never reached the network
    assert hanging.waiting == slots.capacity  # all of them still in flight meanwhile


def test_the_per_process_limit_is_the_configured_number_of_slots(
    settings: Any, hanging: HangingNetwork, in_flight: InFlight
) -> None:
    env = config().env.model_copy(update={"outbound_slots": 2})
    settings.ZHIFU = dataclasses.replace(config(), env=env)
    assert outbound.slots().capacity == 2
    first, second, third = buyers(3)
    in_flight.start(first)
    in_flight.start(second)
    assert hanging.blocked(2)
    with pytest.raises(services.NetworkBusy):
        services.add_card(third, card_input(VISA), step_up=adding(third))
    assert hanging.calls == 2
    hanging.release.set()
    in_flight.join()
    services.add_card(third, card_input(VISA), step_up=adding(third))  # slots given back
    assert outbound.slots().taken == 0


def test_a_second_add_card_is_explained_on_the_page(
    client: Client, hanging: HangingNetwork
) -> None:
    user = registered_buyer("anna@example.com")
    sign_in(client, user)
    VerificationLease.objects.create(
        owner_id=str(user.pk), card_id="card_1", expires_at=clock.now() + services.LEASE_FOR
    )
    form = {"number": "4242 4242 4242 4242", "expiry": "12/30", "holder_name": "ANNA IVANOVA",
            "cvc": "739", "label": "", "payment_password": GOOD_PIN}  # fmt: skip
    html = client.post("/cards/add/", form).content.decode()
    assert "Another card of yours is being checked with your bank right now." in html
    assert hanging.calls == 0


def test_the_card_network_and_oidc_calls_go_through_the_outbound_limit(
    settings: Any,
) -> None:
    settings.ZHIFU_CARD_NETWORK = "cardnet"
    network = outbound.card_network()
    transport = getattr(network, "transport", None)
    assert isinstance(transport, http.LimitedTransport)
    assert transport.slots is outbound.slots()
    oidc = outbound.http_transport(*outbound.OIDC_TIMEOUTS)
    assert isinstance(oidc, http.LimitedTransport)
    assert oidc.slots is outbound.slots()
    for connect, read in (outbound.OIDC_TIMEOUTS, outbound.verify_timeouts()):
        assert outbound.SLOT_WAIT_S + connect + read <= outbound.CALL_BUDGET_S


def test_the_verify_read_timeout_setting_stays_within_the_budget() -> None:
    highest = outbound.VERIFY_READ_MAX_S
    assert Environment(card_verify_read_timeout=highest).card_verify_read_timeout_s == highest
    with pytest.raises(ValidationError):
        Environment(card_verify_read_timeout=highest + 0.5)
    assert Environment(demo=True).card_verify_read_timeout_s == 4.0
    assert Environment(demo=False).card_verify_read_timeout_s == 7.0


def test_slots_equal_to_the_threads_are_refused(settings: Any) -> None:
    env = config().env.model_copy(update={"outbound_slots": outbound.THREADS_DEFAULT})
    settings.ZHIFU = dataclasses.replace(config(), env=env)
    with pytest.raises(ConfigurationError, match="ZHIFU_OUTBOUND_SLOTS"):
        outbound.slots()


@pytest.mark.postgres_only
def test_one_buyer_racing_many_add_cards_gets_exactly_one_verification(
    hanging: HangingNetwork, in_flight: InFlight
) -> None:
    (anna,) = buyers(1)
    start = threading.Barrier(8)
    results: list[object] = []

    def race() -> None:
        proof = adding(anna)
        start.wait(BOUND_S)
        try:
            results.append(services.add_card(anna, card_input(NO_ANSWER), step_up=proof))
        except Exception as exc:  # the test reads what was raised
            results.append(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=race, daemon=True) for _ in range(8)]
    for thread in threads:
        thread.start()
    assert wait_for(lambda: len(results) >= 7)  # every loser is refused without waiting
    assert wait_for(lambda: hanging.waiting == 1)  # the winner reaches the network, alone
    assert len(results) == 7  # and it is still there
    hanging.release.set()
    for thread in threads:
        thread.join(BOUND_S)
    kinds = sorted(type(r).__name__ for r in results)
    assert kinds == ["NetworkUnavailable"] + ["VerificationInProgress"] * 7
