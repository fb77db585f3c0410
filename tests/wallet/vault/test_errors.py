"""The vault's refusals: each code enumerated once, each message translated when read."""

from __future__ import annotations

from django.utils import translation

from zhifu.connectors.base import DeclineCode
from zhifu.kernel.errors import Refusal, codes_of
from zhifu.vault import errors, services


def test_every_vault_refusal_has_a_code_from_the_one_enumeration() -> None:
    assert set(codes_of(errors.VaultRefusal)) == {c.value for c in errors.VaultCode}


def test_the_pages_still_import_the_refusals_from_services() -> None:
    for name in errors.__all__:
        if name not in ("VaultCode", "VaultRefusal"):
            assert getattr(services, name) is getattr(errors, name)
            assert issubclass(getattr(errors, name), Refusal)


def test_a_decline_carries_its_network_code_and_renders_in_the_readers_language() -> None:
    declined = errors.CardDeclined(DeclineCode.INSUFFICIENT_FUNDS)
    assert declined.decline_code is DeclineCode.INSUFFICIENT_FUNDS
    assert declined.as_error()["code"] == "card_declined"
    with translation.override("ru"):
        assert (
            declined.message
            == "Банк отклонил карту. Обратитесь в банк или попробуйте другую карту."
        )
    with translation.override("en"):
        assert errors.CardNotFound().message == "This card is not in your wallet."
