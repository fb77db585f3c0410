"""Card vault use cases: add, list, make default, delete, reveal (audited), rotate keys.

Only this module decrypts card numbers (reveal_number), and every call leaves an audit
event. The CVC is passed to the card network once, inside add_card, and dropped: it is in
no model, no log event, no session, no cache and no exception message.

Transactions: the vault has its own database. A change to a card and the outbox event
announcing it are written in nested transactions (vault inside default): the vault commits
first, then the outbox. If the outbox commit failed after the vault's, the card would be
saved without its e-mail; the reverse (an e-mail for a card that was not saved) cannot
happen.
"""

from __future__ import annotations

import datetime as dt
import json
from collections import Counter
from dataclasses import dataclass, field
from typing import Any, Protocol

import structlog
from django.db import IntegrityError, transaction
from django.utils.translation import gettext_lazy as _
from django.views.decorators.debug import sensitive_variables

from zhifu.config import outbound
from zhifu.config.site import config
from zhifu.connectors import base as network_port
from zhifu.connectors.base import CardNetwork, NetworkStatus
from zhifu.credentials import domain as credentials_domain
from zhifu.credentials import services as credentials
from zhifu.credentials.domain import StepUp
from zhifu.kernel import clock, ids
from zhifu.notifications import services as notifications
from zhifu.outbox.services import enqueue
from zhifu.security import services as security
from zhifu.security.domain import EventKind
from zhifu.vault import crypto, domain, keys
from zhifu.vault.errors import (
    CARD_MESSAGES,
    CardDeclined,
    CardNotFound,
    ChallengeFailed,
    DuplicateCard,
    InvalidCardInput,
    NetworkBusy,
    NetworkUnavailable,
    TooManyCardAttempts,
    VerificationInProgress,
)
from zhifu.vault.models import (
    AttemptLock,
    AuditEvent,
    CardAttempt,
    DeclineAlert,
    StoredCard,
    VerificationLease,
)
from zhifu.vault.router import VAULT_DB
from zhifu.web.forms import CardRules

log = structlog.get_logger(__name__)

PENDING_FOR = dt.timedelta(minutes=30)  # an unanswered challenge is forgotten after this
# A verification holds its thread at most outbound.CALL_BUDGET_S; a lease left by a
# request that died is taken over after twice that.
LEASE_FOR = dt.timedelta(seconds=2 * outbound.CALL_BUDGET_S)
TOPIC_ADDED = "vault.card_added"
TOPIC_DELETED = "vault.card_deleted"
ADD_ACTION = credentials_domain.bound(credentials_domain.Action.CARD_ADD)


def delete_action(card_id: str) -> str:
    """The step-up action that deletes this card, and no other."""
    return credentials_domain.bound(credentials_domain.Action.CARD_DELETE, card_id)


__all__ = [
    "CardDeclined",
    "CardNotFound",
    "ChallengeFailed",
    "ChallengeRequired",
    "DuplicateCard",
    "InvalidCardInput",
    "NetworkBusy",
    "NetworkUnavailable",
    "TooManyCardAttempts",
    "VerificationInProgress",
]

# The refusals live in vault/errors.py; they are importable from here too, as the pages
# have always imported them.


# --- the card fields' words, for every form that takes a card -------------------------------


def scheme_table() -> str:
    """The IIN table for the page's script (live scheme logo), from the one source."""
    # detect_scheme is the authority; the browser only guesses a logo while typing.
    return json.dumps(
        [[lo, hi, scheme.value] for lo, hi, scheme in domain.iin_ranges()],
        separators=(",", ":"),
    )


# Who asks the bank to verify a card (its challenge page names it): the wallet, by its brand.
NETWORK_MERCHANT = "zhifu"

# What cards.js checks as the buyer types, in the page's words (the server checks it all again).
_BROWSER_CHECKS = (
    domain.CardError.NUMBER_REQUIRED,
    domain.CardError.NUMBER_LENGTH,
    domain.CardError.NUMBER_CHECKSUM,
    domain.CardError.EXPIRY_FORMAT,
    domain.CardError.EXPIRY_PAST,
    domain.CardError.NAME_REQUIRED,
    domain.CardError.CVC_FORMAT,
)


def browser_messages() -> str:
    """The messages of the browser's own checks (JSON), in the page's language."""
    return json.dumps(
        {code.value: str(CARD_MESSAGES[code]) for code in _BROWSER_CHECKS},
        ensure_ascii=False,
        separators=(",", ":"),
    )


