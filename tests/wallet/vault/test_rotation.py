"""`zhifu vault rotate-keys` and `zhifu vault status` (docs/keys.md)."""

from __future__ import annotations

import argparse
from pathlib import Path

import pytest

from tests.wallet.stepup import adding
from tests.wallet.vault.support import Buyer, card_input, generate_numbers
from zhifu.connectors.fake import FakeCardNetwork
from zhifu.vault import commands, crypto, keys, services
from zhifu.vault.models import StoredCard

pytestmark = pytest.mark.django_db(databases=["default", "vault"])


@pytest.fixture
def no_setup(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(commands, "_setup", lambda: None)  # Django is already set up by pytest


def _rotate(**kw: object) -> None:
    commands.cmd_rotate(argparse.Namespace(rewrap_only=False, batch=7, **kw))


def test_after_rotation_every_card_decrypts_and_none_is_on_the_old_version(
    ring_file: Path, network: FakeCardNetwork, no_setup: None, capsys: pytest.CaptureFixture[str]
) -> None:
    numbers = generate_numbers(25, seed=7)
    cards = [
        services.add_card(
            Buyer(i % 5 + 1), card_input(n), network=network, step_up=adding(Buyer(i % 5 + 1))
        )
        for i, n in enumerate(numbers)
    ]
    assert services.status().records_by_version == {1: 25}

    _rotate()

    assert keys.key_ring().versions == (1, 2)
    assert ring_file.stat().st_mode & 0o777 == 0o600
    assert services.status().records_by_version == {1: 0, 2: 25}
    for card, number in zip(cards, numbers, strict=True):
        assert services.reveal_number(card.id, actor="test", purpose="rotation check") == number
    capsys.readouterr()
    commands.cmd_status(argparse.Namespace())
    out = capsys.readouterr().out
    assert "      1        0  old, no records: may be retired" in out
    assert "      2       25  current" in out


def test_the_old_version_can_be_retired_once_rotation_is_done(
    ring_file: Path, network: FakeCardNetwork, no_setup: None
) -> None:
    card = services.add_card(Buyer(1), card_input(), network=network, step_up=adding(Buyer(1)))
    _rotate()
    ring = crypto.KeyRing.parse(ring_file.read_text())
    ring_file.write_text(crypto.KeyRing({2: ring.keys[2]}).serialize())
    assert services.reveal_number(card.id, actor="test", purpose="after retiring v1")


def test_new_cards_after_rotation_use_the_new_version(
    ring_file: Path, network: FakeCardNetwork, no_setup: None
) -> None:
    _rotate()
    card = services.add_card(Buyer(1), card_input(), network=network, step_up=adding(Buyer(1)))
    assert StoredCard.objects.get(id=card.id).key_version == 2


def test_rotation_is_refused_when_the_ring_comes_from_the_environment(
    ring_file: Path,
    network: FakeCardNetwork,
    no_setup: None,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    services.add_card(Buyer(1), card_input(), network=network, step_up=adding(Buyer(1)))
    monkeypatch.setattr(keys, "ring_from_environment", lambda: True)
    before = ring_file.read_text()
    with pytest.raises(SystemExit) as exc:
        _rotate()
    assert exc.value.code == 4
    captured = capsys.readouterr()
    assert "ZHIFU_VAULT_MASTER_KEYS=1:" in captured.out
    assert "--rewrap-only" in captured.err
    assert ring_file.read_text() == before
    assert services.status().records_by_version == {1: 1}


def test_status_fails_when_records_sit_on_a_version_missing_from_the_ring(
    ring_file: Path,
    network: FakeCardNetwork,
    no_setup: None,
    capsys: pytest.CaptureFixture[str],
) -> None:
    services.add_card(Buyer(1), card_input(), network=network, step_up=adding(Buyer(1)))
    ring, _ = crypto.KeyRing.parse(ring_file.read_text()).with_new_key()
    ring_file.write_text(crypto.KeyRing({2: ring.keys[2]}).serialize())
    with pytest.raises(SystemExit):
        commands.cmd_status(argparse.Namespace())
    assert "MISSING FROM RING" in capsys.readouterr().out
    with pytest.raises(SystemExit):
        commands.cmd_rotate(argparse.Namespace(rewrap_only=True, batch=10))
    assert "could not be re-wrapped" in capsys.readouterr().err
