"""Issue 9, finding 7, over the real demo: cardnet's no-answer card cannot stall the wallet.

The demo's wallet is one gunicorn worker with 4 threads, so 3 outbound slots. Three buyers
add the no-answer card (cardnet sleeps 30 s) and hang in the network; meanwhile a fourth
buyer is told "busy" and /healthz answers 200, while the three are still in flight.
Nothing here asserts a duration: "in flight" is read from the wallet's own lease rows and
from the requests that have not come back.
"""

from __future__ import annotations

import html
import json
import re
import sqlite3
import subprocess
import sys
import threading
import urllib.parse
import urllib.request
from pathlib import Path

import pytest

from tests.harness.demo import Demo, demo_env

pytestmark = pytest.mark.slow

NO_ANSWER = "4000 0000 0000 0036"
PIN = "583920"
SLOTS = 3  # the demo's wallet: 1 worker x 4 threads, one thread kept for pages
BOUND_S = 60.0  # a generous bound on waiting for a condition, never a timing assertion

# Buyers registered straight in the demo's wallet database, each with a signed-in session
# as the SSO callback leaves it (the sign-in itself is the e2e tests' business).
MAKE_BUYERS = """
import json, sys
from zhifu.config.runtime import setup_site
setup_site("wallet")
from django.conf import settings
from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY
from django.contrib.sessions.backends.db import SessionStore
from zhifu.accounts.middleware import LAST_SEEN_AT, SIGNED_IN_AT
from zhifu.accounts.models import User
from zhifu.credentials import services as credentials
from zhifu.credentials.domain import QuestionChoice
from zhifu.kernel import clock
choices = [QuestionChoice("first_pet", "Barsik"), QuestionChoice("birth_city", "Omsk"),
           QuestionChoice("favourite_book", "Master and Margarita")]
keys = []
for n in range(int(sys.argv[1])):
    user = User(email=f"slow{n}@example.com", locale="en", email_confirmed_at=clock.now())
    user.set_unusable_password()
    user.save()
    credentials.register_credentials(user, sys.argv[2], choices)
    session = SessionStore()
    session[SESSION_KEY] = str(user.pk)
    session[BACKEND_SESSION_KEY] = "django.contrib.auth.backends.ModelBackend"
    session[HASH_SESSION_KEY] = user.get_session_auth_hash()
    session[SIGNED_IN_AT] = session[LAST_SEEN_AT] = clock.now().timestamp()
    session.create()
    keys.append(session.session_key)
print(json.dumps({"cookie": settings.SESSION_COOKIE_NAME, "sessions": keys}))
"""


def make_buyers(demo: Demo, count: int) -> tuple[str, list[str]]:
    env = {
        **demo_env(),
        **demo.env,
        "ZHIFU_DEMO": "1",
        "ZHIFU_DATA_DIR": str(demo.data_dir),
        **{f"ZHIFU_{site.upper()}_URL": url for site, url in demo.urls.items()},
    }
    done = subprocess.run(
        [sys.executable, "-c", MAKE_BUYERS, str(count), PIN],
        env=env, capture_output=True, text=True, timeout=BOUND_S, check=False,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    answer = json.loads(done.stdout.strip().splitlines()[-1])
    return answer["cookie"], answer["sessions"]


class Browser:
    """One buyer's cookies over plain urllib (a cookie jar would not send a cookie of
    "localhost", which it reads as "localhost.local")."""

    def __init__(self, wallet: str, cookie: str, session: str) -> None:
        self.wallet = wallet
        self.cookies = {cookie: session}

    def open(self, path: str, form: dict[str, str] | None = None) -> str:
        request = urllib.request.Request(  # noqa: S310 - the demo's own http:// URL
            self.wallet + path,
            data=urllib.parse.urlencode(form).encode() if form is not None else None,
            headers={
                "Cookie": "; ".join(f"{k}={v}" for k, v in self.cookies.items()),
                "Referer": self.wallet + path,
            },
        )
        with urllib.request.urlopen(request, timeout=BOUND_S) as response:  # noqa: S310
            for header in response.headers.get_all("Set-Cookie") or []:
                name, _, rest = header.partition("=")
                self.cookies[name.strip()] = rest.split(";", 1)[0]
            assert response.url == self.wallet + path, response.url  # signed in, not sent away
            return html.unescape(response.read().decode())

    def add_card(self, number: str) -> str:
        """The add-card page's answer (its HTML) to the number with the right PIN."""
        page = self.open("/cards/add/")
        match = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page)
        assert match, page
        form = {
            "csrfmiddlewaretoken": match.group(1),
            "number": number,
            "expiry": "12/30",
            "holder_name": "ANNA IVANOVA",
            "cvc": "739",
            "label": "",
            "payment_password": PIN,
        }
        return self.open("/cards/add/", form)


def leases_in_flight(data_dir: Path) -> int:
    """Verifications the wallet has in flight (its lease rows), read beside the demo."""
    with sqlite3.connect(f"file:{data_dir / 'vault.sqlite3'}?mode=ro", uri=True) as db:
        return int(db.execute("SELECT count(*) FROM vault_verificationlease").fetchone()[0])


def wait_for(condition: object) -> bool:
    pause = threading.Event()
    for _ in range(int(BOUND_S * 20)):
        if condition():  # type: ignore[operator]
            return True
        pause.wait(0.05)
    return False


def test_healthz_and_other_buyers_are_answered_while_no_answer_cards_hang(
    tmp_path: Path,
) -> None:
    # The longest read timeout the rule allows, so "still in flight" has room to spare.
    demo = Demo(tmp_path / "data", env={"ZHIFU_CARD_VERIFY_READ_TIMEOUT": "7"})
    try:
        demo.start()
        cookie, sessions = make_buyers(demo, SLOTS + 1)
        browsers = [Browser(demo.urls["wallet"], cookie, s) for s in sessions]
        hanging, other = browsers[:SLOTS], browsers[SLOTS]
        answers: list[str] = []
        threads = [
            threading.Thread(target=lambda b=b: answers.append(b.add_card(NO_ANSWER)))
            for b in hanging
        ]
        for thread in threads:
            thread.start()
        assert wait_for(lambda: leases_in_flight(demo.data_dir) == SLOTS), demo.output()

        busy = other.add_card("4242 4242 4242 4242")
        health = Browser(demo.urls["wallet"], cookie, "").open("/healthz")
        assert json.loads(health) == {"status": "ok"}  # a 200 (urlopen raises on others)
        # Both answered while every hanging verification was still in flight.
        assert answers == []
        assert all(thread.is_alive() for thread in threads)
        assert leases_in_flight(demo.data_dir) == SLOTS
        assert "The card network is busy, so your card was not saved." in busy

        for thread in threads:
            thread.join(BOUND_S)
        assert len(answers) == SLOTS
        assert all("The card network did not answer" in answer for answer in answers)
    finally:
        demo.kill_leftovers()
