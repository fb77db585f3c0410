"""The one HTTP transport port for outgoing calls (card networks, OIDC providers, webhooks).

Shaped like httpx's ``_transports/base.py``: ``Transport.handle(Request) -> Response`` is the
strict point of cut-off between a client (which builds requests and reads responses) and
the wire. Tests pass :class:`MockTransport(handler)` instead of opening sockets.

:class:`HttpTransport` is the real one. It is built on the standard library's
``http.client`` rather than requests because every guarantee below has to hold by
construction, and http.client lets the transport open the socket itself:

- **no redirects**: http.client never follows one; a 3xx is handed back as it is;
- **no proxies from the environment**: http.client reads none;
- **connect and read timeouts** apart, so the caller knows whether the request was sent:
  :class:`ConnectFailed` (including :class:`ConnectTimeout` and :class:`AddressRefused`)
  means nothing left this process; :class:`ReadTimeout` and :class:`ConnectionLost` mean
  the request may have been acted on;
- **private, loopback, link-local, reserved, multicast and unspecified addresses are
  refused after DNS resolution**, and the socket connects to the very address that was
  checked (no second lookup a rebinding DNS server could answer differently). Networks in
  ``allowed_networks`` are let through: the demo and the tests run every site on
  127.0.0.1, and a deployment may keep its card network on a private network.

- **a bounded number of calls in flight per process**: :class:`LimitedTransport` lets at
  most ``slots`` requests wait on the network at once and turns the next away with
  :class:`NetworkBusy` (nothing sent) after a short wait, so threads blocked on a slow
  upstream can never take every thread of the server.

Nothing here imports Django; the wallet builds its transport from its settings in one
place (``zhifu.config.outbound``).
"""

from __future__ import annotations

import functools
import http.client
import ipaddress
import json
import socket
import ssl
import threading
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any, Protocol
from urllib.parse import urlencode, urlsplit

from zhifu.kernel.networks import Address as IPAddress
from zhifu.kernel.networks import Network as IPNetwork
from zhifu.kernel.networks import parse_networks

__all__ = [
    "AddressRefused",
    "ConnectFailed",
    "ConnectTimeout",
    "ConnectionLost",
    "HttpTransport",
    "LimitedTransport",
    "MockTransport",
    "NetworkBusy",
    "ReadTimeout",
    "Request",
    "Response",
    "Transport",
    "TransportError",
    "parse_networks",
]

LOOPBACK: tuple[IPNetwork, ...] = (
    ipaddress.ip_network("127.0.0.0/8"),
    ipaddress.ip_network("::1/128"),
)


# --- the port ---------------------------------------------------------------------------


def _lower(headers: Mapping[str, str]) -> dict[str, str]:
    return {k.lower(): v for k, v in headers.items()}


@dataclass(frozen=True)
class Request:
    """One outgoing request. ``content`` may hold card data: its repr never shows it."""

    method: str
    url: str
    headers: Mapping[str, str] = field(default_factory=dict)
    content: bytes = field(default=b"", repr=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "method", self.method.upper())
        object.__setattr__(self, "headers", _lower(self.headers))

    @classmethod
    def json(
        cls, method: str, url: str, body: Any, headers: Mapping[str, str] | None = None
    ) -> Request:
        content = json.dumps(body, separators=(",", ":")).encode()
        return cls(method, url, {**(headers or {}), "Content-Type": "application/json"}, content)

    @classmethod
    def form(
        cls, url: str, data: Mapping[str, str], headers: Mapping[str, str] | None = None
    ) -> Request:
        content = urlencode(data).encode()
        form_type = {"Content-Type": "application/x-www-form-urlencoded"}
        return cls("POST", url, {**(headers or {}), **form_type}, content)

    def header(self, name: str) -> str:
        return self.headers.get(name.lower(), "")

    def json_body(self) -> Any:
        """The body as JSON (for mock handlers). Raises ValueError."""
        return json.loads(self.content)


@dataclass(frozen=True)
class Response:
    status_code: int
    headers: Mapping[str, str] = field(default_factory=dict)
    content: bytes = b""

    def __post_init__(self) -> None:
        object.__setattr__(self, "headers", _lower(self.headers))

    @classmethod
    def json_of(
        cls, status_code: int, body: Any, headers: Mapping[str, str] | None = None
    ) -> Response:
        content = json.dumps(body).encode()
        return cls(status_code, {**(headers or {}), "Content-Type": "application/json"}, content)

    def header(self, name: str) -> str:
        return self.headers.get(name.lower(), "")

    @property
    def is_json(self) -> bool:
        return self.header("content-type").split(";")[0].strip() == "application/json"

    def json(self) -> Any:
        """The body as JSON. Raises ValueError when it is not."""
        return json.loads(self.content)