# The card fields of web.forms.CardFieldsMixin: the card pages' and the cashier's.
CARD_FORM_RULES = CardRules(
    labels={
        "number": _("Card number"),
        "expiry": _("Expiry (MM/YY)"),
        "holder_name": _("Cardholder name"),
        "cvc": _("CVC"),
    },
    required={
        "number": CARD_MESSAGES[domain.CardError.NUMBER_REQUIRED],
        "expiry": CARD_MESSAGES[domain.CardError.EXPIRY_FORMAT],
        "holder_name": CARD_MESSAGES[domain.CardError.NAME_REQUIRED],
        "cvc": CARD_MESSAGES[domain.CardError.CVC_FORMAT],
    },
    expiry_placeholder=_("MM/YY"),
    scheme_table=scheme_table,
    browser_messages=browser_messages,
)


# --- inputs and outputs -----------------------------------------------------------------


@dataclass(frozen=True)
class CardInput:
    number: str = field(repr=False)
    expiry: str
    holder_name: str
    cvc: str = field(repr=False)
    label: str = ""


@dataclass(frozen=True)
class ChallengeRequired:
    """What add_card returns when the issuer wants the buyer to confirm first (3-D
    Secure-like): a result to act on, not an error.

    The card is kept as pending (encrypted, without its CVC, listed nowhere) until the buyer
    comes back from `url` and complete_challenge() activates or removes it.
    """

    card_id: str
    url: str


@dataclass(frozen=True)
class Card:
    """A saved card as pages and e-mails may show it: never the number."""

    id: str
    scheme: str
    scheme_name: str
    first4: str
    last4: str
    expiry: domain.Expiry
    holder_name: str
    label: str
    is_default: bool
    created_at: dt.datetime

    @property
    def masked(self) -> str:
        return domain.mask(self.first4, self.last4)

    @property
    def expiry_display(self) -> str:
        return str(self.expiry)

    @property
    def expired(self) -> bool:
        return self.expiry.expired(clock.now().date())

    @property
    def expiring_soon(self) -> bool:
        return self.expiry.expires_soon(clock.now().date())


def _card(row: StoredCard) -> Card:
    scheme = domain.Scheme(row.scheme)
    return Card(
        id=row.id,
        scheme=row.scheme,
        scheme_name=domain.RULES[scheme].display_name,
        first4=row.first4,
        last4=row.last4,
        expiry=domain.Expiry(row.exp_month, row.exp_year),
        holder_name=row.holder_name,
        label=row.label,
        is_default=row.is_default,
        created_at=row.created_at,
    )


class CardOwner(Protocol):
    """Whom cards belong to, as the vault sees them: an id, nothing more (the wallet's user
    fits; the vault imports nothing of accounts). ``locale`` is read, where present, only
    to pick the language of card e-mails (notifications.language_of)."""

    @property
    def pk(self) -> Any: ...


Owner = CardOwner | str  # an owner, or its id as stored on the card rows


def _owner_id(owner: Owner) -> str:
    pk = getattr(owner, "pk", owner)
    if pk is None:
        raise CardNotFound()  # anonymous users have no cards
    return str(pk)


# --- validation -------------------------------------------------------------------------


@dataclass(frozen=True)
class _Valid:
    number: domain.CardNumber
    expiry: domain.Expiry
    holder_name: str
    cvc: str
    label: str


@sensitive_variables("data", "number", "cvc")
def validate(data: CardInput) -> _Valid:
    """Check every field at once, so the form can show every error beside its field."""
    errors: dict[str, domain.CardError] = {}
    number: domain.CardNumber | None = None
    expiry = holder = cvc = label = None
    try:
        number = domain.parse_number(data.number)
    except domain.InvalidCard as exc:
        errors["number"] = exc.error
    try:
        expiry = domain.parse_expiry(data.expiry, clock.now().date())
    except domain.InvalidCard as exc:
        errors["expiry"] = exc.error
    try:
        holder = domain.parse_holder_name(data.holder_name)
    except domain.InvalidCard as exc:
        errors["holder_name"] = exc.error
    try:
        cvc = domain.check_cvc(data.cvc, number.scheme if number else None)
    except domain.InvalidCard as exc:
        errors["cvc"] = exc.error
    try:
        label = domain.parse_label(data.label)
    except domain.InvalidCard as exc:
        errors["label"] = exc.error
    if errors:
        raise InvalidCardInput(errors)
    assert number
    assert expiry
    assert holder is not None
    assert cvc is not None
    assert label is not None
    return _Valid(number, expiry, holder, cvc, label)


# --- use cases --------------------------------------------------------------------------


