"""A request killed mid-way (issue 11, merchant API item 3): a process serving the API is
SIGKILLed while its POST holds the idempotency key, after the payment's row was written and
before anything committed. Until the key's lease runs out a retry is told the first is still
running (409); then the retry completes, exactly once, and later retries replay it."""

from __future__ import annotations

import datetime as dt
import http.client
import json
import os
import signal
import subprocess
import sys
import threading
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
import time_machine
from django.db import connections

from tests.harness.clock import subprocess_env
from tests.wallet.merchants.support import Api, error_of, new_key, new_platform, payment_body
from zhifu.kernel import clock
from zhifu.merchants import domain
from zhifu.payments.models import Payment as PaymentRow

pytestmark = pytest.mark.django_db(transaction=True, databases=["default", "vault"])

ROOT = Path(__file__).resolve().parents[3]
BOUND_S = 60.0  # a generous bound on waiting for a condition, never a timing assertion
# Two processes pin their clocks one after the other (tests/harness/clock.py): they agree to
# well within this, which is far below the lease (a minute or more).
SKEW = dt.timedelta(seconds=1)


def wait_for(condition: Callable[[], bool]) -> bool:
    pause = threading.Event()
    for _ in range(int(BOUND_S * 20)):
        if condition():
            return True
        pause.wait(0.05)
    return condition()


@pytest.fixture
def server(tmp_path: Path) -> Iterator[tuple[subprocess.Popen[str], Path]]:
    stalled = tmp_path / "stalled"
    env = subprocess_env({**os.environ, "PYTHONPATH": str(ROOT)})
    names = [connections[alias].settings_dict["NAME"] for alias in ("default", "vault")]
    child = subprocess.Popen(
        [sys.executable, "-m", "tests.wallet.merchants.stalling_server", *names, str(stalled)],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        yield child, stalled
    finally:
        if child.poll() is None:
            child.kill()
        child.wait(BOUND_S)
        assert child.stdout is not None
        child.stdout.close()


def test_a_killed_create_leaves_the_key_claimable_after_its_lease(
    server: tuple[subprocess.Popen[str], Path],
) -> None:
    new_platform("shop-a")
    key = new_key("shop-a")
    for conn in connections.all(initialized_only=True):
        conn.close()  # SQLite: let the child see and write the file
    child, stalled = server
    assert child.stdout is not None
    port = int(child.stdout.readline())

    # The first request: it writes its payment, then its process is killed.
    request = http.client.HTTPConnection("127.0.0.1", port, timeout=BOUND_S)
    request.request(
        "POST",
        "/api/v1/payments",
        body=json.dumps(payment_body()),
        headers={
            "Authorization": f"Bearer {key}",
            "Content-Type": "application/json",
            "Idempotency-Key": "killed-1",
        },
    )
    assert wait_for(stalled.exists), "the server never reached the payment's write"
    # After the child claimed the key, so its lease ends before started + LEASE, give or take
    # the few milliseconds by which two processes' pinned clocks can differ (SKEW).
    started = clock.now()
    os.kill(child.pid, signal.SIGKILL)
    child.wait(BOUND_S)
    with pytest.raises((http.client.HTTPException, OSError)):
        request.getresponse()
    request.close()

    assert PaymentRow.objects.count() == 0  # nothing it wrote outlived it
    api = Api(key)
    held = api.post("/payments", payment_body(), idempotency_key="killed-1")
    assert held.status_code == 409
    assert error_of(held)["code"] == "idempotency_key_in_use"

    with time_machine.travel(started + domain.IDEMPOTENCY_LEASE + SKEW, tick=False):
        retry = api.post("/payments", payment_body(), idempotency_key="killed-1")
        assert retry.status_code == 201, retry.content
        replay = api.post("/payments", payment_body(), idempotency_key="killed-1")
    assert replay.json() == retry.json()
    assert replay["Idempotent-Replayed"] == "true"
    assert PaymentRow.objects.count() == 1
    assert PaymentRow.objects.get().id == retry.json()["id"]
    assert retry.json()["id"] != stalled.read_text()  # a new payment, not the dead one's
