"""Our signatures are Standard Webhooks': the public `standardwebhooks` package verifies
them, and what it refuses (any byte of id, timestamp, body or signature changed, a
timestamp more than 5 minutes off) our own check refuses too."""

from __future__ import annotations

import base64
import datetime as dt
import random
from collections.abc import Iterator
from typing import Any

import pytest
import time_machine
from hypothesis import given, settings
from hypothesis import strategies as st
from standardwebhooks.webhooks import Webhook

from tests.wallet.merchants.support import Api
from tests.wallet.webhooks.support import deliver_all, emit, fan_out_all
from zhifu.kernel import clock, http
from zhifu.webhooks import domain

SECRET = domain.SECRET_PREFIX + base64.b64encode(bytes(range(32))).decode()
OLD_SECRET = domain.SECRET_PREFIX + base64.b64encode(bytes(range(100, 132))).decode()
BODY = b'{"id":"evt_01JZ4X8K3M6Q0000000000000A","object":"event","type":"payment.succeeded"}'
MSG_ID = "evt_01JZ4X8K3M6Q0000000000000A"


@pytest.fixture
def frozen() -> Iterator[dt.datetime]:
    now = clock.now().replace(microsecond=0)
    with time_machine.travel(now, tick=False):
        yield now


def _headers(now: dt.datetime, secrets: list[str] | None = None) -> dict[str, str]:
    return domain.sign_headers(secrets or [SECRET], MSG_ID, int(now.timestamp()), BODY)


def theirs_accept(secret: str, headers: dict[str, str], body: bytes) -> bool:
    try:
        Webhook(secret).verify(body, headers, json_parse=False)
    except Exception:  # WebhookVerificationError, or a malformed value it cannot parse
        return False
    return True


def ours_accept(secret: str, headers: dict[str, str], body: bytes) -> bool:
    try:
        domain.verify(headers, body, secret, now=clock.now())
    except domain.VerificationFailed:
        return False
    return True


def _flip(text: str, i: int) -> str:
    return text[:i] + chr(ord(text[i]) ^ 0x01) + text[i + 1 :]


def _same_mac(signature: str, changed: str) -> bool:
    try:
        same = base64.b64decode(signature[3:]) == base64.b64decode(changed[3:])
        return same and signature[:3] == changed[:3]
    except ValueError:
        return False


def test_valid_messages_pass_both(frozen: dt.datetime) -> None:
    headers = _headers(frozen)
    assert theirs_accept(SECRET, headers, BODY)
    assert ours_accept(SECRET, headers, BODY)


def test_theirs_signature_is_ours(frozen: dt.datetime) -> None:
    stamp = frozen
    theirs = Webhook(SECRET).sign(MSG_ID, stamp, BODY.decode())
    assert theirs == domain.signature(SECRET, MSG_ID, int(stamp.timestamp()), BODY)


@pytest.mark.parametrize("field", ["webhook-id", "webhook-timestamp", "webhook-signature"])
def test_any_byte_of_a_header_changed_fails_both(frozen: dt.datetime, field: str) -> None:
    headers = _headers(frozen)
    for i in range(len(headers[field])):
        changed = {**headers, field: _flip(headers[field], i)}
        assert not ours_accept(SECRET, changed, BODY), (field, i)
        if field == "webhook-signature" and _same_mac(headers[field], changed[field]):
            # The last base64 character of a 32-byte MAC carries 2 unused bits: flipping
            # one gives a non-canonical spelling of the same bytes, which standardwebhooks
            # (comparing decoded bytes) accepts. Ours compares the text and refuses it.
            assert theirs_accept(SECRET, changed, BODY)
            continue
        assert not theirs_accept(SECRET, changed, BODY), (field, i)


def test_any_byte_of_the_body_changed_fails_both(frozen: dt.datetime) -> None:
    headers = _headers(frozen)
    for i in range(len(BODY)):
        body = BODY[:i] + bytes([BODY[i] ^ 0x01]) + BODY[i + 1 :]
        assert not theirs_accept(SECRET, headers, body), i
        assert not ours_accept(SECRET, headers, body), i


def test_another_secret_fails_both(frozen: dt.datetime) -> None:
    headers = _headers(frozen)
    assert not theirs_accept(OLD_SECRET, headers, BODY)
    assert not ours_accept(OLD_SECRET, headers, BODY)


@pytest.mark.parametrize(
    ("offset", "accepted"),
    [(0, True), (299, True), (-299, True), (301, False), (-301, False), (86400, False)],
)
def test_a_timestamp_more_than_five_minutes_off_fails_both(
    frozen: dt.datetime, offset: int, accepted: bool
) -> None:
    headers = _headers(frozen + dt.timedelta(seconds=offset))
    assert theirs_accept(SECRET, headers, BODY) is accepted
    assert ours_accept(SECRET, headers, BODY) is accepted