@sensitive_variables("data", "valid", "digits")
def add_card(
    owner: Owner,
    data: CardInput,
    *,
    step_up: StepUp,
    network: CardNetwork | None = None,
    email: str | None = None,
    client_ip: str = "",
) -> Card | ChallengeRequired:
    """Validate, verify with the network (zero amount, CVC used here only), then save.

    ``client_ip`` is the buyer's address (``zhifu.web.client_ip.client_ip(request)``); the
    check is counted against the account, the card and that address before the network is
    asked (reserve_card_attempt), and a decline reads as the bank's reason only the first
    time in the window (card_declined). Empty only without a request: the account and
    card limits still hold.

    ``step_up`` is a proof for ``card.add`` (``credentials.services.step_up``): checked
    before the network is asked, so no card is tested without it, and redeemed in the
    transaction that saves the card (pending or active), so it saves one card only.

    Returns the saved card, or ChallengeRequired (the card waits, pending, for the buyer's
    answer). Raises InvalidCardInput, credentials' StepUpInvalid, DuplicateCard,
    TooManyCardAttempts, VerificationInProgress (this buyer's other verification is in
    flight), CardDeclined, NetworkBusy or NetworkUnavailable: nothing is saved, and nothing
    is charged.
    """
    owner_id = _owner_id(owner)
    valid = validate(data)
    credentials.check_step_up(owner_id, step_up, ADD_ACTION)
    # A frozen wallet adds no card; in a recovery's cool-off, only with a fresh e-mail
    # confirmation (spent here, before the network is asked).
    security.check_card_change(owner_id, adding=True)
    digits = valid.number.digits
    fingerprint = crypto.fingerprint(keys.fingerprint_key(), digits)
    _forget_pending(owner_id, fingerprint)
    if StoredCard.objects.filter(owner_id=owner_id, fingerprint=fingerprint).exists():
        raise DuplicateCard()

    card_id = ids.new_id("card")
    # The lease first: a second click while the first check is in flight is refused as
    # such, without using up one of the buyer's counted attempts.
    _lease_verification(owner_id, card_id)
    try:
        attempt = _reserve_attempt(owner_id, fingerprint, client_ip)
        result = (network or outbound.card_network()).verify(
            network_port.VerifyRequest(
                idempotency_key=f"{card_id}:verify",  # card ids are fresh per attempt
                card=network_port.CardDetails(
                    number=digits,
                    exp_month=valid.expiry.month,
                    exp_year=valid.expiry.year,
                    cvc=valid.cvc,
                    holder_name=valid.holder_name,
                ),
                return_url=challenge_return_url(card_id),
                merchant=NETWORK_MERCHANT,
            )
        )
    except network_port.Refused as exc:
        raise card_declined(attempt, exc.decline_code) from None
    except network_port.NetworkBusy:
        log.warning("vault.network_busy", card=card_id)
        raise NetworkBusy() from None
    except (network_port.NetworkUnavailable, network_port.OutcomeUnknown) as exc:
        # Zero-amount: whether or not the request arrived, nothing was charged.
        log.warning("vault.network_unavailable", card=card_id, error=exc.code)
        raise NetworkUnavailable() from None
    finally:
        del valid  # the CVC's last reference in the wallet
        _release_verification(owner_id, card_id)
    if result.status is NetworkStatus.CHALLENGE:
        _save(
            owner, card_id, digits, fingerprint, data, result.reference, email, step_up,
            pending=True,
        )  # fmt: skip
        return ChallengeRequired(card_id, result.challenge_url)
    return _save(owner, card_id, digits, fingerprint, data, result.reference, email, step_up)


def _lease_verification(owner_id: str, card_id: str) -> None:
    """Take this buyer's one verification lease, or refuse at once (never queue).

    The lease is a row keyed by the owner in the vault's database: two requests of one
    buyer, in any two processes, cannot both hold it (the primary key decides).
    """
    now = clock.now()
    try:
        with transaction.atomic(using=VAULT_DB):
            VerificationLease.objects.filter(owner_id=owner_id, expires_at__lt=now).delete()
            VerificationLease.objects.create(
                owner_id=owner_id, card_id=card_id, expires_at=now + LEASE_FOR
            )
    except IntegrityError:
        log.info("vault.verification_in_progress", owner=owner_id)
        raise VerificationInProgress() from None


def _release_verification(owner_id: str, card_id: str) -> None:
    VerificationLease.objects.filter(owner_id=owner_id, card_id=card_id).delete()


# --- velocity limits (docs/security.md SEC-36) -------------------------------------------

ATTEMPTS_KEPT = dt.timedelta(days=1)  # attempt rows older than this are deleted
# The deletion runs at most this often per process, not on every card check (a hot path);
# rows a day old can wait a few more minutes.
FORGET_EVERY = dt.timedelta(minutes=10)
_forgotten_at: dt.datetime | None = None  # this process's last deletion


