"""The card-network contract: what the wallet asks a network, and what it may answer.

In the style of Saleor's ``payment/interface.py`` (plain dataclasses are the only contract)
and Hyperswitch's connectors (one method per flow, wire formats elsewhere):

- one frozen request and one frozen result per flow, every request carrying an
  ``idempotency_key``: the network must act at most once per key, so a retry after a
  timeout cannot verify, authorize, capture or refund twice;
- a :class:`CardNetwork` Protocol with one method per flow;
- three outcomes a caller must tell apart when a flow does not succeed:

  =====================  ===============================================  ==================
  error                  what happened                                    what the caller may assume
  =====================  ===============================================  ==================
  :class:`Refused`       the network answered no (a decline code)         nothing happened
  :class:`NetworkUnavailable`  no connection, or the network turned the   nothing happened
                         request away unread: nothing was acted on
  :class:`OutcomeUnknown`  sent, then no usable answer (timeout,          **neither**: ask
                         connection lost, an answer it cannot read)       :meth:`status` later
  =====================  ===============================================  ==================

  For a zero-amount verify the last two both mean "the card was not saved, nothing was
  charged"; for an authorize or a capture, OutcomeUnknown must leave the attempt open
  until ``status`` settles it.

Card numbers and CVCs live in :class:`CardDetails` for the duration of one call; their repr
hides them, so a traceback cannot print them.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass, field
from typing import ClassVar, Protocol

from zhifu.kernel.errors import Codes, Refusal
from zhifu.kernel.money import Money

__all__ = [
    "AuthorizeRequest",
    "AuthorizeResult",
    "CaptureRequest",
    "CaptureResult",
    "CardDetails",
    "CardNetwork",
    "ChallengeInvalid",
    "CompleteChallengeRequest",
    "ConnectorCode",
    "DeclineCode",
    "Flow",
    "NetworkBusy",
    "NetworkError",
    "NetworkStatus",
    "NetworkUnavailable",
    "OutcomeUnknown",
    "RefundRequest",
    "RefundResult",
    "Refused",
    "StatusRequest",
    "StatusResult",
    "VerifyRequest",
    "VerifyResult",
    "VoidRequest",
    "VoidResult",
]


class Flow(enum.Enum):
    VERIFY = "verify"
    AUTHORIZE = "authorize"
    CAPTURE = "capture"
    VOID = "void"
    REFUND = "refund"


class NetworkStatus(enum.Enum):
    """Where an operation stands, in the wallet's words (each connector maps its own)."""

    APPROVED = "approved"  # a verification passed
    CHALLENGE = "challenge"  # the buyer must confirm with the issuer first (3-D Secure-like)
    AUTHORIZED = "authorized"  # funds held, not yet captured
    CAPTURED = "captured"
    VOIDED = "voided"
    REFUNDED = "refunded"
    PENDING = "pending"  # accepted, not final yet: ask status() later
    DECLINED = "declined"  # only in a StatusResult; a flow raises Refused instead


class DeclineCode(enum.Enum):
    INSUFFICIENT_FUNDS = "insufficient_funds"
    DO_NOT_HONOUR = "do_not_honour"
    EXPIRED_CARD = "expired_card"
    STOLEN_CARD = "stolen_card"
    INCORRECT_CVC = "incorrect_cvc"
    INVALID_NUMBER = "invalid_number"
    OTHER = "other"  # any code the wallet does not know yet: still a decline, never approval


# --- requests and results ---------------------------------------------------------------


@dataclass(frozen=True)
class CardDetails:
    number: str = field(repr=False)
    exp_month: int
    exp_year: int
    cvc: str = field(repr=False, default="")  # empty when a flow sends none (a stored card)
    holder_name: str = ""


@dataclass(frozen=True)
class VerifyRequest:
    """A zero-amount verification: is this card real, live, and its CVC right?"""

    idempotency_key: str
    card: CardDetails
    return_url: str = ""  # where the issuer's challenge page sends the buyer back
    merchant: str = ""  # who asks, named on the issuer's challenge page


@dataclass(frozen=True)
class VerifyResult:
    status: NetworkStatus  # APPROVED or CHALLENGE
    reference: str
    challenge_url: str = ""  # when CHALLENGE: where to send the buyer


@dataclass(frozen=True)
class CompleteChallengeRequest:
    """The answer the buyer brought back from the issuer's challenge page."""

    idempotency_key: str
    reference: str  # the verification or authorization that asked for the challenge
    answer: str = field(repr=False)


@dataclass(frozen=True)
class AuthorizeRequest:
    idempotency_key: str
    card: CardDetails
    amount: Money
    return_url: str = ""
    merchant: str = ""  # the shop, named on the issuer's challenge page


