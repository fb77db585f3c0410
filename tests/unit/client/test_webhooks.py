"""verify_webhook: every changed byte, an old or future timestamp, rotation's two signatures."""

from __future__ import annotations

import base64
import json

import pytest

from zhifu.client import WebhookVerificationError, sign, verify_webhook

SECRET = "whsec_" + base64.b64encode(b"k" * 32).decode()  # pragma: allowlist secret
OTHER = "whsec_" + base64.b64encode(b"o" * 32).decode()  # pragma: allowlist secret
NOW = 1_781_524_800
BODY = json.dumps(
    {"id": "evt_1", "type": "payment.succeeded", "created_at": "2026-06-15T12:00:00Z",
     "data": {"id": "pay_1", "object": "payment"}}
).encode()  # fmt: skip


def headers(
    msg_id: str = "msg_1", stamp: int = NOW, body: bytes = BODY, secret: str = SECRET
) -> dict[str, str]:
    return {
        "webhook-id": msg_id,
        "webhook-timestamp": str(stamp),
        "webhook-signature": sign(msg_id, stamp, body, secret),
    }


def test_a_valid_message_verifies_and_parses() -> None:
    event = verify_webhook(headers(), BODY, SECRET, now=NOW)
    assert event.id == "evt_1"
    assert event.type == "payment.succeeded"
    assert event.data["id"] == "pay_1"


def test_header_names_are_case_insensitive() -> None:
    upper = {k.title(): v for k, v in headers().items()}
    verify_webhook(upper, BODY, SECRET, now=NOW)


def test_every_changed_byte_of_the_body_fails() -> None:
    good = headers()
    for i in range(len(BODY)):
        changed = bytearray(BODY)
        changed[i] ^= 0x01
        with pytest.raises(WebhookVerificationError):
            verify_webhook(good, bytes(changed), SECRET, now=NOW)


def test_a_changed_id_timestamp_or_signature_fails() -> None:
    good = headers()
    for name in ("webhook-id", "webhook-timestamp"):
        altered = dict(good)
        altered[name] = good[name][:-1] + ("2" if good[name][-1] != "2" else "3")
        with pytest.raises(WebhookVerificationError):
            verify_webhook(altered, BODY, SECRET, now=NOW)
    signature = good["webhook-signature"]
    for i in range(3, len(signature)):
        altered = dict(good)
        altered["webhook-signature"] = (
            signature[:i] + ("A" if signature[i] != "A" else "B") + signature[i + 1 :]
        )
        with pytest.raises(WebhookVerificationError):
            verify_webhook(altered, BODY, SECRET, now=NOW)


@pytest.mark.parametrize("offset", [301, -301, 10**6])
def test_a_timestamp_more_than_five_minutes_off_fails(offset: int) -> None:
    signed = headers(stamp=NOW + offset)
    with pytest.raises(WebhookVerificationError, match="tolerance"):
        verify_webhook(signed, BODY, SECRET, now=NOW)


@pytest.mark.parametrize("offset", [300, -300])
def test_five_minutes_exactly_passes(offset: int) -> None:
    verify_webhook(headers(stamp=NOW + offset), BODY, SECRET, now=NOW)


def test_another_secret_fails_and_rotation_accepts_either() -> None:
    with pytest.raises(WebhookVerificationError):
        verify_webhook(headers(), BODY, OTHER, now=NOW)
    both = headers()
    both["webhook-signature"] = (
        sign("msg_1", NOW, BODY, OTHER) + " " + sign("msg_1", NOW, BODY, SECRET)
    )
    verify_webhook(both, BODY, SECRET, now=NOW)
    verify_webhook(both, BODY, OTHER, now=NOW)
    verify_webhook(headers(secret=OTHER), BODY, [SECRET, OTHER], now=NOW)


@pytest.mark.parametrize(
    "signature",
    ["", "v1,", "v2," + "x" * 44, "v1a,abc", "garbage"],
)
def test_malformed_signatures_fail(signature: str) -> None:
    bad = headers()
    bad["webhook-signature"] = signature
    with pytest.raises(WebhookVerificationError):
        verify_webhook(bad, BODY, SECRET, now=NOW)


def test_other_schemes_signing_the_same_mac_are_ignored() -> None:
    bad = headers()
    bad["webhook-signature"] = bad["webhook-signature"].replace("v1,", "v1a,")
    with pytest.raises(WebhookVerificationError):
        verify_webhook(bad, BODY, SECRET, now=NOW)


@pytest.mark.parametrize("missing", ["webhook-id", "webhook-timestamp", "webhook-signature"])
def test_missing_headers_fail(missing: str) -> None:
    bad = headers()
    del bad[missing]
    with pytest.raises(WebhookVerificationError, match="missing"):
        verify_webhook(bad, BODY, SECRET, now=NOW)


def test_malformed_timestamp_and_secret_fail() -> None:
    bad = headers()
    bad["webhook-timestamp"] = "-5"
    with pytest.raises(WebhookVerificationError):
        verify_webhook(bad, BODY, SECRET, now=NOW)
    with pytest.raises(WebhookVerificationError, match="secret"):
        verify_webhook(headers(), BODY, "whsec_!!!", now=NOW)


def test_a_signed_body_that_is_no_event_fails() -> None:
    with pytest.raises(WebhookVerificationError, match="not an event"):
        verify_webhook(headers(body=b"[1]"), b"[1]", SECRET, now=NOW)


def test_the_body_may_be_text() -> None:
    verify_webhook(headers(), BODY.decode(), SECRET, now=NOW)