@dataclass(frozen=True)
class CardAttemptTicket:
    """A card check counted against the limits: pass it to card_declined if the network
    says no."""

    id: int
    keys: tuple[tuple[domain.AttemptKey, str], ...]


_ATTEMPT_FIELD = {
    domain.AttemptKey.ACCOUNT: "owner_id",
    domain.AttemptKey.CARD: "fingerprint",
    domain.AttemptKey.IP: "client_ip",
}


@sensitive_variables("number")
def reserve_card_attempt(owner: Owner, number: str, *, client_ip: str) -> CardAttemptTicket:
    """Count one check of this card against the velocity limits, before the network is
    asked: per account, per card (its fingerprint, across accounts) and per address, in
    domain.CARD_ATTEMPT_WINDOW. Every use case that sends a new card to the network calls
    this first (adding a card; the cashier's new-card payment).

    Raises TooManyCardAttempts when any of them is full: nothing is counted then.
    """
    digits = domain.normalize_number(number)
    return _reserve_attempt(
        _owner_id(owner), crypto.fingerprint(keys.fingerprint_key(), digits), client_ip
    )


def _keys(
    owner_id: str, fingerprint: str, client_ip: str
) -> tuple[tuple[domain.AttemptKey, str], ...]:
    found = [
        (domain.AttemptKey.ACCOUNT, owner_id),
        (domain.AttemptKey.CARD, fingerprint),
        (domain.AttemptKey.IP, client_ip),
    ]
    return tuple((kind, key) for kind, key in found if key)


def _lock_keys(attempt_keys: tuple[tuple[domain.AttemptKey, str], ...]) -> None:
    """Lock every key's row until the transaction ends (an upsert: created on first use,
    locked by the insert or by the conflict's update), in one order (one key of each kind,
    by kind), so two requests never wait on each other in a cycle. On SQLite the write
    takes the database's write lock first, which serializes the same way."""
    now = clock.now()
    ordered = sorted(attempt_keys, key=lambda kv: kv[0].value)
    AttemptLock.objects.bulk_create(
        [AttemptLock(kind=kind.value, key=key, used_at=now) for kind, key in ordered],
        update_conflicts=True,
        unique_fields=["kind", "key"],
        update_fields=["used_at"],
    )


def _in_window(kind: domain.AttemptKey, key: str, since: dt.datetime) -> Any:
    return CardAttempt.objects.filter(**{_ATTEMPT_FIELD[kind]: key, "at__gt": since})


def _reserve_attempt(owner_id: str, fingerprint: str, client_ip: str) -> CardAttemptTicket:
    attempt_keys = _keys(owner_id, fingerprint, client_ip)
    now = clock.now()
    since = now - domain.CARD_ATTEMPT_WINDOW
    with transaction.atomic(using=VAULT_DB):
        _lock_keys(attempt_keys)
        times = {
            kind: list(_in_window(kind, key, since).values_list("at", flat=True))
            for kind, key in attempt_keys
        }
        wait = domain.attempts_retry_after(times, now)
        if wait is not None:
            full = [k.value for k, t in times.items() if len(t) >= domain.CARD_ATTEMPT_LIMITS[k]]
            log.warning("vault.card_attempts_exceeded", owner=owner_id, ip=client_ip, full=full)
            raise TooManyCardAttempts(wait)
        row = CardAttempt.objects.create(
            at=now, owner_id=owner_id, fingerprint=fingerprint, client_ip=client_ip
        )
    _forget_old_attempts_now_and_then(now)
    return CardAttemptTicket(row.id, attempt_keys)


def _forget_old_attempts_now_and_then(now: dt.datetime) -> None:
    global _forgotten_at
    last = _forgotten_at
    if last is not None and last <= now < last + FORGET_EVERY:
        return  # done recently (a clock set back, as in tests, counts as not recently)
    _forgotten_at = now
    _forget_old_attempts(now - ATTEMPTS_KEPT)


def _forget_old_attempts(before: dt.datetime) -> None:
    """Delete attempts and lock rows unused since ``before``, holding no other lock and
    skipping lock rows another request holds (so it never waits in a cycle with one)."""
    with transaction.atomic(using=VAULT_DB):
        CardAttempt.objects.filter(at__lt=before).delete()
        stale = AttemptLock.objects.select_for_update(skip_locked=True).filter(used_at__lt=before)
        AttemptLock.objects.filter(id__in=list(stale.values_list("id", flat=True))).delete()


