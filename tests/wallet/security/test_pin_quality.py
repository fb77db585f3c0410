"""docs/security.md SEC-13, payment password: every weak value is refused with a reason.

tests/wallet/credentials checks the rules on samples; this goes through the registration
form for the whole classes: all 10 repeated-digit PINs, all 20 ascending and descending runs
(wrapping past 9), and every one of the 100 most common PINs — each refused on the PIN field
with a sentence that says why. (The wallet does not know buyers' birth dates, so that part of
the row has nothing to check against.)
"""

from __future__ import annotations

import pytest
from django.utils import translation

from zhifu.accounts.forms import RegistrationForm
from zhifu.credentials import domain
from zhifu.credentials.errors import PIN_MESSAGES

REPEATED = [str(d) * 6 for d in range(10)]
ASCENDING = ["".join(str((start + i) % 10) for i in range(6)) for start in range(10)]
DESCENDING = [pin[::-1] for pin in ASCENDING]
ANSWERS = {
    "question_1": "first_pet",
    "answer_1": "Barsik",
    "question_2": "birth_city",
    "answer_2": "Tver",
    "question_3": "favourite_book",
    "answer_3": "Oblomov",
}


def _pin_errors(pin: str) -> list[str]:
    with translation.override("en"):
        form = RegistrationForm({**ANSWERS, "pin": pin, "pin_repeat": pin}, email="b@example.com")
        assert not form.is_valid(), f"{pin} was accepted"
        return [str(m) for m in form.errors.get("pin", [])]


def _reasons() -> dict[str, str]:
    with translation.override("en"):
        return {code: str(message) for code, message in PIN_MESSAGES.items()}


@pytest.mark.parametrize(
    ("pins", "code"),
    [(REPEATED, "repeated"), (ASCENDING + DESCENDING, "sequential")],
    ids=["repeated", "sequential"],
)
def test_every_repeated_and_sequential_pin_is_refused_with_its_reason(
    pins: list[str], code: str
) -> None:
    assert len(set(pins)) == len(pins) == (10 if code == "repeated" else 20)
    reason = _reasons()[code]
    for pin in pins:
        assert _pin_errors(pin) == [reason], pin


def test_each_of_the_100_most_common_pins_is_refused_with_a_reason() -> None:
    common = sorted(domain.common_pins())
    assert len(common) == 100
    reasons = _reasons()
    weak = {reasons["common"], reasons["repeated"], reasons["sequential"]}
    for pin in common:
        errors = _pin_errors(pin)
        assert len(errors) == 1, (pin, errors)
        assert errors[0] in weak, (pin, errors)
        # Not merely refused: the sentence matches why.
        expected = (
            "repeated" if pin in REPEATED else "sequential" if pin in ASCENDING + DESCENDING
            else "common"
        )  # fmt: skip
        assert errors[0] == reasons[expected], (pin, errors)


def test_a_pin_outside_every_class_is_accepted() -> None:
    with translation.override("en"):
        form = RegistrationForm(
            {**ANSWERS, "pin": "583920", "pin_repeat": "583920"}, email="b@example.com"
        )
        assert form.is_valid(), form.errors
