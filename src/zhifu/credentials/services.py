"""Use cases for the payment password and security questions (they own the transaction).

Public API for other areas (payments, vault, recovery):

- ``step_up(user, pin, action) -> StepUp``: the payment-password check every guarded
  action goes through; raises ``WrongPaymentPassword``, ``PaymentPasswordLocked`` (5
  failures in a row lock it for 3 hours) or ``NoPaymentPassword``.
- ``redeem_step_up(owner_id, proof, action)``: called by the guarded use case *inside its
  own transaction*; raises ``StepUpInvalid``. ``check_step_up`` is the same test without
  consuming, for a use case that must refuse before a network call.
- ``has_payment_password(user) -> bool``, ``lock_state(user) -> datetime | None``,
  ``question_labels(user)``.
- ``register_credentials(user, pin, choices)``, ``change_payment_password(user, new,
  step_up=)``, ``change_security_questions(user, choices, step_up=)``: set new values
  (already validated by ``domain``; they validate again and raise ``ValueError`` on a rule
  breach).

How a step-up proof works, and why it is a row and not a signed token: ``step_up`` checks
the PIN under the lockout counter (one counter per user in the database, so every page
and process shares it and it survives restarts) and, when right, stores the SHA-256 of a
fresh 256-bit token (``domain.proof_digest``) with the owner, the action string and an expiry
(``domain.STEP_UP_LIFETIME``). Redeeming is one conditional UPDATE (``used_at`` is still
empty, owner, action and hash match, not expired) in the guarded use case's transaction:
the proof is spent if and only if the action commits, and of two concurrent redemptions
exactly one sees a row to update. A signed token would still need a used-token row to be
single use, plus a key to manage and rotate; the row alone does both jobs, and a PIN
change can revoke every proof still outstanding.
"""

from __future__ import annotations

import datetime as dt
import secrets
from collections.abc import Callable
from typing import Any

import structlog
from django.db import transaction
from django.db.models import QuerySet
from django.utils.translation import gettext_lazy as _
from django_stubs_ext import StrPromise

from zhifu.credentials import domain, hashing
from zhifu.credentials.domain import StepUp
from zhifu.credentials.errors import (
    MISMATCH,
    PIN_MESSAGES,
    QUESTION_MESSAGES,
    CredentialsRefusal,
    NoPaymentPassword,
    PaymentPasswordLocked,
    StepUpInvalid,
    WrongPaymentPassword,
)
from zhifu.credentials.models import PaymentPassword, SecurityAnswer, StepUpProof
from zhifu.credentials.questions import QUESTIONS
from zhifu.kernel import clock
from zhifu.notifications import services as notifications
from zhifu.security import services as security
from zhifu.security.domain import EventKind
from zhifu.web.forms import FieldErrors, PinRules

log = structlog.get_logger(__name__)

PIN = "payment-password"
ANSWER = "security-answer"

__all__ = [
    "CredentialsRefusal",
    "NoPaymentPassword",
    "PaymentPasswordLocked",
    "StepUp",
    "StepUpInvalid",
    "WrongPaymentPassword",
]


def has_payment_password(user: Any) -> bool:
    return PaymentPassword.objects.filter(user=user).exists()


def lock_state(user: Any) -> dt.datetime | None:
    row = PaymentPassword.objects.filter(user=user).only("locked_until").first()
    if row and row.locked_until and clock.now() < row.locked_until:
        return row.locked_until
    return None