def card_declined(attempt: CardAttemptTicket, code: network_port.DeclineCode) -> CardDeclined:
    """Record the network's decline of a counted attempt, alert operators on a burst, and
    return the refusal to raise: with the bank's reason for the first decline in the window
    on this account, card or address, the generic one after (domain.visible_decline)."""
    from django.db.models import Q

    now = clock.now()
    since = now - domain.CARD_ATTEMPT_WINDOW
    with transaction.atomic(using=VAULT_DB):
        _lock_keys(attempt.keys)
        CardAttempt.objects.filter(id=attempt.id).update(decline_code=code.value)
        any_key = Q()
        for kind, key in attempt.keys:
            any_key |= Q(**{_ATTEMPT_FIELD[kind]: key})
        earlier = (
            CardAttempt.objects.filter(any_key, at__gt=since)
            .exclude(id=attempt.id)
            .exclude(decline_code="")
            .count()
        )
        for kind, key in attempt.keys:
            _alert_on_burst(kind, key, since, now)
    shown = domain.visible_decline(code, earlier)
    owner = dict(attempt.keys)[domain.AttemptKey.ACCOUNT]
    log.info("vault.card_declined", owner=owner, decline_code=code.value, shown=shown.value)
    return CardDeclined(shown)


def _alert_on_burst(
    kind: domain.AttemptKey, key: str, since: dt.datetime, now: dt.datetime
) -> None:
    """Open an alert when a key's declines in the window reach domain.DECLINE_BURST, or
    add to the open one: one alert (and one log event) per burst."""
    declined = _in_window(kind, key, since).exclude(decline_code="")
    count = declined.count()
    if not domain.is_burst(count):
        return
    open_alert = DeclineAlert.objects.filter(kind=kind.value, key=key, last_at__gt=since).first()
    if open_alert is not None:
        DeclineAlert.objects.filter(id=open_alert.id).update(
            declines=open_alert.declines + 1, last_at=now
        )
        return
    alert = DeclineAlert.objects.create(
        kind=kind.value, key=key, first_at=now, last_at=now, declines=count
    )
    log.warning(
        "vault.decline_burst",
        alert=alert.id,
        kind=kind.value,
        # The owner id or the address; a card is named by its alert id only.
        subject=key if kind is not domain.AttemptKey.CARD else f"alert {alert.id}",
        declines=count,
        accounts=declined.values("owner_id").distinct().count(),
        addresses=declined.exclude(client_ip="").values("client_ip").distinct().count(),
        window_minutes=int(domain.CARD_ATTEMPT_WINDOW.total_seconds() // 60),
    )


@dataclass(frozen=True)
class Alert:
    id: int
    kind: str
    subject: str
    first_at: dt.datetime
    last_at: dt.datetime
    declines: int


def decline_alerts(since: dt.datetime | None = None) -> list[Alert]:
    """Decline bursts, newest first (for operators: `zhifu vault alerts`). A card is shown
    by the start of its fingerprint, never by anything of its number."""
    rows = DeclineAlert.objects.order_by("-last_at")
    if since is not None:
        rows = rows.filter(last_at__gte=since)
    return [
        Alert(
            r.id,
            r.kind,
            r.key[:10] + "…" if r.kind == domain.AttemptKey.CARD.value else r.key,
            r.first_at,
            r.last_at,
            r.declines,
        )
        for r in rows
    ]


@sensitive_variables("digits", "sealed")
def _save(
    owner: Owner,
    card_id: str,
    digits: str,
    fingerprint: str,
    data: CardInput,
    reference: str,
    email: str | None,
    step_up: StepUp | None,
    *,
    pending: bool = False,
) -> Card:
    owner_id = _owner_id(owner)
    number = domain.parse_number(digits)
    expiry = domain.parse_expiry(data.expiry, clock.now().date())
    sealed = crypto.seal(keys.key_ring(), card_id, owner_id, digits)
    try:
        with transaction.atomic(), transaction.atomic(using=VAULT_DB):
            # The proof is spent in the default database, which commits after the vault:
            # refused, nothing is saved; saved, the proof commits as spent with the e-mail.
            # None only from save_paid_card (the payment's authorization proved the card).
            if step_up is not None:
                credentials.redeem_step_up(owner_id, step_up, ADD_ACTION)
            first = not _active(owner_id).exists()
            row = StoredCard.objects.create(
                id=card_id,
                owner_id=owner_id,
                fingerprint=fingerprint,
                key_version=sealed.key_version,
                wrapped_key=sealed.wrapped_key,
                ciphertext=sealed.ciphertext,
                scheme=number.scheme.value,
                first4=number.first4,
                last4=number.last4,
                exp_month=expiry.month,
                exp_year=expiry.year,
                holder_name=domain.parse_holder_name(data.holder_name),
                label=domain.parse_label(data.label),
                is_default=first and not pending,
                status=StoredCard.Status.PENDING if pending else StoredCard.Status.ACTIVE,
                network_reference=reference[:64],
            )
            card = _card(row)
            if not pending:
                _audit(row, AuditEvent.Action.ADD, "buyer", "card saved by its owner")
                _announce(TOPIC_ADDED, card, owner_id, email, _language(owner))
                security.record(owner_id, EventKind.CARD_ADDED, detail=card.last4)
    except IntegrityError:
        # Another request saved the same card in between (the unique constraint).
        raise DuplicateCard() from None
    log.info(
        "vault.card_pending" if pending else "vault.card_added",
        card=card.id,
        owner=owner_id,
        scheme=card.scheme,
    )
    return card


def challenge_return_url(card_id: str) -> str:
    from django.urls import reverse

    return config().urls["wallet"] + reverse("cards:challenge", args=[card_id])


def complete_challenge(
    owner: Owner,
    card_id: str,
    answer: str,
    *,
    network: CardNetwork | None = None,
    email: str | None = None,
) -> Card:
    """The buyer is back from the issuer's challenge: activate the pending card, or drop it.

    Raises CardNotFound (no such pending card for this owner), ChallengeFailed (a forged,
    expired or mismatched answer: the pending card stays until it times out) or
    CardDeclined (the buyer or the issuer said no: the pending card is removed).
    """
    owner_id = _owner_id(owner)
    row = StoredCard.objects.filter(
        id=card_id, owner_id=owner_id, status=StoredCard.Status.PENDING
    ).first()
    if row is None:
        raise CardNotFound(card=card_id)
    try:
        (network or outbound.card_network()).complete_challenge(
            network_port.CompleteChallengeRequest(
                idempotency_key=f"{card_id}:challenge",
                reference=row.network_reference,
                answer=answer,
            )
        )
    except network_port.ChallengeInvalid:
        raise ChallengeFailed(param="result") from None
    except network_port.Refused as exc:
        StoredCard.objects.filter(id=card_id, status=StoredCard.Status.PENDING).delete()
        raise CardDeclined(exc.decline_code) from None
    except (network_port.NetworkUnavailable, network_port.OutcomeUnknown):
        raise NetworkUnavailable() from None  # the pending card stays until it times out
    with transaction.atomic(), transaction.atomic(using=VAULT_DB):
        row = (
            StoredCard.objects.select_for_update()
            .filter(id=card_id, owner_id=owner_id, status=StoredCard.Status.PENDING)
            .first()
        )
        if row is None:  # answered twice at once: the other request won
            raise CardNotFound(card=card_id)
        row.status = StoredCard.Status.ACTIVE
        row.is_default = not _active(owner_id).filter(is_default=True).exists()
        row.save(update_fields=["status", "is_default"])
        _audit(row, AuditEvent.Action.ADD, "buyer", "card saved by its owner after a challenge")
        card = _card(row)
        _announce(TOPIC_ADDED, card, owner_id, email, _language(owner))
        security.record(owner_id, EventKind.CARD_ADDED, detail=card.last4)
    log.info("vault.card_added", card=card.id, owner=owner_id, scheme=card.scheme)
    return card


def _active(owner_id: str) -> Any:
    return StoredCard.objects.filter(owner_id=owner_id, status=StoredCard.Status.ACTIVE)


def _forget_pending(owner_id: str, fingerprint: str) -> None:
    """Drop this owner's abandoned challenges: the same card again, or any that timed out."""
    from django.db.models import Q

    StoredCard.objects.filter(owner_id=owner_id, status=StoredCard.Status.PENDING).filter(
        Q(fingerprint=fingerprint) | Q(created_at__lt=clock.now() - PENDING_FOR)
    ).delete()


def list_cards(owner: Owner) -> list[Card]:
    owner_id = _owner_id(owner)
    rows = _active(owner_id).order_by("-is_default", "-created_at")
    return [_card(r) for r in rows]


def get_card(owner: Owner, card_id: str) -> Card:
    try:
        return _card(_active(_owner_id(owner)).get(id=card_id))
    except StoredCard.DoesNotExist:
        raise CardNotFound(card=card_id) from None


def make_default(owner: Owner, card_id: str) -> Card:
    owner_id = _owner_id(owner)
    with transaction.atomic(using=VAULT_DB):
        rows = list(_active(owner_id).select_for_update())
        target = next((r for r in rows if r.id == card_id), None)
        if target is None:
            raise CardNotFound(card=card_id)
        StoredCard.objects.filter(owner_id=owner_id, is_default=True).exclude(id=card_id).update(
            is_default=False
        )
        StoredCard.objects.filter(id=card_id).update(is_default=True)
        target.is_default = True
    return _card(target)


def delete_card(owner: Owner, card_id: str, *, step_up: StepUp, email: str | None = None) -> Card:
    """Delete the card (its wrapped key goes with it: crypto-shredding).

    ``step_up`` is a proof for ``card.delete:<card_id>``, redeemed in this transaction
    (a proof for another card, or for adding one, is refused: StepUpInvalid).
    """
    owner_id = _owner_id(owner)
    security.check_card_change(owner_id)  # a frozen wallet changes no card
    with transaction.atomic(), transaction.atomic(using=VAULT_DB):
        row = _active(owner_id).select_for_update().filter(id=card_id).first()
        if row is None:
            raise CardNotFound(card=card_id)
        credentials.redeem_step_up(owner_id, step_up, delete_action(card_id))
        card = _card(row)
        row.delete()
        if card.is_default:
            successor = _active(owner_id).select_for_update().order_by("-created_at").first()
            if successor is not None:
                StoredCard.objects.filter(id=successor.id).update(is_default=True)
        _audit_raw(card.id, owner_id, AuditEvent.Action.DELETE, "buyer", "deleted by its owner")
        security.record(owner_id, EventKind.CARD_DELETED, detail=card.last4)
        _announce(TOPIC_DELETED, card, owner_id, email, _language(owner))
    log.info("vault.card_deleted", card=card.id, owner=owner_id)
    return card


@dataclass(frozen=True)
class PaymentCard:
    """A saved card chosen to pay with, read once: what the payment records of it
    (``card``) and its sealed number, decrypted only by :meth:`reveal` (audited)."""

    card: Card
    _row: StoredCard = field(repr=False)

    @sensitive_variables("number")
    def reveal(self, *, purpose: str) -> network_port.CardDetails:
        """The card as the network's authorize needs it (no CVC: a stored card is sent
        without one), from the row already read. Audited as a reveal."""
        row = self._row
        number = _unseal(row, actor=f"owner:{row.owner_id}", purpose=purpose)
        return network_port.CardDetails(
            number=number,
            exp_month=row.exp_month,
            exp_year=row.exp_year,
            holder_name=row.holder_name,
        )


def card_for_payment(owner: Owner, card_id: str) -> PaymentCard:
    """The owner's active saved card, in one read; another owner's is CardNotFound."""
    row = _active(_owner_id(owner)).filter(id=card_id).first()
    if row is None:
        raise CardNotFound(card=card_id)
    return PaymentCard(_card(row), row)


def card_details_for_payment(
    owner: Owner, card_id: str, *, purpose: str
) -> network_port.CardDetails:
    """The owner's saved card as the network's authorize needs it (read and revealed at
    once; :func:`card_for_payment` reads it without revealing)."""
    return card_for_payment(owner, card_id).reveal(purpose=purpose)


@sensitive_variables("data", "valid", "digits")
def save_paid_card(
    owner: Owner, data: CardInput, *, network_reference: str, email: str | None = None
) -> Card | None:
    """Save a new card the network has just authorized a payment with ("save this card").

    No verification and no step-up: the authorization, with its CVC, proved the card a
    moment ago, and the buyer chose to save it on the payment page. The caller (payments)
    allows it to fully registered buyers only. A card already saved is not saved twice
    (None); so is a card that does not pass the vault's rules.
    """
    owner_id = _owner_id(owner)
    try:
        valid = validate(data)
    except InvalidCardInput:
        return None
    digits = valid.number.digits
    fingerprint = crypto.fingerprint(keys.fingerprint_key(), digits)
    if StoredCard.objects.filter(owner_id=owner_id, fingerprint=fingerprint).exists():
        return None
    security.check_card_change(owner_id, adding=True)  # a cool-off guards this one too
    try:
        return _save(
            owner, ids.new_id("card"), digits, fingerprint, data, network_reference, email, None
        )
    except DuplicateCard:
        return None


@sensitive_variables("number")
def reveal_number(card_id: str, *, actor: str, purpose: str) -> str:
    """Decrypt a card number for a payment or a network call. Audited, even on failure.

    Raises CardNotFound, or crypto.VaultError (tampered record, unknown key version)
    with a message naming the card and what to do.
    """
    if not actor or not purpose:
        raise ValueError("reveal_number needs an actor and a purpose")
    row = StoredCard.objects.filter(id=card_id, status=StoredCard.Status.ACTIVE).first()
    if row is None:
        raise CardNotFound(card=card_id)
    return _unseal(row, actor=actor, purpose=purpose)


@sensitive_variables("number")
def _unseal(row: StoredCard, *, actor: str, purpose: str) -> str:
    try:
        number = crypto.unseal(keys.key_ring(), row.id, row.owner_id, _sealed(row))
    except crypto.VaultError as exc:
        _audit(row, AuditEvent.Action.REVEAL_FAILED, actor, purpose)
        log.error("vault.decryption_failed", card=row.id, error=str(exc))
        raise
    _audit(row, AuditEvent.Action.REVEAL, actor, purpose)
    return number


# --- key rotation -----------------------------------------------------------------------


@dataclass
class RotationReport:
    target_version: int
    rewrapped: int = 0
    failed: dict[str, str] = field(default_factory=dict)


class RotationIncomplete(crypto.VaultError):
    def __init__(self, report: RotationReport) -> None:
        first_id, first_error = next(iter(report.failed.items()))
        super().__init__(
            f"{len(report.failed)} card(s) could not be re-wrapped (first: {first_id}: "
            f"{first_error}); {report.rewrapped} were. Keep every old key version in the "
            "ring until this is resolved."
        )
        self.report = report


def _sealed(row: StoredCard) -> crypto.SealedCard:
    return crypto.SealedCard(row.key_version, bytes(row.wrapped_key), bytes(row.ciphertext))


def rewrap_all(batch: int = 500, ring: crypto.KeyRing | None = None) -> RotationReport:
    """Re-wrap every data key not under the ring's newest master key, in batches.

    Old versions must stay in the ring until this returns without failures; each batch is
    one transaction, so an interrupted run can simply be started again.
    """
    ring = ring or keys.key_ring()
    report = RotationReport(target_version=ring.current)
    last_id = ""
    while True:
        with transaction.atomic(using=VAULT_DB):
            rows = list(
                StoredCard.objects.select_for_update()
                .filter(id__gt=last_id)
                .exclude(key_version=ring.current)
                .order_by("id")[:batch]
            )
            if not rows:
                break
            for row in rows:
                try:
                    sealed = crypto.rewrap(ring, row.id, row.owner_id, _sealed(row))
                except crypto.VaultError as exc:
                    report.failed[row.id] = str(exc)
                    continue
                StoredCard.objects.filter(id=row.id, key_version=row.key_version).update(
                    key_version=sealed.key_version, wrapped_key=sealed.wrapped_key
                )
                report.rewrapped += 1
            last_id = rows[-1].id
    if report.rewrapped:
        _audit_raw(
            "*",
            "*",
            AuditEvent.Action.REWRAP,
            "operator",
            f"{report.rewrapped} data keys re-wrapped to master key v{ring.current}",
        )
    log.info("vault.rewrapped", to=ring.current, count=report.rewrapped, failed=len(report.failed))
    if report.failed:
        raise RotationIncomplete(report)
    return report


@dataclass(frozen=True)
class VaultStatus:
    ring_versions: tuple[int, ...]
    current: int
    records_by_version: dict[int, int]

    @property
    def missing_versions(self) -> list[int]:
        return [v for v in self.records_by_version if v not in self.ring_versions]


def status() -> VaultStatus:
    ring = keys.key_ring()
    counts = Counter(dict(_version_counts()))
    by_version = {v: counts.get(v, 0) for v in sorted(set(ring.versions) | set(counts))}
    return VaultStatus(ring.versions, ring.current, by_version)


def _version_counts() -> list[tuple[int, int]]:
    from django.db.models import Count

    return [
        (r["key_version"], r["n"])
        for r in StoredCard.objects.values("key_version").annotate(n=Count("id"))
    ]


# --- audit and notifications ------------------------------------------------------------


def _audit(row: StoredCard, action: str, actor: str, purpose: str) -> None:
    _audit_raw(row.id, row.owner_id, action, actor, purpose)


def _audit_raw(card_id: str, owner_id: str, action: str, actor: str, purpose: str) -> None:
    AuditEvent.objects.create(
        card_id=card_id, owner_id=owner_id, action=action, actor=actor[:100], purpose=purpose[:200]
    )


def _language(owner: Owner) -> str:
    return notifications.language_of(owner)


def _announce(topic: str, card: Card, owner_id: str, email: str | None, language: str) -> None:
    """Queue the e-mail (masked number only) in the default database's transaction."""
    enqueue(
        topic,
        {
            "owner": owner_id,
            "email": email or "",
            "language": language,
            "card": card.id,
            "scheme": card.scheme_name,
            "masked": card.masked,
            "label": card.label,
        },
    )
