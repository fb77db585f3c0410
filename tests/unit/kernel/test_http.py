"""kernel.http: the transport port, its address guard, its timeouts and its mock."""

from __future__ import annotations

import ipaddress
import socket
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, ClassVar

import pytest

from zhifu.kernel import http

LOOPBACK_ONLY = http.LOOPBACK


class Handler(BaseHTTPRequestHandler):
    reply: ClassVar[tuple[int, dict[str, str], bytes]] = (200, {}, b"{}")
    received: ClassVar[list[tuple[str, str, Any, bytes]]] = []  # headers: case-insensitive
    hold: ClassVar[threading.Event | None] = None  # set: never answer until released

    def _any(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else b""
        Handler.received.append((self.command, self.path, self.headers, body))
        if Handler.hold is not None:
            Handler.hold.wait(10)
            return
        status, headers, content = Handler.reply
        self.send_response(status)
        for k, v in headers.items():
            self.send_header(k, v)
        self.send_header("Content-Length", str(len(content)))
        self.end_headers()
        self.wfile.write(content)

    do_GET = do_POST = _any

    def log_message(self, *args: Any) -> None:
        pass


@pytest.fixture
def server() -> Iterator[int]:
    Handler.received = []
    Handler.reply = (200, {"Content-Type": "application/json"}, b'{"ok": true}')
    Handler.hold = None
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    httpd.daemon_threads = True
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield httpd.server_address[1]
    if Handler.hold is not None:
        Handler.hold.set()
    httpd.shutdown()
    httpd.server_close()


def loopback_transport(**kwargs: Any) -> http.HttpTransport:
    return http.HttpTransport(allowed_networks=LOOPBACK_ONLY, **kwargs)


def to_loopback(host: str, port: int) -> list[tuple[int, str]]:
    """A resolver under the test's control: every name is 127.0.0.1 (as a hostile DNS)."""
    return [(socket.AF_INET, "127.0.0.1")]


def test_a_request_goes_out_and_its_answer_comes_back(server: int) -> None:
    request = http.Request.json(
        "post", f"http://127.0.0.1:{server}/api?x=1", {"a": 1}, {"Idempotency-Key": "k1"}
    )
    response = loopback_transport().handle(request)
    assert response.status_code == 200
    assert response.is_json
    assert response.json() == {"ok": True}
    method, path, headers, body = Handler.received[0]
    assert (method, path, body) == ("POST", "/api?x=1", b'{"a":1}')
    assert headers["Idempotency-Key"] == "k1"
    assert headers["Content-Type"] == "application/json"


def test_a_redirect_is_handed_back_not_followed(server: int) -> None:
    Handler.reply = (302, {"Location": f"http://127.0.0.1:{server}/elsewhere"}, b"")
    response = loopback_transport().handle(http.Request("GET", f"http://127.0.0.1:{server}/"))
    assert response.status_code == 302
    assert response.header("location").endswith("/elsewhere")
    assert len(Handler.received) == 1


def test_loopback_is_refused_unless_allowed(server: int) -> None:
    with pytest.raises(http.AddressRefused):
        http.HttpTransport().handle(http.Request("GET", f"http://127.0.0.1:{server}/"))
    assert Handler.received == []  # refused before connecting: nothing was sent


def test_a_name_that_resolves_to_loopback_is_refused_after_resolution(server: int) -> None:
    request = http.Request("GET", f"http://cardnet.example:{server}/")
    with pytest.raises(http.AddressRefused, match=r"resolves to 127\.0\.0\.1"):
        http.HttpTransport(resolver=to_loopback).handle(request)
    assert Handler.received == []
    # The system's own resolution of "localhost" is checked the same way.
    with pytest.raises(http.AddressRefused):
        http.HttpTransport().handle(http.Request("GET", f"http://localhost:{server}/"))
    # Allowed: it connects to the address it checked, and keeps the name in Host.
    response = loopback_transport(resolver=to_loopback).handle(request)
    assert response.status_code == 200
    assert Handler.received[0][2]["Host"] == f"cardnet.example:{server}"


def test_one_private_address_among_public_ones_is_enough_to_refuse() -> None:
    def mixed(host: str, port: int) -> list[tuple[int, str]]:
        return [(socket.AF_INET, "93.184.216.34"), (socket.AF_INET, "10.0.0.7")]

    with pytest.raises(http.AddressRefused, match=r"10\.0\.0\.7"):
        http.HttpTransport(resolver=mixed).handle(http.Request("GET", "http://shop.example/"))


@pytest.mark.parametrize(
    "address",
    [
        "127.0.0.1", "127.1.2.3", "::1", "10.1.2.3", "172.16.0.1", "192.168.1.1",
        "169.254.169.254", "fe80::1", "fc00::1", "0.0.0.0", "::",  # noqa: S104 "224.0.0.1",
        "240.0.0.1", "100.64.0.1", "::ffff:127.0.0.1", "::ffff:10.0.0.1",
    ],
)  # fmt: skip
def test_private_loopback_link_local_and_reserved_addresses_are_not_public(address: str) -> None:
    assert not http.is_public(ipaddress.ip_address(address))
    assert not http.HttpTransport().allows(ipaddress.ip_address(address))


@pytest.mark.parametrize("address", ["93.184.216.34", "8.8.8.8", "2606:4700:4700::1111"])
def test_public_addresses_are_allowed(address: str) -> None:
    assert http.HttpTransport().allows(ipaddress.ip_address(address))


def test_allowed_networks_let_exactly_those_through() -> None:
    transport = http.HttpTransport(allowed_networks=http.parse_networks(["10.1.2.0/24"]))
    assert transport.allows(ipaddress.ip_address("10.1.2.9"))
    assert not transport.allows(ipaddress.ip_address("10.1.3.9"))
    assert not transport.allows(ipaddress.ip_address("127.0.0.1"))
    assert transport.allows(ipaddress.ip_address("::ffff:10.1.2.9"))
    with pytest.raises(ValueError, match="not-a-network"):
        http.parse_networks(["not-a-network"])


def test_no_answer_in_time_is_a_read_timeout_after_sending(server: int) -> None:
    Handler.hold = threading.Event()
    with pytest.raises(http.ReadTimeout) as exc:
        loopback_transport(read_timeout=0.2).handle(
            http.Request("POST", f"http://127.0.0.1:{server}/", content=b"x")
        )
    assert exc.value.request_sent
    assert len(Handler.received) == 1


def test_nobody_listening_is_a_connect_failure_before_sending() -> None:
    probe = socket.socket()
    probe.bind(("127.0.0.1", 0))
    port = probe.getsockname()[1]
    probe.close()  # the port is free: nobody listens there
    with pytest.raises(http.ConnectFailed) as exc:
        loopback_transport().handle(http.Request("GET", f"http://127.0.0.1:{port}/"))
    assert not exc.value.request_sent
    assert not isinstance(exc.value, http.ConnectTimeout)


def test_no_connection_in_time_is_a_connect_timeout_before_sending() -> None:
    # A listener that never accepts, with its backlog full: the kernel drops further SYNs.
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(0)
    port = listener.getsockname()[1]
    fillers = []
    try:
        with pytest.raises(http.ConnectTimeout) as exc:
            for _ in range(8):
                filler = socket.socket()
                filler.setblocking(False)
                filler.connect_ex(("127.0.0.1", port))
                fillers.append(filler)
                loopback_transport(connect_timeout=0.2).handle(
                    http.Request("GET", f"http://127.0.0.1:{port}/")
                )
        assert not exc.value.request_sent
    finally:
        for filler in fillers:
            filler.close()
        listener.close()


def test_an_oversized_answer_is_refused(server: int) -> None:
    Handler.reply = (200, {}, b"x" * 2048)
    with pytest.raises(http.ConnectionLost, match="more than 1024 bytes"):
        loopback_transport(max_response_bytes=1024).handle(
            http.Request("GET", f"http://127.0.0.1:{server}/")
        )


@pytest.mark.parametrize(
    "url",
    [
        "ftp://127.0.0.1/",
        "file:///etc/passwd",
        "http://user:pw@127.0.0.1/",  # pragma: allowlist secret
        "http:///x",
    ],
)
def test_other_schemes_and_credentials_in_urls_are_refused(url: str) -> None:
    with pytest.raises(http.ConnectFailed):
        loopback_transport().handle(http.Request("GET", url))


def test_the_mock_transport_answers_with_its_handler_and_records_requests() -> None:
    def handler(request: http.Request) -> http.Response:
        if request.url.endswith("/down"):
            raise http.ConnectFailed("down")
        return http.Response.json_of(201, {"echo": request.json_body()})

    mock = http.MockTransport(handler)
    response = mock.handle(http.Request.json("POST", "https://x.example/a", {"n": 1}))
    assert (response.status_code, response.json()) == (201, {"echo": {"n": 1}})
    with pytest.raises(http.ConnectFailed):
        mock.handle(http.Request("GET", "https://x.example/down"))
    assert [r.url for r in mock.requests] == ["https://x.example/a", "https://x.example/down"]


def test_a_request_repr_never_shows_its_body() -> None:
    request = http.Request.json("POST", "https://x.example/", {"number": "4242424242424242"})
    assert "4242" not in repr(request)
    assert request.header("CONTENT-TYPE") == "application/json"
    form = http.Request.form("https://x.example/token", {"code": "c 1"})
    assert form.content == b"code=c+1"


def test_transports_share_one_verifying_tls_context_unless_given_their_own() -> None:
    # Making a context loads the CA store (tens of ms of CPU); the wallet makes a transport
    # per card-network call, so the default one is made once per process.
    import ssl

    first, second = http.HttpTransport(), http.HttpTransport()
    assert first._tls() is second._tls() is http.default_tls_context()
    assert first._tls().verify_mode is ssl.CERT_REQUIRED
    assert first._tls().check_hostname
    own = ssl.create_default_context()
    assert http.HttpTransport(ssl_context=own)._tls() is own
