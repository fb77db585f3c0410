"""Rules for the payment password and the security questions, free of Django.

Every check returns error *codes* (stable strings); the forms turn them into sentences in
the buyer's language. Keeping the rules here lets the unit tests run without a database and
lets recovery (a later capability) reuse exactly the same rules.
"""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import itertools
import re
import unicodedata
from dataclasses import dataclass, field
from enum import StrEnum
from functools import cache
from pathlib import Path

PIN_LENGTH = 6
MAX_FAILURES = 5  # docs/security.md SEC-12 (stricter than NIST's 10)
LOCK_DURATION = dt.timedelta(hours=3)
LOCK_HOURS = int(LOCK_DURATION.total_seconds() // 3600)  # for messages: "a 3-hour lock"
QUESTION_COUNT = 3

# A step-up proof authorizes one action for this long after the payment password was typed:
# long enough for the page that asked for it to submit, short enough that a proof left in a
# log or a browser history is worthless.
STEP_UP_LIFETIME = dt.timedelta(minutes=5)

# Stable keys of the questions a buyer may choose; their wording (per language) lives in
# credentials/questions.py. Never renumber or reuse a key: stored answers refer to it.
QUESTION_KEYS: tuple[str, ...] = (
    "first_pet",
    "mother_maiden_name",
    "birth_city",
    "first_school",
    "childhood_friend",
    "first_teacher",
    "favourite_book",
    "childhood_street",
    "first_car",
    "first_job",
    "favourite_dish",
    "parents_met_city",
)

_DIGITS = re.compile(r"^[0-9]+$")
_SPACES = re.compile(r"\s+")


@cache
def common_pins() -> frozenset[str]:
    """The shipped list of the 100 most common 6-digit PINs (common_pins.csv)."""
    text = (Path(__file__).with_name("common_pins.csv")).read_text(encoding="utf-8")
    return frozenset(
        line.strip() for line in text.splitlines() if line.strip() and not line.startswith("#")
    )


def _is_sequential(pin: str) -> bool:
    """123456, 345678, 890123 (wrapping past 9) and the same backwards."""
    steps = {(int(b) - int(a)) % 10 for a, b in itertools.pairwise(pin)}
    return steps in ({1}, {9})


def pin_problems(pin: str, repeat: str | None = None) -> list[str]:
    """Why a new payment password is refused, as codes; [] when it is acceptable.

    Codes: "format" (not exactly 6 digits), "repeated" (one digit six times), "sequential"
    (ascending or descending run), "common" (in the 100 most common PINs), "mismatch" (the
    two entries differ). Format comes first: nothing else is judged on a malformed value.
    """
    if len(pin) != PIN_LENGTH or not _DIGITS.match(pin) or not pin.isascii():
        return ["format"]
    problems = []
    if len(set(pin)) == 1:
        problems.append("repeated")
    elif _is_sequential(pin):
        problems.append("sequential")
    elif pin in common_pins():
        problems.append("common")
    if repeat is not None and repeat != pin:
        problems.append("mismatch")
    return problems


def normalize_answer(answer: str) -> str:
    """NFKC, case-folded, trimmed, inner whitespace collapsed to one space.

    "  Paris ", "PARIS" and "paris" are the same answer; so are full-width and ASCII
    letters. The normalized form is what gets hashed, never stored.
    """
    text = unicodedata.normalize("NFKC", answer).casefold()
    return _SPACES.sub(" ", text).strip()


@dataclass(frozen=True)
class QuestionChoice:
    question: str  # a key of QUESTION_KEYS
    answer: str  # as typed


def question_choices(pairs: list[tuple[str, str]]) -> list[QuestionChoice]:
    """(question key, answer) pairs, as a form gives them, as choices."""
    return [QuestionChoice(question, answer) for question, answer in pairs]


def question_problems(choices: list[QuestionChoice], email: str) -> dict[int, list[str]]:
    """Problems per position (0-based), as codes; {} when the set is acceptable.

    Codes: "unknown_question", "duplicate_question" (same question chosen twice),
    "empty_answer", "duplicate_answer" (two answers equal after normalizing),
    "answer_is_email" (the answer is the buyer's e-mail address).
    """
    problems: dict[int, list[str]] = {}

    def add(i: int, code: str) -> None:
        problems.setdefault(i, []).append(code)

    seen_questions: dict[str, int] = {}
    seen_answers: dict[str, int] = {}
    email_norm = normalize_answer(email) if email else ""
    for i, choice in enumerate(choices):
        if choice.question not in QUESTION_KEYS:
            add(i, "unknown_question")
        elif choice.question in seen_questions:
            add(i, "duplicate_question")
        else:
            seen_questions[choice.question] = i
        norm = normalize_answer(choice.answer)
        if not norm:
            add(i, "empty_answer")
            continue
        if email_norm and norm == email_norm:
            add(i, "answer_is_email")
        if norm in seen_answers:
            add(i, "duplicate_answer")
        else:
            seen_answers[norm] = i
    return problems


@dataclass(frozen=True)
class AttemptState:
    """The failure counter of one payment password."""

    failures: int
    locked_until: dt.datetime | None


def is_locked(state: AttemptState, now: dt.datetime) -> bool:
    return state.locked_until is not None and now < state.locked_until


def after_failure(state: AttemptState, now: dt.datetime) -> AttemptState:
    """Count one wrong attempt; the 5th in a row locks for 3 hours.

    A lock that has run out starts a fresh count. Nothing but a correct password resets the
    count (asking for a new challenge does not).
    """
    failures = state.failures
    if state.locked_until is not None and now >= state.locked_until:
        failures = 0
    failures += 1
    if failures >= MAX_FAILURES:
        return AttemptState(failures=failures, locked_until=now + LOCK_DURATION)
    return AttemptState(failures=failures, locked_until=None)


def after_success() -> AttemptState:
    return AttemptState(failures=0, locked_until=None)


# --- step-up ----------------------------------------------------------------------------


class Action(StrEnum):
    """What a step-up proof may authorize. A proof is bound to one action string, made
    with :func:`bound` when the action concerns one object (``card.delete:card_…``)."""

    CARD_ADD = "card.add"
    CARD_DELETE = "card.delete"
    PIN_CHANGE = "pin.change"
    QUESTIONS_CHANGE = "questions.change"
    PAYMENT_CONFIRM = "payment.confirm"
    PLATFORM_CONNECT = "platform.connect"  # bound to the identity being connected
    PLATFORM_DISCONNECT = "platform.disconnect"  # bound to the identity being removed
    EMAIL_CHANGE = "email.change"


def bound(action: Action, subject: str | None = None) -> str:
    """The action string a proof is bound to: ``card.delete:card_x``, or ``pin.change``."""
    if subject is None:
        return action.value
    if not subject or ":" in subject:
        raise ValueError(f"bad step-up subject {subject!r}")
    return f"{action.value}:{subject}"


@dataclass(frozen=True)
class StepUp:
    """Proof that the owner typed the right payment password just now, for one action.

    ``token`` is the bearer secret (never logged, never in a repr); ``action`` and
    ``expires_at`` say what it is for and until when. Only the use case that performs the
    action can redeem it, once.
    """

    token: str = field(repr=False)
    action: str
    expires_at: dt.datetime


def proof_digest(token: str) -> str:
    """What is stored of a proof's token: SHA-256, in unpadded URL-safe base64.

    Base64 rather than hex, as for card fingerprints: hex digests are full of long digit
    runs that the leak scans would flag as card numbers.
    """
    digest = hashlib.sha256(token.encode()).digest()
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode()
