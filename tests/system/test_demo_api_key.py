"""`zhifu demo` prints the demo shop's test key with its other credentials (issue 11,
merchant API item 1): the key works against the running wallet's API, and a second start
prints the same key (it is kept in the demo's secrets folder, 0600, and never in the
database in clear)."""

from __future__ import annotations

import json
import re
import threading
import urllib.request

from tests.harness.demo import Demo

KEY_LINE = re.compile(r"shop API key \(zhifu-shop, test mode\): (sk_test_[0-9A-Za-z]{43})")


def _printed_key(demo: Demo) -> str:
    """The key in the banner (printed just after the sites answer: wait for it)."""
    pause = threading.Event()
    for _ in range(600):
        found = KEY_LINE.findall(demo.output())
        if found:
            break
        pause.wait(0.05)
    assert len(found) == 1, demo.output()
    return str(found[0])


def test_the_demo_prints_a_working_test_key_and_keeps_it(demo: Demo) -> None:
    demo.start()
    key = _printed_key(demo)
    url = demo.urls["wallet"] + "/api/v1/payments"
    request = urllib.request.Request(url, headers={"Authorization": f"Bearer {key}"})  # noqa: S310
    with urllib.request.urlopen(request) as resp:  # noqa: S310 - the demo's own URL
        assert resp.status == 200
        assert json.load(resp)["object"] == "list"
    stored = demo.data_dir / "secrets" / "demo_shop_api_key"
    assert stored.read_text().strip() == key
    assert stored.stat().st_mode & 0o777 == 0o600
    assert key.encode() not in (demo.data_dir / "wallet.sqlite3").read_bytes()
    demo.stop()

    demo.start()
    assert _printed_key(demo) == key
    demo.stop()
