"""The cardnet connector: one method per flow over a kernel.http transport.

``CardnetConnector(transport, base_url, api_key, signer)`` is what the registry builds for
the wallet; the wire format is in :mod:`zhifu.connectors.cardnet.wire`. The transport's
errors become the contract's: could not connect (nothing sent) is NetworkUnavailable (its
NetworkBusy when this process's outbound slots were all taken), a timeout or a broken
connection after sending is OutcomeUnknown.

The challenge answer is checked with ``signer``, keyed by cardnet's challenge signing key
(not the API key: whoever holds the bearer key must not be able to forge an "approved").
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

from zhifu.connectors.base import (
    AuthorizeRequest,
    AuthorizeResult,
    CaptureRequest,
    CaptureResult,
    CompleteChallengeRequest,
    NetworkBusy,
    NetworkUnavailable,
    OutcomeUnknown,
    RefundRequest,
    RefundResult,
    StatusRequest,
    StatusResult,
    VerifyRequest,
    VerifyResult,
    VoidRequest,
    VoidResult,
)
from zhifu.connectors.cardnet import wire
from zhifu.kernel import http, signing

__all__ = ["CardnetConnector"]

T = TypeVar("T")


class CardnetConnector:
    def __init__(
        self, transport: http.Transport, base_url: str, api_key: str, signer: signing.Signer
    ) -> None:
        self.transport = transport
        self.base_url = base_url.rstrip("/")
        self._api_key = api_key
        self._signer = signer

    def __repr__(self) -> str:
        return f"CardnetConnector({self.base_url!r})"

    def _call(self, request: http.Request, parse: Callable[[http.Response], T]) -> T:
        try:
            response = self.transport.handle(request)
        except http.NetworkBusy as exc:
            raise NetworkBusy(str(exc)) from None
        except http.ConnectTimeout:
            raise NetworkUnavailable("the card network did not accept a connection") from None
        except http.ConnectFailed as exc:
            raise NetworkUnavailable(f"the card network cannot be reached ({exc})") from None
        except http.TransportError as exc:
            raise OutcomeUnknown(f"the card network did not answer ({exc})") from None
        return parse(response)

    def verify(self, request: VerifyRequest) -> VerifyResult:
        return self._call(
            wire.verify_request(self.base_url, self._api_key, request),
            lambda r: wire.parse_verify(r, self.base_url),
        )

    def complete_challenge(self, request: CompleteChallengeRequest) -> VerifyResult:
        return wire.parse_challenge_answer(self._signer, request.reference, request.answer)

    def authorize(self, request: AuthorizeRequest) -> AuthorizeResult:
        return self._call(
            wire.authorize_request(self.base_url, self._api_key, request),
            lambda r: wire.parse_authorize(r, self.base_url),
        )

    def capture(self, request: CaptureRequest) -> CaptureResult:
        return self._call(
            wire.capture_request(self.base_url, self._api_key, request),
            lambda r: wire.parse_capture(r, request.authorization),
        )

    def void(self, request: VoidRequest) -> VoidResult:
        return self._call(
            wire.void_request(self.base_url, self._api_key, request),
            lambda r: wire.parse_void(r, request.authorization),
        )

    def refund(self, request: RefundRequest) -> RefundResult:
        return self._call(
            wire.refund_request(self.base_url, self._api_key, request),
            lambda r: wire.parse_refund(r, request.authorization),
        )

    def status(self, request: StatusRequest) -> StatusResult:
        return self._call(
            wire.status_request(self.base_url, self._api_key, request), wire.parse_status
        )
