"""Pure rules of the payment password and security questions."""

from __future__ import annotations

import datetime as dt

import pytest

from zhifu.credentials import domain
from zhifu.credentials.domain import QuestionChoice as Q


def test_the_common_pin_list_has_100_entries() -> None:
    assert len(domain.common_pins()) == 100
    assert all(len(p) == 6 and p.isdigit() for p in domain.common_pins())


@pytest.mark.parametrize("pin", ["000000", "999999", "012345", "543210", "789012", "210987"])
def test_repeated_and_sequential_pins_are_weak(pin: str) -> None:
    assert domain.pin_problems(pin) in (["repeated"], ["sequential"])


@pytest.mark.parametrize("pin", sorted(domain.common_pins()))
def test_every_common_pin_is_refused(pin: str) -> None:
    assert domain.pin_problems(pin) != []


def test_a_good_pin_passes() -> None:
    assert domain.pin_problems("583920", "583920") == []


def test_normalize_answer() -> None:
    assert domain.normalize_answer("  Новый   Орлеан\t") == "новый орлеан"
    assert domain.normalize_answer(
        "\uff33\uff34\uff32\uff21\uff33\uff33\uff25"
    ) == domain.normalize_answer("strasse")
    assert domain.normalize_answer("Straße") == "strasse"


def test_question_problems() -> None:
    choices = [Q("first_pet", "a"), Q("first_pet", " A "), Q("nope", "x@y.z")]
    assert domain.question_problems(choices, "X@Y.Z") == {
        1: ["duplicate_question", "duplicate_answer"],
        2: ["unknown_question", "answer_is_email"],
    }


def test_lockout_counts_and_expires() -> None:
    now = dt.datetime(2026, 1, 1, tzinfo=dt.UTC)
    state = domain.AttemptState(0, None)
    for _ in range(4):
        state = domain.after_failure(state, now)
    assert state == domain.AttemptState(4, None)
    state = domain.after_failure(state, now)
    assert state.locked_until == now + dt.timedelta(hours=3)
    assert domain.is_locked(state, now + dt.timedelta(hours=2))
    assert not domain.is_locked(state, now + dt.timedelta(hours=3))
    assert domain.after_failure(state, now + dt.timedelta(hours=3)).failures == 1
