"""The card-network port: how the wallet asks a network to verify a card.

A small interface in the style of httpx's BaseTransport and Saleor's gateway interface:
plain dataclasses in and out, one method, an HTTP implementation for cardnet (or any
acquirer speaking the same wire format) and an in-memory fake for tests. Nothing here
imports Django; the wallet builds the HTTP connector from its configuration in services.

The request carries the CVC; it lives only in this object for the duration of one call.
Its repr masks the card number and hides the CVC, so a traceback cannot print them.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass, field
from typing import Protocol

import requests

from zhifu.kernel import ids


class VerificationStatus(enum.Enum):
    APPROVED = "approved"
    DECLINED = "declined"
    CHALLENGE = "challenge"


class DeclineCode(enum.Enum):
    INSUFFICIENT_FUNDS = "insufficient_funds"
    DO_NOT_HONOUR = "do_not_honour"
    EXPIRED_CARD = "expired_card"
    STOLEN_CARD = "stolen_card"
    INCORRECT_CVC = "incorrect_cvc"
    INVALID_NUMBER = "invalid_number"
    OTHER = "other"  # any code this wallet does not know yet: never guessed as "approved"


@dataclass(frozen=True)
class VerificationRequest:
    number: str = field(repr=False)
    exp_month: int
    exp_year: int
    cvc: str = field(repr=False)
    holder_name: str
    # Where the issuer's challenge page sends the buyer back (3-D Secure-like).
    return_url: str = ""


@dataclass(frozen=True)
class VerificationResult:
    status: VerificationStatus
    reference: str = ""
    decline_code: DeclineCode | None = None
    challenge_url: str = ""  # when status is CHALLENGE: where to send the buyer


class NetworkUnavailable(Exception):
    """The network did not answer in time, or answered something unusable."""


class ChallengeInvalid(Exception):
    """A challenge answer that is forged, expired, or for another verification."""


class CardNetwork(Protocol):
    def verify(self, request: VerificationRequest) -> VerificationResult: ...

    def complete_challenge(self, reference: str, answer: str) -> VerificationResult:
        """The outcome of a challenge, from the answer the network sent the buyer back with."""
        ...


# cardnet signs the challenge answer with the shared API key (django.core.signing, salted).
CHALLENGE_RESULT_SALT = "zhifu.cardnet.challenge-result"
CHALLENGE_MAX_AGE_S = 15 * 60


def _status(value: object) -> VerificationStatus:
    try:
        return VerificationStatus(value)
    except ValueError:
        raise NetworkUnavailable(f"unknown verification status {value!r}") from None


def _decline(value: object) -> DeclineCode:
    try:
        return DeclineCode(value)
    except ValueError:
        return DeclineCode.OTHER


class HttpCardNetwork:
    """cardnet over HTTP: JSON, bearer key, short timeouts, redirects refused."""

    def __init__(
        self,
        base_url: str,
        api_key: str,
        *,
        connect_timeout: float = 3.0,
        read_timeout: float = 8.0,
        session: requests.Session | None = None,
    ) -> None:
        self.base_url = base_url.rstrip("/")
        self.url = self.base_url + "/api/v1/verifications"
        self._api_key = api_key
        self.timeout = (connect_timeout, read_timeout)
        self.session = session or requests.Session()
        self.session.trust_env = False  # no proxies from the environment for card data

    def __repr__(self) -> str:
        return f"HttpCardNetwork({self.url!r})"

    def verify(self, request: VerificationRequest) -> VerificationResult:
        body: dict[str, str | int] = {
            "number": request.number,
            "exp_month": request.exp_month,
            "exp_year": request.exp_year,
            "cvc": request.cvc,
            "holder_name": request.holder_name,
        }
        if request.return_url:
            body["return_url"] = request.return_url
        try:
            response = self.session.post(
                self.url,
                json=body,
                headers={"Authorization": f"Bearer {self._api_key}"},
                timeout=self.timeout,
                allow_redirects=False,
            )
        except requests.Timeout:
            raise NetworkUnavailable("the card network did not answer in time") from None
        except requests.RequestException as exc:
            raise NetworkUnavailable(
                f"the card network cannot be reached ({type(exc).__name__})"
            ) from None
        finally:
            del body
        if response.status_code != 200:
            raise NetworkUnavailable(f"the card network answered HTTP {response.status_code}")
        try:
            data = response.json()
        except ValueError:
            raise NetworkUnavailable(
                "the card network answered something that is not JSON"
            ) from None
        if not isinstance(data, dict):
            raise NetworkUnavailable("the card network answered an unexpected document")
        status = _status(data.get("status"))
        code = data.get("decline_code")
        challenge_url = str(data.get("challenge_url") or "")
        if status is VerificationStatus.CHALLENGE and not challenge_url.startswith(
            self.base_url + "/"
        ):
            # The buyer is only ever sent to the network we are configured to talk to.
            raise NetworkUnavailable("the card network asked for a challenge elsewhere")
        return VerificationResult(
            status=status,
            reference=str(data.get("id") or ""),
            decline_code=_decline(code) if status is VerificationStatus.DECLINED else None,
            challenge_url=challenge_url if status is VerificationStatus.CHALLENGE else "",
        )

    def complete_challenge(self, reference: str, answer: str) -> VerificationResult:
        """Check cardnet's signed answer (no network call: the buyer brought it back)."""
        from django.core import signing

        try:
            data = signing.loads(
                answer, key=self._api_key, salt=CHALLENGE_RESULT_SALT, max_age=CHALLENGE_MAX_AGE_S
            )
        except signing.BadSignature:  # includes SignatureExpired
            raise ChallengeInvalid("the challenge answer is forged or expired") from None
        if not isinstance(data, dict) or data.get("id") != reference:
            raise ChallengeInvalid("the challenge answer is for another verification")
        if data.get("result") == "approved":
            return VerificationResult(VerificationStatus.APPROVED, reference)
        return VerificationResult(VerificationStatus.DECLINED, reference, DeclineCode.OTHER)


@dataclass
class FakeCardNetwork:
    """In-memory network for tests: approves unless told otherwise for a number.

    `seen_cvcs` records that a CVC reached the network (the canary test checks that the
    CVC went there and nowhere else).
    """

    outcomes: dict[str, VerificationResult | Exception] = field(default_factory=dict)
    calls: int = 0
    seen_cvcs: list[str] = field(default_factory=list, repr=False)

    def verify(self, request: VerificationRequest) -> VerificationResult:
        self.calls += 1
        self.seen_cvcs.append(request.cvc)
        outcome = self.outcomes.get(request.number)
        if isinstance(outcome, Exception):
            raise outcome
        return outcome or VerificationResult(VerificationStatus.APPROVED, ids.new_id("fakever"))

    def complete_challenge(self, reference: str, answer: str) -> VerificationResult:
        """Answers "approve" and "decline" are what a buyer's button would bring back."""
        if answer == "approve":
            return VerificationResult(VerificationStatus.APPROVED, reference)
        if answer == "decline":
            return VerificationResult(VerificationStatus.DECLINED, reference, DeclineCode.OTHER)
        raise ChallengeInvalid("unknown answer")