def _check(
    user: Any, pin: str, on_success: Callable[[], None] | None = None
) -> domain.AttemptState:
    """Check ``pin`` under the row lock and count the attempt; the state after it.

    The check and the counter update happen under a row lock, so concurrent guesses cannot
    slip past the limit. Raises PaymentPasswordLocked while locked (a locked account gets
    no answer about the PIN at all) or when this failure locks it, NoPaymentPassword if
    none is set. ``on_success`` runs in the same transaction when the PIN is right.
    """
    with transaction.atomic():
        row = PaymentPassword.objects.select_for_update().filter(user=user).first()
        if row is None:
            raise NoPaymentPassword
        now = clock.now()
        state = domain.AttemptState(row.failures, row.locked_until)
        if domain.is_locked(state, now):
            assert row.locked_until is not None
            raise PaymentPasswordLocked(row.locked_until)
        ok = hashing.check(PIN, pin, row.pin_hash)
        state = domain.after_success() if ok else domain.after_failure(state, now)
        if (row.failures, row.locked_until) != (state.failures, state.locked_until):
            row.failures, row.locked_until = state.failures, state.locked_until
            row.save(update_fields=["failures", "locked_until"])
        kind = EventKind.PIN_OK if ok else EventKind.PIN_WRONG
        security.record(row.user_id, kind)
        if ok and on_success is not None:
            on_success()
        if state.locked_until is not None:
            security.record(row.user_id, EventKind.PIN_LOCKED)
            # Someone may be guessing: the owner hears of it, with a "This wasn't me" link.
            until = state.locked_until.strftime("%Y-%m-%d %H:%M")
            notifications.queue_email(
                row.user, "payment_password_locked", {"until": until}, freeze_link=True
            )
    if not ok and state.locked_until is not None:
        raise PaymentPasswordLocked(state.locked_until)
    return state


def verify_payment_password(user: Any, pin: str) -> bool:
    """True if ``pin`` is the user's payment password (counted like every attempt).

    Guarded actions use :func:`step_up` instead, which returns a proof to redeem.
    """
    return _check(user, pin).failures == 0


def _owner_id(user: Any) -> str:
    return str(getattr(user, "pk", user))


def step_up(user: Any, pin: str, action: str) -> StepUp:
    """Check the payment password; on success, a single-use proof for ``action``.

    ``action`` is a ``domain.bound(...)`` string: the proof authorizes that action only,
    for ``domain.STEP_UP_LIFETIME``. Raises WrongPaymentPassword (with the attempts left),
    PaymentPasswordLocked or NoPaymentPassword; the attempt is counted either way.
    """
    owner_id, now = _owner_id(user), clock.now()
    token = secrets.token_urlsafe(32)
    expires_at = now + domain.STEP_UP_LIFETIME

    def issue() -> None:  # in the check's transaction: the proof exists iff the PIN was right
        # Housekeeping: this owner's expired proofs, spent or not, are of no further use.
        StepUpProof.objects.filter(owner_id=owner_id, expires_at__lte=now).delete()
        StepUpProof.objects.create(
            token_hash=domain.proof_digest(token),
            owner_id=owner_id,
            action=action,
            created_at=now,
            expires_at=expires_at,
        )

    state = _check(user, pin, issue)
    if state.failures:
        raise WrongPaymentPassword(domain.MAX_FAILURES - state.failures)
    return StepUp(token=token, action=action, expires_at=expires_at)


def _live(owner_id: Any, proof: StepUp, action: str) -> QuerySet[StepUpProof]:
    return StepUpProof.objects.filter(
        token_hash=domain.proof_digest(proof.token),
        owner_id=_owner_id(owner_id),
        action=action,
        used_at__isnull=True,
        expires_at__gt=clock.now(),
    )


def check_step_up(owner_id: Any, proof: StepUp, action: str) -> None:
    """Raise StepUpInvalid unless ``proof`` could be redeemed for ``action`` now.

    Does not consume it: for a use case that must refuse before calling the network and
    redeems in its final transaction.
    """
    if not _live(owner_id, proof, action).exists():
        log.warning("credentials.step_up_refused", action=action, owner=_owner_id(owner_id))
        raise StepUpInvalid