class Transport(Protocol):
    def handle(self, request: Request) -> Response:
        """Send the request, return the response as it came (3xx included).

        Raises a TransportError subclass when no response arrives.
        """
        ...


class TransportError(Exception):
    """No usable response. Subclasses say whether the request may have reached the server."""

    request_sent: bool = True


class ConnectFailed(TransportError):
    """Could not connect (refused, unreachable, DNS failed, TLS failed): nothing was sent."""

    request_sent = False


class ConnectTimeout(ConnectFailed):
    """No connection within the connect timeout: nothing was sent."""


class AddressRefused(ConnectFailed):
    """The host resolves to an address this transport may not reach: nothing was sent."""


class NetworkBusy(ConnectFailed):
    """Every outbound slot of this process stayed taken for the whole wait: nothing was sent."""


class ReadTimeout(TransportError):
    """Sent, but no complete answer within the read timeout: the outcome is unknown."""


class ConnectionLost(TransportError):
    """The connection broke after the request was (perhaps partly) sent: outcome unknown."""


# --- the address guard ------------------------------------------------------------------


def is_public(address: IPAddress) -> bool:
    """Whether an address is on the public internet (what may be reached by default)."""
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped:
        address = address.ipv4_mapped  # ::ffff:127.0.0.1 is 127.0.0.1
    return address.is_global and not (
        address.is_private
        or address.is_loopback
        or address.is_link_local
        or address.is_reserved
        or address.is_multicast
        or address.is_unspecified
    )


# A test seam and the only name lookup: tests point a host name at 127.0.0.1 with it.
Resolver = Callable[[str, int], list[tuple[int, str]]]


def system_resolver(host: str, port: int) -> list[tuple[int, str]]:
    """(address family, address) for every address the system resolves ``host`` to."""
    infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM, proto=socket.IPPROTO_TCP)
    return [(family, str(sockaddr[0])) for family, _, _, _, sockaddr in infos]


# --- the real transport -----------------------------------------------------------------


@functools.cache
def default_tls_context() -> ssl.SSLContext:
    """The verifying TLS context of every transport given none, made once per process:
    making one loads the system's CA store, about 50 ms of CPU, and the wallet makes a
    transport for every card-network call (bench/payments.py measured it as a third of a
    payment's CPU). A context is safe to share between threads once configured."""
    return ssl.create_default_context()


