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


@dataclass(frozen=True)
class VerificationResult:
    status: VerificationStatus
    reference: str = ""
    decline_code: DeclineCode | None = None


class NetworkUnavailable(Exception):
    """The network did not answer in time, or answered something unusable."""


class CardNetwork(Protocol):
    def verify(self, request: VerificationRequest) -> VerificationResult: ...


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
        self.url = base_url.rstrip("/") + "/api/v1/verifications"
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
        return VerificationResult(
            status=status,
            reference=str(data.get("id") or ""),
            decline_code=_decline(code) if status is VerificationStatus.DECLINED else None,
        )


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
