"""The HTTP card-network connector against a small local server (no Django needed)."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, ClassVar

import pytest

from zhifu.vault.connector import (
    DeclineCode,
    HttpCardNetwork,
    NetworkUnavailable,
    VerificationRequest,
    VerificationStatus,
)

REQUEST = VerificationRequest("4242424242424242", 12, 2030, "739", "ANNA IVANOVA")


class Handler(BaseHTTPRequestHandler):
    reply: ClassVar[tuple[int, dict[str, str], bytes, float]] = (200, {}, b"{}", 0.0)
    received: ClassVar[list[tuple[dict[str, str], dict[str, Any]]]] = []

    def do_POST(self) -> None:
        body = self.rfile.read(int(self.headers["Content-Length"]))
        Handler.received.append((dict(self.headers), json.loads(body)))
        status, headers, content, delay = Handler.reply
        time.sleep(delay)
        self.send_response(status)
        for k, v in headers.items():
            self.send_header(k, v)
        self.send_header("Content-Length", str(len(content)))
        self.end_headers()
        self.wfile.write(content)

    def log_message(self, *args: Any) -> None:
        pass


@pytest.fixture
def server() -> Iterator[str]:
    Handler.received = []
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    httpd.daemon_threads = True
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}"
    httpd.shutdown()
    httpd.server_close()


def reply(status: int, body: Any, headers: dict[str, str] | None = None, delay: float = 0) -> None:
    content = body if isinstance(body, bytes) else json.dumps(body).encode()
    Handler.reply = (status, headers or {"Content-Type": "application/json"}, content, delay)


def test_an_approval_is_read_and_the_request_carries_the_key_and_the_card(server: str) -> None:
    reply(200, {"id": "ver_1", "status": "approved", "decline_code": None})
    result = HttpCardNetwork(server, "k3y").verify(REQUEST)
    assert (result.status, result.reference) == (VerificationStatus.APPROVED, "ver_1")
    headers, body = Handler.received[0]
    assert headers["Authorization"] == "Bearer k3y"
    assert body == {"number": "4242424242424242", "exp_month": 12, "exp_year": 2030,
                    "cvc": "739", "holder_name": "ANNA IVANOVA"}  # fmt: skip


def test_a_decline_keeps_its_code_and_unknown_codes_are_other(server: str) -> None:
    reply(200, {"id": "v", "status": "declined", "decline_code": "stolen_card"})
    assert HttpCardNetwork(server, "k").verify(REQUEST).decline_code is DeclineCode.STOLEN_CARD
    reply(200, {"id": "v", "status": "declined", "decline_code": "brand_new_code"})
    assert HttpCardNetwork(server, "k").verify(REQUEST).decline_code is DeclineCode.OTHER


def test_no_answer_in_time_is_network_unavailable(server: str) -> None:
    reply(200, {"status": "approved"}, delay=1.0)
    with pytest.raises(NetworkUnavailable, match="did not answer in time"):
        HttpCardNetwork(server, "k", read_timeout=0.2).verify(REQUEST)


def test_nobody_listening_is_network_unavailable() -> None:
    with pytest.raises(NetworkUnavailable, match="cannot be reached"):
        HttpCardNetwork("http://127.0.0.1:9", "k", connect_timeout=0.5).verify(REQUEST)


@pytest.mark.parametrize(
    ("status", "body", "headers"),
    [
        (500, {"error": "boom"}, None),
        (401, {"error": {"code": "unauthorized"}}, None),
        (302, b"", {"Location": "http://example.com/steal"}),
        (200, b"<html>", None),
        (200, {"status": "maybe"}, None),
        (200, [1, 2], None),
    ],
)
def test_anything_unusable_is_network_unavailable_never_approved(
    server: str, status: int, body: Any, headers: dict[str, str] | None
) -> None:
    reply(status, body, headers)
    with pytest.raises(NetworkUnavailable):
        HttpCardNetwork(server, "k").verify(REQUEST)
    assert len(Handler.received) == 1  # a redirect is not followed


def test_the_request_repr_hides_the_number_and_cvc() -> None:
    text = repr(REQUEST)
    assert "4242424242424242" not in text
    assert "739" not in text
