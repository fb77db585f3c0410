"""A programmable in-memory card network for tests (and a wallet run without cardnet).

By default it approves verifications, authorizes, and captures, voids and refunds within
what each authorization allows, keeping the books in memory. Program any flow to answer
otherwise with :meth:`FakeCardNetwork.program` (or ``outcomes`` for verifications, by card
number): a result to return, or an error to raise (``Refused``, ``NetworkUnavailable``,
``OutcomeUnknown``).

Like a real network it honours idempotency keys: a request repeated under the same key gets
the first answer again and acts once, and ``status`` finds an operation by its key.
``seen_cvcs`` records every CVC that reached it (the canary tests check that the CVC went
there and nowhere else).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from zhifu.connectors.base import (
    AuthorizeRequest,
    AuthorizeResult,
    CaptureRequest,
    CaptureResult,
    ChallengeInvalid,
    CompleteChallengeRequest,
    DeclineCode,
    Flow,
    NetworkStatus,
    NetworkUnavailable,
    RefundRequest,
    RefundResult,
    Refused,
    StatusRequest,
    StatusResult,
    VerifyRequest,
    VerifyResult,
    VoidRequest,
    VoidResult,
)
from zhifu.kernel import ids
from zhifu.kernel.money import Money

Outcome = Any  # a flow's result, or an exception to raise

# The answers a buyer's "Confirm" and "Cancel" buttons bring back from the fake challenge.
APPROVE = "approve"
DECLINE = "decline"


@dataclass
class _Authorization:
    amount: Money
    captured: int = 0
    refunded: int = 0
    voided: bool = False


@dataclass
class FakeCardNetwork:
    outcomes: dict[str, Outcome] = field(default_factory=dict)  # verify, by card number
    scripted: dict[tuple[Flow, str], Outcome] = field(default_factory=dict)
    calls: int = 0
    requests: list[object] = field(default_factory=list, repr=False)
    seen_cvcs: list[str] = field(default_factory=list, repr=False)
    _done: dict[str, tuple[Flow, Any]] = field(default_factory=dict, repr=False)
    _authorizations: dict[str, _Authorization] = field(default_factory=dict, repr=False)

    def program(self, flow: Flow, key: str, outcome: Outcome) -> None:
        """Answer ``outcome`` to ``flow`` for ``key``: the card number for verify and
        authorize, the authorization for capture, void and refund."""
        if flow is Flow.VERIFY:
            self.outcomes[key] = outcome
        else:
            self.scripted[(flow, key)] = outcome

    def _run(self, flow: Flow, request: Any, key: str, default: Any) -> Any:
        self.calls += 1
        self.requests.append(request)
        if request.idempotency_key in self._done:
            return self._done[request.idempotency_key][1]
        outcome = self.outcomes.get(key) if flow is Flow.VERIFY else self.scripted.get((flow, key))
        if isinstance(outcome, Exception):
            raise outcome
        result = outcome if outcome is not None else default()
        self._done[request.idempotency_key] = (flow, result)
        return result

    def verify(self, request: VerifyRequest) -> VerifyResult:
        if request.card.cvc:
            self.seen_cvcs.append(request.card.cvc)
        result: VerifyResult = self._run(
            Flow.VERIFY,
            request,
            request.card.number,
            lambda: VerifyResult(NetworkStatus.APPROVED, ids.new_id("fakever")),
        )
        return result

    def complete_challenge(self, request: CompleteChallengeRequest) -> VerifyResult:
        if request.answer == APPROVE:
            self._approve_challenged_authorization(request.reference)
            return VerifyResult(NetworkStatus.APPROVED, request.reference)
        if request.answer == DECLINE:
            raise Refused(DeclineCode.OTHER, request.reference)
        raise ChallengeInvalid("unknown answer")

    def authorize(self, request: AuthorizeRequest) -> AuthorizeResult:
        if request.card.cvc:
            self.seen_cvcs.append(request.card.cvc)

        def approve() -> AuthorizeResult:
            reference = ids.new_id("fakeauth")
            self._authorizations[reference] = _Authorization(request.amount)
            return AuthorizeResult(NetworkStatus.AUTHORIZED, reference, request.amount)

        result: AuthorizeResult = self._run(Flow.AUTHORIZE, request, request.card.number, approve)
        return result

    def _approve_challenged_authorization(self, reference: str) -> None:
        """An authorization that answered CHALLENGE is authorized once confirmed: its
        status says so and it can be captured."""
        for key, (flow, result) in list(self._done.items()):
            if (
                flow is Flow.AUTHORIZE
                and result.reference == reference
                and result.status is NetworkStatus.CHALLENGE
            ):
                self._authorizations.setdefault(reference, _Authorization(result.amount))
                self._done[key] = (
                    flow,
                    AuthorizeResult(NetworkStatus.AUTHORIZED, reference, result.amount),
                )

    def _authorization(self, reference: str) -> _Authorization:
        found = self._authorizations.get(reference)
        if found is None:
            raise NetworkUnavailable(f"no authorization {reference}")
        return found

    def capture(self, request: CaptureRequest) -> CaptureResult:
        def capture() -> CaptureResult:
            auth = self._authorization(request.authorization)
            if auth.voided or auth.captured + request.amount.minor > auth.amount.minor:
                raise Refused(DeclineCode.OTHER, request.authorization)
            auth.captured += request.amount.minor
            return CaptureResult(
                NetworkStatus.CAPTURED, ids.new_id("fakecap"), request.authorization, request.amount
            )

        result: CaptureResult = self._run(Flow.CAPTURE, request, request.authorization, capture)
        return result

    def void(self, request: VoidRequest) -> VoidResult:
        def void() -> VoidResult:
            auth = self._authorization(request.authorization)
            if auth.captured:
                raise Refused(DeclineCode.OTHER, request.authorization)
            auth.voided = True
            return VoidResult(NetworkStatus.VOIDED, request.authorization)

        result: VoidResult = self._run(Flow.VOID, request, request.authorization, void)
        return result

    def refund(self, request: RefundRequest) -> RefundResult:
        def refund() -> RefundResult:
            auth = self._authorization(request.authorization)
            if auth.refunded + request.amount.minor > auth.captured:
                raise Refused(DeclineCode.OTHER, request.authorization)
            auth.refunded += request.amount.minor
            return RefundResult(
                NetworkStatus.REFUNDED, ids.new_id("fakeref"), request.authorization, request.amount
            )

        result: RefundResult = self._run(Flow.REFUND, request, request.authorization, refund)
        return result

    def status(self, request: StatusRequest) -> StatusResult:
        self.calls += 1
        self.requests.append(request)
        done = self._done.get(request.idempotency_key)
        if done is None:
            raise NetworkUnavailable("no operation under this idempotency key")
        flow, result = done
        reference = getattr(result, "reference", "") or getattr(result, "authorization", "")
        return StatusResult(flow, result.status, reference, getattr(result, "amount", None))
