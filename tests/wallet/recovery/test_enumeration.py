"""SEC-16: the recovery form answers known and unknown addresses alike, byte for byte,
and in the same time (the medians are printed, never asserted: docs/development.md)."""

from __future__ import annotations

import re
import statistics
import time

import pytest
from django.core import mail
from django.test import Client

from tests.wallet.recovery.support import ask, buyer_client, deliver
from zhifu.accounts.models import Platform

pytestmark = pytest.mark.django_db

ROUNDS = 500
CSRF = re.compile(rb'name="csrfmiddlewaretoken" value="[^"]+"')


def _timed(client: Client, email: str, n: int) -> tuple[set[bytes], list[float]]:
    bodies: set[bytes] = set()
    times: list[float] = []
    for i in range(n):
        ip = f"203.0.{i // 250}.{i % 250}"  # below the per-IP limit: every request is "sent"
        start = time.perf_counter()
        resp = ask(client, email, ip)
        times.append(time.perf_counter() - start)
        headers = sorted(
            (k, v)
            for k, v in resp.items()
            if k.lower() not in {"date", "expires"}  # the clock, alike for both
        )
        bodies.add(repr((resp.status_code, headers)).encode() + b"\n" + resp.content)
    return bodies, times


def test_known_and_unknown_addresses_get_identical_answers(platform: Platform) -> None:
    buyer_client(platform, "known@example.com")
    client = Client()
    # Interleaved in blocks, so a warm-up or a slow moment falls on both sides alike.
    known: set[bytes] = set()
    unknown: set[bytes] = set()
    known_t: list[float] = []
    unknown_t: list[float] = []
    for _ in range(ROUNDS // 50):
        b, t = _timed(client, "known@example.com", 50)
        known |= b
        known_t += t
        b, t = _timed(client, "unknown@example.com", 50)
        unknown |= b
        unknown_t += t
    assert len(known) == 1
    assert known == unknown  # status, headers and body: byte for byte
    page_known = CSRF.sub(b"", client.get("/recovery/sent/").content)
    page_unknown = CSRF.sub(b"", client.get("/recovery/sent/").content)
    assert page_known == page_unknown
    k, u = statistics.median(known_t) * 1000, statistics.median(unknown_t) * 1000
    print(
        f"\nSEC-16 medians over {ROUNDS} each: known {k:.3f} ms, unknown {u:.3f} ms, "
        f"difference {abs(k - u):.3f} ms (target < 5 ms)"
    )
    mail.outbox.clear()
    deliver()
    # Only the real account gets mail, and only within its per-address limit (SEC-17).
    assert {tuple(m.to) for m in mail.outbox} == {("known@example.com",)}
    assert len(mail.outbox) == 5