def redeem_step_up(owner_id: Any, proof: StepUp, action: str) -> None:
    """Consume ``proof`` for ``action``, or raise StepUpInvalid.

    Must run inside the guarded use case's transaction (on the default database), so the
    proof is spent exactly when the action commits. A proof for another action or owner,
    one already used or one expired are refused alike.
    """
    if not transaction.get_connection().in_atomic_block:
        raise RuntimeError("redeem_step_up belongs inside the guarded use case's transaction")
    spent = _live(owner_id, proof, action).update(used_at=clock.now())
    if spent != 1:
        log.warning("credentials.step_up_refused", action=action, owner=_owner_id(owner_id))
        raise StepUpInvalid


def _check_pin(pin: str) -> None:
    problems = domain.pin_problems(pin)
    if problems:
        raise ValueError(f"payment password refused: {', '.join(problems)}")


def _answers(user: Any, choices: list[domain.QuestionChoice]) -> list[SecurityAnswer]:
    if len(choices) != domain.QUESTION_COUNT:
        raise ValueError("exactly three questions are needed")
    problems = domain.question_problems(choices, user.email or "")
    if problems:
        raise ValueError(f"security questions refused: {problems}")
    return [
        SecurityAnswer(
            user=user,
            position=i + 1,
            question=c.question,
            answer_hash=hashing.make(ANSWER, domain.normalize_answer(c.answer)),
        )
        for i, c in enumerate(choices)
    ]


def register_credentials(user: Any, pin: str, choices: list[domain.QuestionChoice]) -> None:
    """Set the first payment password and questions. Runs inside the caller's transaction
    when there is one (registration also consumes the e-mail link)."""
    _check_pin(pin)
    answers = _answers(user, choices)
    pin_hash = hashing.make(PIN, pin)
    with transaction.atomic():
        if PaymentPassword.objects.filter(user=user).exists():
            raise ValueError("credentials are already set")
        PaymentPassword.objects.create(user=user, pin_hash=pin_hash)
        SecurityAnswer.objects.bulk_create(answers)


def change_payment_password(user: Any, new_pin: str, *, step_up: StepUp) -> None:
    """Replace the payment password, with a proof for ``Action.PIN_CHANGE``.

    Every other proof still outstanding is revoked: it was earned with the old password.
    """
    _check_pin(new_pin)
    pin_hash = hashing.make(PIN, new_pin)
    owner_id = _owner_id(user)
    with transaction.atomic():
        redeem_step_up(owner_id, step_up, domain.bound(domain.Action.PIN_CHANGE))
        StepUpProof.objects.filter(owner_id=owner_id, used_at__isnull=True).delete()
        row = PaymentPassword.objects.select_for_update().get(user=user)
        row.pin_hash = pin_hash
        row.changed_at = clock.now()
        row.failures, row.locked_until = 0, None
        row.save(update_fields=["pin_hash", "changed_at", "failures", "locked_until"])
        notifications.queue_email(user, "payment_password_changed", freeze_link=True)
        security.record(row.user_id, EventKind.PIN_CHANGED)


def change_security_questions(
    user: Any, choices: list[domain.QuestionChoice], *, step_up: StepUp
) -> None:
    """Replace all three questions and answers, with a proof for
    ``Action.QUESTIONS_CHANGE``."""
    answers = _answers(user, choices)
    with transaction.atomic():
        redeem_step_up(user, step_up, domain.bound(domain.Action.QUESTIONS_CHANGE))
        SecurityAnswer.objects.filter(user=user).delete()
        SecurityAnswer.objects.bulk_create(answers)
        notifications.queue_email(user, "security_questions_changed", freeze_link=True)
        security.record(user, EventKind.QUESTIONS_CHANGED)


# --- recovery (zhifu.recovery calls these after its own checks) -------------------------