class HttpTransport:
    """HTTP/1.1 over http.client: timeouts, no redirects, an address guard (see module)."""

    def __init__(
        self,
        *,
        connect_timeout: float = 3.0,
        read_timeout: float = 10.0,
        allowed_networks: Iterable[IPNetwork] = (),
        max_response_bytes: int = 1 << 20,
        resolver: Resolver = system_resolver,
        ssl_context: ssl.SSLContext | None = None,
    ) -> None:
        self.connect_timeout = connect_timeout
        self.read_timeout = read_timeout
        self.allowed_networks = tuple(allowed_networks)
        self.max_response_bytes = max_response_bytes
        self._resolve = resolver
        self._ssl_context = ssl_context

    def _tls(self) -> ssl.SSLContext:
        return self._ssl_context or default_tls_context()

    def __repr__(self) -> str:
        allowed = ",".join(str(n) for n in self.allowed_networks) or "none"
        return (
            f"HttpTransport(connect={self.connect_timeout}s, read={self.read_timeout}s, "
            f"private networks allowed: {allowed})"
        )

    def allows(self, address: IPAddress) -> bool:
        if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped:
            address = address.ipv4_mapped
        return is_public(address) or any(address in net for net in self.allowed_networks)

    def _connect(self, host: str, port: int) -> socket.socket:
        """Resolve, refuse if any address is off limits, connect to a checked address."""
        try:
            resolved = self._resolve(host, port)
        except (OSError, UnicodeError) as exc:
            raise ConnectFailed(f"cannot resolve {host}: {exc}") from None
        if not resolved:
            raise ConnectFailed(f"{host} resolves to no address")
        for _, text in resolved:
            if not self.allows(ipaddress.ip_address(text.split("%")[0])):
                raise AddressRefused(f"{host} resolves to {text}, which may not be reached")
        last: OSError | None = None
        for family, text in resolved:
            sock = socket.socket(family, socket.SOCK_STREAM)
            sock.settimeout(self.connect_timeout)
            try:
                sock.connect((text, port))
            except TimeoutError:
                sock.close()
                raise ConnectTimeout(f"no connection to {host}:{port} in time") from None
            except OSError as exc:
                sock.close()
                last = exc
                continue
            sock.settimeout(self.read_timeout)
            return sock
        raise ConnectFailed(f"cannot connect to {host}:{port}: {last}") from None

    def handle(self, request: Request) -> Response:
        parts = urlsplit(request.url)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise ConnectFailed(f"not an http(s) URL: {parts.scheme}://{parts.hostname}")
        if parts.username or parts.password:
            raise ConnectFailed("credentials in a URL are refused")
        host = parts.hostname
        port = parts.port or (443 if parts.scheme == "https" else 80)
        sock = self._connect(host, port)
        conn: http.client.HTTPConnection
        if parts.scheme == "https":
            try:
                sock = self._tls().wrap_socket(sock, server_hostname=host)
            except TimeoutError:
                sock.close()
                raise ConnectTimeout(f"no TLS handshake with {host} in time") from None
            except (ssl.SSLError, OSError) as exc:
                sock.close()
                raise ConnectFailed(f"TLS with {host} failed: {exc}") from None
            conn = http.client.HTTPSConnection(host, port, context=self._tls())
        else:
            conn = http.client.HTTPConnection(host, port)
        conn.sock = sock  # connected and checked above: http.client never resolves again
        path = parts.path or "/"
        if parts.query:
            path += "?" + parts.query
        headers = {"Connection": "close", **request.headers}
        try:
            conn.request(request.method, path, body=request.content or None, headers=headers)
            raw = conn.getresponse()
            content = raw.read(self.max_response_bytes + 1)
        except TimeoutError:
            raise ReadTimeout(f"{host} did not answer in time") from None
        except (OSError, http.client.HTTPException) as exc:
            raise ConnectionLost(f"connection to {host} lost: {type(exc).__name__}") from None
        finally:
            conn.close()
        if len(content) > self.max_response_bytes:
            raise ConnectionLost(f"{host} answered more than {self.max_response_bytes} bytes")
        return Response(raw.status, dict(raw.getheaders()), content)


# --- the per-process limit -------------------------------------------------------------


class LimitedTransport:
    """At most ``slots.capacity`` calls of this process in flight, over any inner transport.

    ``slots`` is shared by every transport of the process (card network, OIDC), so the
    limit is one number per process. A call that finds no slot free within ``wait``
    seconds raises :class:`NetworkBusy` without touching the network.
    """

    def __init__(self, inner: Transport, slots: Slots, *, wait: float) -> None:
        self.inner = inner
        self.slots = slots
        self.wait = wait

    def __repr__(self) -> str:
        return f"LimitedTransport({self.inner!r}, {self.slots.capacity} slots, wait={self.wait}s)"

    def handle(self, request: Request) -> Response:
        if not self.slots.acquire(self.wait):
            raise NetworkBusy(f"all {self.slots.capacity} outbound slots are busy")
        try:
            return self.inner.handle(request)
        finally:
            self.slots.release()


class Slots:
    """A counting semaphore that knows its capacity and how many slots are taken."""

    def __init__(self, capacity: int) -> None:
        if capacity < 1:
            raise ValueError("an outbound limit needs at least one slot")
        self.capacity = capacity
        self._semaphore = threading.BoundedSemaphore(capacity)
        self._lock = threading.Lock()
        self._taken = 0

    @property
    def taken(self) -> int:
        with self._lock:
            return self._taken

    def acquire(self, wait: float) -> bool:
        if not self._semaphore.acquire(timeout=wait):
            return False
        with self._lock:
            self._taken += 1
        return True

    def release(self) -> None:
        with self._lock:
            self._taken -= 1
        self._semaphore.release()


# --- the test double --------------------------------------------------------------------


class MockTransport:
    """A transport that calls ``handler(request)`` instead of the network (httpx's mock).

    The handler returns a Response or raises a TransportError. ``requests`` records every
    request handled, for assertions.
    """

    def __init__(self, handler: Callable[[Request], Response]) -> None:
        self.handler = handler
        self.requests: list[Request] = []

    def handle(self, request: Request) -> Response:
        self.requests.append(request)
        return self.handler(request)