def test_during_a_rotation_either_secret_verifies(frozen: dt.datetime) -> None:
    headers = _headers(frozen, [SECRET, OLD_SECRET])
    assert len(headers["webhook-signature"].split(" ")) == 2
    for secret in (SECRET, OLD_SECRET):
        assert theirs_accept(secret, headers, BODY)
        assert ours_accept(secret, headers, BODY)


def test_missing_headers_fail_both(frozen: dt.datetime) -> None:
    headers = _headers(frozen)
    for name in headers:
        partial = {k: v for k, v in headers.items() if k != name}
        assert not theirs_accept(SECRET, partial, BODY)
        assert not ours_accept(SECRET, partial, BODY)


@settings(max_examples=300)
@given(
    field=st.sampled_from(["webhook-id", "webhook-timestamp", "webhook-signature", "body"]),
    edit=st.tuples(
        st.integers(0, 200), st.integers(0, 255), st.sampled_from(["set", "del", "ins"])
    ),
)
def test_ours_refuses_whatever_theirs_refuses(field: str, edit: tuple[int, int, str]) -> None:
    now = clock.now().replace(microsecond=0)
    with time_machine.travel(now, tick=False):
        headers = _headers(now)
        body = BODY
        position, value, how = edit
        target = bytearray(body if field == "body" else headers[field].encode("latin-1"))
        i = position % (len(target) + 1)
        if how == "set" and i < len(target):
            target[i] = value
        elif how == "del" and i < len(target):
            del target[i]
        else:
            target.insert(i, value)
        if field == "body":
            body = bytes(target)
        else:
            headers = {**headers, field: target.decode("latin-1")}
        if not theirs_accept(SECRET, headers, body):
            assert not ours_accept(SECRET, headers, body)


def test_a_delivered_webhook_verifies_with_standardwebhooks(api: Api) -> None:
    made = api.post(
        "/webhook_endpoints",
        {"url": "https://shop.example/hooks", "enabled_events": ["payment.succeeded"]},
    ).json()
    got: list[http.Request] = []

    def receiver(request: http.Request) -> http.Response:
        got.append(request)
        return http.Response(204)

    emit("shop-a")
    emit("shop-a", kind="refund.succeeded")  # not subscribed: not sent
    fan_out_all()
    deliver_all(http.MockTransport(receiver))
    assert len(got) == 1
    event: Any = Webhook(made["secret"]).verify(got[0].content, dict(got[0].headers))
    assert event["type"] == "payment.succeeded"
    assert event["id"] == got[0].header("webhook-id")
    assert got[0].header("content-type") == "application/json"


def test_rotation_signs_with_both_until_the_overlap_ends(api: Api) -> None:
    first = api.post(
        "/webhook_endpoints", {"url": "https://shop.example/hooks", "enabled_events": ["*"]}
    ).json()
    start = clock.now()
    with time_machine.travel(start, tick=False) as traveller:
        second = api.post(f"/webhook_endpoints/{first['id']}/rotate_secret", {"overlap_hours": 2})
        assert second.status_code == 200, second.json()
        new = second.json()["secret"]
        assert new.startswith("whsec_")
        assert new != first["secret"]
        assert api.get(f"/webhook_endpoints/{first['id']}").json()["secret"] is None
        got: list[http.Request] = []

        def receiver(request: http.Request) -> http.Response:
            got.append(request)
            return http.Response(200)

        transport = http.MockTransport(receiver)
        emit("shop-a")
        fan_out_all()
        deliver_all(transport)
        during = got[-1]
        assert len(during.header("webhook-signature").split(" ")) == 2
        for secret in (first["secret"], new):
            Webhook(secret).verify(during.content, dict(during.headers))
        traveller.shift(dt.timedelta(hours=2, seconds=1))
        emit("shop-a")
        fan_out_all()
        deliver_all(transport)
        after = got[-1]
        assert len(after.header("webhook-signature").split(" ")) == 1
        Webhook(new).verify(after.content, dict(after.headers))
        assert not theirs_accept(first["secret"], dict(after.headers), after.content)


def test_the_default_overlap_is_24_hours(api: Api) -> None:
    made = api.post(
        "/webhook_endpoints", {"url": "https://shop.example/hooks", "enabled_events": ["*"]}
    ).json()
    start = clock.now()
    with time_machine.travel(start, tick=False) as traveller:
        api.post(f"/webhook_endpoints/{made['id']}/rotate_secret")
        from zhifu.webhooks import services

        traveller.shift(dt.timedelta(hours=23, minutes=59))
        assert len(services.signing_secrets(made["id"], clock.now())) == 2
        traveller.shift(dt.timedelta(minutes=2))
        assert len(services.signing_secrets(made["id"], clock.now())) == 1


def test_random_secrets_roundtrip() -> None:
    rng = random.Random(7)
    for _ in range(20):
        raw = bytes(rng.randrange(256) for _ in range(32))
        secret = domain.SECRET_PREFIX + base64.b64encode(raw).decode()
        assert domain.secret_bytes(secret) == raw
