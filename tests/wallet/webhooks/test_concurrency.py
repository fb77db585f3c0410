"""Several workers at once on PostgreSQL (SKIP LOCKED): no delivery is claimed by two, and
an endpoint never has more than its share in flight. Real threads, each with its own
connection."""

from __future__ import annotations

import threading
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest
from django.db import connections

from tests.wallet.merchants.support import new_platform
from tests.wallet.webhooks.support import emit, fan_out_all
from zhifu.kernel import clock
from zhifu.webhooks import services
from zhifu.webhooks.models import Delivery

pytestmark = [
    pytest.mark.postgres_only,
    pytest.mark.django_db(transaction=True, databases=["default", "vault"]),
]
WORKERS = 6
PER_ENDPOINT = 3


def test_concurrent_workers_claim_each_delivery_once_and_respect_the_endpoint_bound() -> None:
    shop = new_platform("shop-a")
    endpoints = [
        services.create_endpoint(shop, url=f"https://e{n}.example/", enabled_events=["*"])["id"]
        for n in range(2)
    ]
    for _ in range(60):
        emit("shop-a")
    fan_out_all()
    claimed: Counter[str] = Counter()
    flying: Counter[str] = Counter()
    most: Counter[str] = Counter()
    lock = threading.Lock()
    gate = threading.Barrier(WORKERS)
    by_id = dict(Delivery.objects.values_list("id", "endpoint_id"))

    def worker(_: int) -> None:
        gate.wait(timeout=30)
        try:
            while batch := services.claim(2, per_endpoint=PER_ENDPOINT):
                with lock:
                    for c in batch:
                        claimed[c.id] += 1
                        flying[by_id[c.id]] += 1
                        most[by_id[c.id]] = max(most[by_id[c.id]], flying[by_id[c.id]])
                for c in batch:
                    sent = services.Sent(clock.now(), 200, 1, "ok", "")
                    with lock:
                        flying[by_id[c.id]] -= 1
                    assert services.finish(c, sent)
        finally:
            for conn in connections.all(initialized_only=True):
                conn.close()

    with ThreadPoolExecutor(WORKERS) as pool:
        list(pool.map(worker, range(WORKERS)))
    assert len(claimed) == 120
    assert set(claimed.values()) == {1}
    assert Delivery.objects.filter(state="succeeded").count() == 120
    for endpoint in endpoints:
        assert most[endpoint] <= PER_ENDPOINT
