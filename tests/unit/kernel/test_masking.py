from __future__ import annotations

import io
import logging

import pytest
import structlog

from zhifu.config.logging import apply, logging_dict
from zhifu.kernel.masking import luhn_valid, mask_card_numbers

VISA = "4111111111111111"


@pytest.mark.parametrize(
    "text",
    [
        f"card {VISA} declined",
        "card 4111 1111 1111 1111 declined",
        "card 4111-1111-1111-1111 declined",
        "amex 378282246310005.",
        "unionpay 6200000000000005 ok",
        "nineteen digits 6759649826438453128",  # Maestro, valid Luhn
    ],
)
def test_luhn_valid_card_numbers_are_masked(text: str) -> None:
    masked = mask_card_numbers(text)
    digits = "".join(ch for ch in masked if ch.isdigit())
    assert "••••" in masked
    assert len(digits) == 8  # first four and last four only


@pytest.mark.parametrize(
    "text",
    [
        "order 4111111111111112 (fails Luhn)",
        "timestamp 20261126024017",  # 14 digits, not Luhn-valid
        "phone +7 999 123 45 67",
        "short 411111111111",
        "twenty digits 41111111111111111111",
    ],
)
def test_other_numbers_stay_readable(text: str) -> None:
    assert mask_card_numbers(text) == text


def test_a_card_number_beside_other_numbers_is_found() -> None:
    assert mask_card_numbers("x 19 4111 1111 1111 1111 2024 y") == "x 19 4111 •••• 1111 2024 y"


def test_luhn() -> None:
    assert luhn_valid(VISA)
    assert not luhn_valid("4111111111111112")
    assert not luhn_valid("41111x")


def test_log_output_never_contains_a_card_number() -> None:
    stream = io.StringIO()
    config = logging_dict("INFO", "json")
    config["handlers"]["console"]["stream"] = stream
    apply(config)
    structlog.get_logger("test").info("charge", card=VISA, note=f"pan={VISA}", nested=[VISA])
    logging.getLogger("django.request").error("boom %s", VISA)
    try:
        raise ValueError(f"bad card {VISA}")
    except ValueError:
        logging.getLogger("x").exception("failed")
    output = stream.getvalue()
    assert output.count("4111 •••• 1111") >= 4
    assert VISA not in output
