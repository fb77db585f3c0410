"""Helpers for the vault's wallet tests: buyers, card input, a fake network, the key ring."""

from __future__ import annotations

import random
from pathlib import Path
from typing import Any

import pytest
from stdnum import luhn

from zhifu.connectors.fake import FakeCardNetwork
from zhifu.vault import domain, keys, services

VISA = "4242424242424242"
MASTERCARD = "5555555555554444"
AMEX = "378282246310005"

# Prefix and length for generating numbers of every scheme (the canary test).
GENERATORS: list[tuple[str, int]] = [
    ("4", 16), ("4", 13), ("4", 19), ("51", 16), ("55", 16), ("2221", 16), ("2720", 16),
    ("34", 15), ("37", 15), ("62", 16), ("62", 19), ("3528", 16), ("3589", 16),
    ("2200", 16), ("2204", 19), ("6759", 16), ("50", 16), ("6011", 16), ("644", 16),
    ("36", 14), ("300", 16), ("506699", 16), ("650031", 16), ("606282", 16), ("3841", 16),
    ("508500", 16), ("652150", 16), ("9792", 16),
]  # fmt: skip


def generate_numbers(
    count: int, seed: int = 4242, avoid_last4: set[str] = frozenset()
) -> list[str]:  # type: ignore[assignment]
    rng = random.Random(seed)
    seen: set[str] = set()
    out: list[str] = []
    while len(out) < count:
        prefix, length = GENERATORS[len(out) % len(GENERATORS)]
        body = prefix + "".join(rng.choice("0123456789") for _ in range(length - len(prefix) - 1))
        number = body + luhn.calc_check_digit(body)
        if number in seen or number[-4:] in avoid_last4 or number[:4] in avoid_last4:
            continue
        domain.parse_number(number)  # every generated number is a valid card
        seen.add(number)
        out.append(number)
    return out


def card_input(number: str = VISA, **overrides: str) -> services.CardInput:
    scheme = domain.detect_scheme(number)
    values = {
        "number": number,
        "expiry": "12/30",
        "holder_name": "ANNA IVANOVA",
        "cvc": "7391" if scheme is domain.Scheme.AMEX else "739",
        "label": "",
    }
    values.update(overrides)
    return services.CardInput(**values)


class Buyer:
    """Enough of a user for the services (which only need pk and email)."""

    def __init__(self, pk: int, email: str = "", locale: str = "en") -> None:
        self.pk = pk
        self.email = email
        self.locale = locale


@pytest.fixture
def network() -> FakeCardNetwork:
    return FakeCardNetwork()


@pytest.fixture
def ring_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A private copy of the key ring file, so rotation tests do not touch the others."""
    original = keys.ring_file()
    copy = tmp_path / "vault_master_keys"
    copy.write_text(original.read_text())
    copy.chmod(0o600)
    monkeypatch.setattr(keys, "ring_file", lambda: copy)
    keys.forget_cached_ring()
    yield copy
    keys.forget_cached_ring()


def dump_any(value: Any) -> str:
    return str(value)