def answers_match(user: Any, answers: list[str]) -> bool:
    """True when all three answers, in the order of the user's questions, match after the
    registration's normalization. Counts nothing: recovery keeps its own counters (per
    link and per day). Every answer is hashed, right or wrong, so the time says nothing
    about which one failed."""
    stored = list(SecurityAnswer.objects.filter(user=user).order_by("position"))
    if len(stored) != domain.QUESTION_COUNT or len(answers) != domain.QUESTION_COUNT:
        return False
    results = [
        hashing.check(ANSWER, domain.normalize_answer(given), row.answer_hash)
        for given, row in zip(answers, stored, strict=True)
    ]
    return all(results)


def is_current_pin(user: Any, pin: str) -> bool:
    """Whether ``pin`` is the current payment password, without counting an attempt: only
    for refusing a "new" password equal to the old one after recovery's own checks."""
    row = PaymentPassword.objects.filter(user=user).first()
    return row is not None and hashing.check(PIN, pin, row.pin_hash)


def recover_payment_password(user: Any, new_pin: str) -> None:
    """Set a new payment password after recovery's e-mail link and answers (the caller's
    transaction; it has checked ``new_pin_errors`` and :func:`is_current_pin`). Clears the
    lock and failure counter and revokes every outstanding step-up proof."""
    _check_pin(new_pin)
    pin_hash = hashing.make(PIN, new_pin)
    with transaction.atomic():
        StepUpProof.objects.filter(owner_id=_owner_id(user), used_at__isnull=True).delete()
        row = PaymentPassword.objects.select_for_update().get(user=user)
        row.pin_hash = pin_hash
        row.changed_at = clock.now()
        row.failures, row.locked_until = 0, None
        row.save(update_fields=["pin_hash", "changed_at", "failures", "locked_until"])


def questions_of(user: Any) -> list[str]:
    """The question keys the user chose, in order (never the answers)."""
    return list(
        SecurityAnswer.objects.filter(user=user)
        .order_by("position")
        .values_list("question", flat=True)
    )


def question_labels(user: Any) -> list[StrPromise | str]:
    """The wording of the user's questions in the active language, in order."""
    return [QUESTIONS.get(key, key) for key in questions_of(user)]


def question_choices() -> list[tuple[str, StrPromise | str]]:
    """Every question a user may choose, for a select (with an empty first choice)."""
    return [("", _("Choose a question")), *QUESTIONS.items()]


def new_pin_errors(pin: str, repeat: str | None) -> FieldErrors:
    """Why a new payment password typed twice is refused, by field; {} when accepted."""
    errors: FieldErrors = {}
    for code in domain.pin_problems(pin, repeat):
        field, message = (
            ("pin_repeat", MISMATCH) if code == "mismatch" else ("pin", PIN_MESSAGES[code])
        )
        errors.setdefault(field, []).append(str(message))
    return errors


def question_errors(pairs: list[tuple[str, str]], email: str) -> FieldErrors:
    """Why a set of questions and answers is refused, by field (``question_1``,
    ``answer_2``, ...); {} when accepted."""
    choices = domain.question_choices(pairs)
    errors: FieldErrors = {}
    for i, codes in sorted(domain.question_problems(choices, email).items()):
        for code in codes:
            if code == "unknown_question" and not choices[i].question:
                continue  # nothing chosen: the field's "Choose a question." says it
            field = f"question_{i + 1}" if "question" in code else f"answer_{i + 1}"
            errors.setdefault(field, []).append(str(QUESTION_MESSAGES[code]))
    return errors


# The rules the shared forms (zhifu.web.forms) ask: registration, security pages.
FORM_RULES = PinRules(
    pin_length=domain.PIN_LENGTH,
    question_count=domain.QUESTION_COUNT,
    question_choices=question_choices,
    new_pin_errors=new_pin_errors,
    question_errors=question_errors,
    unknown_question=QUESTION_MESSAGES["unknown_question"],
)


def attempts_left(user: Any) -> int:
    row = PaymentPassword.objects.filter(user=user).only("failures").first()
    return domain.MAX_FAILURES - (row.failures if row else 0)