@dataclass(frozen=True)
class AuthorizeResult:
    status: NetworkStatus  # AUTHORIZED, CHALLENGE or PENDING
    reference: str  # the authorization: captures, voids and refunds name it
    amount: Money
    challenge_url: str = ""


@dataclass(frozen=True)
class CaptureRequest:
    idempotency_key: str
    authorization: str
    amount: Money  # at most what is authorized and not captured yet


@dataclass(frozen=True)
class CaptureResult:
    status: NetworkStatus  # CAPTURED or PENDING
    reference: str
    authorization: str
    amount: Money


@dataclass(frozen=True)
class VoidRequest:
    idempotency_key: str
    authorization: str


@dataclass(frozen=True)
class VoidResult:
    status: NetworkStatus  # VOIDED or PENDING
    authorization: str


@dataclass(frozen=True)
class RefundRequest:
    idempotency_key: str
    authorization: str  # whose captured funds go back
    amount: Money


@dataclass(frozen=True)
class RefundResult:
    status: NetworkStatus  # REFUNDED or PENDING
    reference: str
    authorization: str
    amount: Money


@dataclass(frozen=True)
class StatusRequest:
    """Where does the operation sent under ``idempotency_key`` stand?

    The key is the one of the earlier request (after an OutcomeUnknown, the only name the
    wallet may have for it); a read needs no key of its own.
    """

    idempotency_key: str


@dataclass(frozen=True)
class StatusResult:
    flow: Flow
    status: NetworkStatus
    reference: str
    amount: Money | None = None
    decline_code: DeclineCode | None = None  # when DECLINED


# --- errors -----------------------------------------------------------------------------


class ConnectorCode(Codes):
    REFUSED = "network_refused"
    UNAVAILABLE = "network_unavailable"
    BUSY = "network_busy"
    OUTCOME_UNKNOWN = "network_outcome_unknown"
    CHALLENGE_INVALID = "network_challenge_invalid"


class NetworkError(Refusal):
    """Base of what a connector raises. Areas turn these into their own refusals with
    translated messages; the English text here is for logs."""

    code: ClassVar[str] = "network_error"
    default_message: ClassVar[object] = "The card network could not complete the request."
    http_status: ClassVar[int] = 502


class Refused(NetworkError):
    """The network answered no. Nothing happened; ``decline_code`` says why."""

    code = ConnectorCode.REFUSED
    default_message = "The card network declined."
    http_status = 402

    def __init__(
        self, decline_code: DeclineCode, reference: str = "", message: object | None = None
    ) -> None:
        super().__init__(message, decline_code=decline_code.value)
        self.decline_code = decline_code
        self.reference = reference


class NetworkUnavailable(NetworkError):
    """Nothing was acted on: no connection, or the request was turned away unread."""

    code = ConnectorCode.UNAVAILABLE
    default_message = "The card network cannot be reached."
    http_status = 503


class NetworkBusy(NetworkUnavailable):
    """Not sent: every outbound slot of this process stayed taken (kernel.http.NetworkBusy)."""

    code = ConnectorCode.BUSY
    default_message = "Too many calls to the card network are in flight; nothing was sent."


class OutcomeUnknown(NetworkError):
    """Sent, but no usable answer came back: the network may or may not have acted."""

    code = ConnectorCode.OUTCOME_UNKNOWN
    default_message = "The card network did not answer in time."
    http_status = 504


class ChallengeInvalid(NetworkError):
    """A challenge answer that is forged, expired, or for another operation."""

    code = ConnectorCode.CHALLENGE_INVALID
    default_message = "The challenge answer is forged, expired or for another operation."
    http_status = 400


# --- the port ---------------------------------------------------------------------------


class CardNetwork(Protocol):
    """One method per flow. Each raises Refused, NetworkUnavailable or OutcomeUnknown."""

    def verify(self, request: VerifyRequest) -> VerifyResult: ...

    def complete_challenge(self, request: CompleteChallengeRequest) -> VerifyResult:
        """The outcome of a challenge, from the answer the buyer came back with.

        Raises ChallengeInvalid (forged, expired, mismatched) or Refused (not confirmed).
        """
        ...

    def authorize(self, request: AuthorizeRequest) -> AuthorizeResult: ...

    def capture(self, request: CaptureRequest) -> CaptureResult: ...

    def void(self, request: VoidRequest) -> VoidResult: ...

    def refund(self, request: RefundRequest) -> RefundResult: ...

    def status(self, request: StatusRequest) -> StatusResult: ...
