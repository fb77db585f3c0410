"""Every status cardnet can send maps to one of the wallet's (the sites import nothing of
each other, so the check lives here, importing both)."""

from __future__ import annotations

from zhifu.cardnet import domain as cardnet
from zhifu.connectors.base import DeclineCode, NetworkStatus
from zhifu.connectors.cardnet import wire


def test_every_status_in_cardnets_own_enum_maps() -> None:
    remote = {s.value for s in cardnet.Status}
    mapped = {s.value for s in wire.STATUS}
    assert remote <= mapped, f"unmapped cardnet statuses: {remote - mapped}"
    for value in remote:
        assert isinstance(wire.status_of(value), NetworkStatus)


def test_the_table_is_exhaustive_and_maps_each_remote_status_once() -> None:
    assert set(wire.STATUS) == set(wire.RemoteStatus)
    assert len(set(wire.STATUS.values())) == len(wire.STATUS)


def test_every_decline_code_cardnet_sends_is_known_to_the_wallet() -> None:
    sent = {b.value for b in cardnet.DECLINE_CODES} | {"invalid_number"}
    known = {c.value for c in DeclineCode}
    assert sent <= known, f"decline codes the wallet would only call 'other': {sent - known}"
