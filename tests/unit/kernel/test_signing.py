"""kernel.signing: a salt per purpose, fallback keys for rotation, expiry on the one clock."""

from __future__ import annotations

import datetime as dt

import pytest
import time_machine

from zhifu.kernel.signing import BadSignature, SignatureExpired, Signer

T0 = dt.datetime(2026, 12, 1, 9, 0, tzinfo=dt.UTC)


@pytest.fixture(autouse=True)
def _pinned_clock() -> object:
    with time_machine.travel(T0, tick=False) as traveller:
        yield traveller


def test_a_signed_value_round_trips() -> None:
    signer = Signer("k1", salt="test")
    assert signer.unsign(signer.sign("hello")) == "hello"
    assert signer.loads(signer.dumps({"id": "ver_1", "n": 2})) == {"id": "ver_1", "n": 2}


def test_a_value_signed_with_a_fallback_key_still_verifies() -> None:
    old = Signer("old-key", salt="test").dumps({"id": "ver_1"})
    rotated = Signer("new-key", fallback_keys=["old-key"], salt="test")
    assert rotated.loads(old) == {"id": "ver_1"}
    # The newest key signs: after the fallback is dropped, new values still verify.
    assert Signer("new-key", salt="test").loads(rotated.dumps({"id": "ver_2"})) == {"id": "ver_2"}


def test_a_value_signed_with_another_key_is_refused() -> None:
    forged = Signer("api-key", salt="test").dumps({"id": "ver_1", "result": "approved"})
    with pytest.raises(BadSignature):
        Signer("challenge-key", fallback_keys=["older"], salt="test").loads(forged)


def test_a_value_signed_for_another_salt_is_refused() -> None:
    token = Signer("k", salt="zhifu.cardnet.challenge").dumps({"id": "ver_1"})
    with pytest.raises(BadSignature):
        Signer("k", salt="zhifu.cardnet.challenge-result").loads(token)


@pytest.mark.parametrize(
    "tamper",
    [
        lambda t: t.replace(t.split(":")[0], t.split(":")[0][:-2] + "xx"),  # the payload
        lambda t: ":".join([*t.split(":")[:1], str(int(t.split(":")[1]) + 1), t.split(":")[2]]),
        lambda t: t[:-1] + ("A" if t[-1] != "A" else "B"),  # the signature
        lambda t: t.rsplit(":", 1)[0],  # no signature
        lambda t: "",
        lambda t: "::",
    ],
    ids=["payload", "timestamp", "signature", "truncated", "empty", "colons"],
)
def test_tampering_is_refused(tamper: object) -> None:
    signer = Signer("k", salt="test")
    token = signer.dumps({"id": "ver_1", "result": "declined"})
    with pytest.raises(BadSignature):
        signer.loads(tamper(token))  # type: ignore[operator]


def test_a_value_older_than_max_age_is_expired() -> None:
    signer = Signer("k", salt="test")
    token = signer.sign("v")
    with time_machine_at(T0 + dt.timedelta(seconds=900)):
        assert signer.unsign(token, max_age=900) == "v"
    with time_machine_at(T0 + dt.timedelta(seconds=901)):
        with pytest.raises(SignatureExpired):
            signer.unsign(token, max_age=900)
        assert signer.unsign(token) == "v"  # no max_age: only the signature counts


def test_a_value_from_the_future_is_refused() -> None:
    with time_machine_at(T0 + dt.timedelta(hours=1)):
        token = Signer("k", salt="test").sign("v")
    with pytest.raises(SignatureExpired):
        Signer("k", salt="test").unsign(token, max_age=3600)


def test_expired_is_a_bad_signature_and_empty_keys_or_salts_are_refused() -> None:
    assert issubclass(SignatureExpired, BadSignature)
    with pytest.raises(ValueError, match="empty"):
        Signer("", salt="test")
    with pytest.raises(ValueError, match="salt"):
        Signer("k", salt="")
    text = repr(Signer("s3cr3t-key", ["old-s3cr3t"], salt="s"))
    assert "s3cr3t" not in text


def time_machine_at(moment: dt.datetime) -> time_machine.travel:
    return time_machine.travel(moment, tick=False)
