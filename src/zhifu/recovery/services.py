"""Use cases of payment-password recovery (each owns its transaction).

The order is enforced here, not by the pages: a request (captcha checked by the form)
-> the worker e-mails a link (:func:`send_link`) -> the link, opened in the owner's wallet
session (:func:`remember_link`, :func:`current_link`) -> the three answers
(:func:`submit_answers`) -> a new payment password (:func:`set_new_pin`). Then "This
wasn't me" (:func:`freeze_by_link`, :func:`freeze_now`) and the cool-off's fresh
confirmation (:func:`send_confirmation`, :func:`confirm_by_link`).

Identical answers for known and unknown addresses (SEC-16): :func:`request_link` does the
same work for both (one user lookup, one row, one outbox message) and decides nothing a
response could show; the worker decides whether to send (a real account, within the
limits) and makes the token there, so the request's time does not depend on it either.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from collections.abc import MutableMapping
from typing import Any

import structlog
from django.db import transaction
from django.urls import reverse

from zhifu.accounts import services as accounts
from zhifu.config.site import config
from zhifu.credentials import services as credentials
from zhifu.kernel import clock
from zhifu.notifications import services as notifications
from zhifu.outbox import services as outbox
from zhifu.recovery import domain
from zhifu.recovery.errors import (
    ConfirmLinkGone,
    FreezeLinkGone,
    FrozenRecently,
    LinkGone,
    OtherSession,
    RecoveryRefusal,
    SamePin,
    SelfServiceLocked,
    StepSkipped,
)
from zhifu.recovery.models import EmailedToken, RecoveryRequest, SelfServiceLock, WrongAnswers
from zhifu.security import domain as security_domain
from zhifu.security import services as security
from zhifu.security.domain import EventKind
from zhifu.web.forms import FieldErrors

log = structlog.get_logger(__name__)

TOPIC = "recovery.send_link"
LINK_KEY = "zhifu_recovery_link"  # session: the SHA-256 of the opened link, never the token
FREEZE_KEY = "zhifu_freeze_link"
CONFIRM_KEY = "zhifu_confirm_link"

Session = MutableMapping[str, Any]

__all__ = ["LinkGone", "RecoveryRefusal", "SamePin"]


def _digest(kind: str, value: str) -> str:
    """A keyed digest: an address is counted by its limits but never readable here."""
    key = config().secret("pepper").reveal().encode()
    return hmac.new(key, f"recovery-{kind}\x00{value}".encode(), hashlib.sha256).hexdigest()


# --- 1. the request ---------------------------------------------------------------------


def request_link(address: str, client_ip: str, session_user: Any = None) -> None:
    """Someone asked for a recovery link for ``address`` (the captcha is checked). The
    same work whatever the address; the worker decides and sends (:func:`send_link`)."""
    user = accounts.confirmed_user(address)
    own = user is not None and getattr(session_user, "pk", None) == user.pk
    with transaction.atomic():
        row = RecoveryRequest.objects.create(
            user=user,
            address_digest=_digest("address", domain.normalize_address(address)),
            client_digest=_digest("client", client_ip),
            own_session=own,
            created_at=clock.now(),
        )
        outbox.enqueue(TOPIC, {"request": row.pk})


def _earlier(row: RecoveryRequest) -> domain.EarlierRequests:
    since = row.created_at - domain.LIMIT_WINDOW
    earlier = RecoveryRequest.objects.filter(created_at__gt=since, pk__lt=row.pk)
    others = earlier.filter(own_session=False)
    return domain.EarlierRequests(
        own=earlier.filter(own_session=True, user_id=row.user_id).count() if row.user_id else 0,
        address=others.filter(address_digest=row.address_digest).count(),
        client=others.filter(client_digest=row.client_digest).count(),
    )


def send_link(message_id: int, request_id: int) -> None:
    """The outbox handler's work: e-mail a fresh link for a real account within the limits.

    The token is made here and only its hash stored; older links of the user stop working.
    An unknown address, or one over a limit, gets nothing (the request looked the same).
    """
    row = RecoveryRequest.objects.select_related("user").filter(pk=request_id).first()
    if row is None or row.token_hash or row.limited:
        return
    if domain.limited(row.own_session, _earlier(row)):
        RecoveryRequest.objects.filter(pk=row.pk).update(limited=True)
        log.warning("recovery.limited", request=row.pk)
        return
    user = row.user
    if user is None or not user.email:
        return
    address: str = user.email

    def send() -> None:
        token = secrets.token_urlsafe(domain.TOKEN_BYTES)
        now = clock.now()
        with transaction.atomic():
            RecoveryRequest.objects.filter(
                user=user, token_hash__isnull=False, used_at__isnull=True, revoked_at__isnull=True
            ).update(revoked_at=now)  # a new link supersedes the older ones
            RecoveryRequest.objects.filter(pk=row.pk).update(
                token_hash=domain.token_digest(token), expires_at=now + domain.LINK_LIFETIME
            )
            security.record(user, EventKind.RECOVERY_REQUESTED)
            link = config().urls["wallet"] + reverse("recovery:link", args=[token])
            minutes = int(domain.LINK_LIFETIME.total_seconds() // 60)
            # A secret: sent on commit, never through the outbox's table (decision 0004).
            notifications.send_email_on_commit(
                address,
                "recovery_link",
                notifications.language_of(user),
                {"link": link, "minutes": minutes},
            )

    notifications.send_once(message_id, "recovery_link", send)


# --- 2. the link ------------------------------------------------------------------------


def remember_link(session: Session, token: str, key: str = LINK_KEY) -> None:
    """The link was opened: keep its hash in the session, so the token can leave the URL."""
    session[key] = domain.token_digest(token)


def _locked(user: Any) -> bool:
    return SelfServiceLock.objects.filter(user=user).exists()


def current_link(user: Any, session: Session, *, for_update: bool = False) -> RecoveryRequest:
    """The recovery link this session opened, if ``user`` may go on with it now."""
    digest = session.get(LINK_KEY)
    if not digest:
        raise StepSkipped
    rows = RecoveryRequest.objects.select_for_update() if for_update else RecoveryRequest.objects
    row = rows.filter(token_hash=digest).first()
    if row is None:
        raise LinkGone
    if row.user_id != user.pk:
        raise OtherSession
    if row.used_at or row.revoked_at or row.expires_at is None or clock.now() >= row.expires_at:
        raise LinkGone
    if _locked(user):
        raise SelfServiceLocked
    frozen_at = security.restrictions(user).frozen_at
    if not security_domain.may_recover_while_frozen(frozen_at, clock.now()):
        raise FrozenRecently
    return row


def open_link(user: Any, session: Session) -> RecoveryRequest:
    """The questions page's check; the first time, the step is logged."""
    row = current_link(user, session)
    if not session.get(LINK_KEY + "_seen"):
        security.record(user, EventKind.RECOVERY_LINK_OPENED)
        session[LINK_KEY + "_seen"] = True
    return row


# --- 3. the answers ---------------------------------------------------------------------


def submit_answers(user: Any, session: Session, answers: list[str]) -> bool:
    """Check the three answers; True when all match (the new-password step opens).

    A wrong submission counts on the link (the 5th revokes it) and on the user's day (the
    10th in 24 hours locks self-service recovery: SelfServiceLocked).
    """
    with transaction.atomic():
        row = current_link(user, session, for_update=True)
        if credentials.answers_match(user, answers):
            row.answered_at = clock.now()
            row.save(update_fields=["answered_at"])
            security.record(user, EventKind.RECOVERY_ANSWERS_OK)
            return True
        now = clock.now()
        row.wrong_submissions += 1
        WrongAnswers.objects.create(user=user, at=now)
        security.record(user, EventKind.RECOVERY_ANSWERS_WRONG)
        in_day = WrongAnswers.objects.filter(user=user, at__gt=now - domain.WRONG_WINDOW).count()
        locked = domain.locks_self_service(in_day)
        if locked:
            SelfServiceLock.objects.get_or_create(user=user, defaults={"locked_at": now})
            security.record(user, EventKind.RECOVERY_LOCKED)
        if locked or domain.revokes_link(row.wrong_submissions):
            row.revoked_at = now
            security.record(user, EventKind.RECOVERY_LINK_REVOKED)
        row.save(update_fields=["wrong_submissions", "revoked_at"])
    if locked:
        raise SelfServiceLocked
    return False


def answered_link(user: Any, session: Session) -> RecoveryRequest:
    row = current_link(user, session)
    if row.answered_at is None:
        raise StepSkipped
    return row


# --- 4. the new payment password ----------------------------------------------------------


def new_pin_errors(user: Any, pin: str, repeat: str) -> FieldErrors:
    """The registration's rules, and different from the previous payment password."""
    errors = credentials.new_pin_errors(pin, repeat)
    if not errors and credentials.is_current_pin(user, pin):
        errors["pin"] = [SamePin().message]
    return errors


def set_new_pin(user: Any, session: Session, pin: str) -> None:
    """Finish recovery: the new payment password (counters cleared), every other session
    ended, a cool-off started, a freeze older than a day lifted, and an e-mail with a
    "This wasn't me" link. All in one transaction with spending the link."""
    now = clock.now()
    with transaction.atomic():
        row = current_link(user, session, for_update=True)
        if row.answered_at is None or not user.email:
            raise StepSkipped
        if credentials.is_current_pin(user, pin):
            raise SamePin
        row.used_at = now
        row.save(update_fields=["used_at"])
        credentials.recover_payment_password(user, pin)
        accounts.end_sessions(user, keep=session)
        until = security.start_cool_off(user)
        if security.restrictions(user).frozen:
            security.unfreeze(user)
        security.record(user, EventKind.RECOVERY_COMPLETED)
        notifications.send_email_on_commit(
            user.email,
            "recovery_completed",
            notifications.language_of(user),
            {
                **notifications.freeze_context(user),
                "cool_off_hours": int(security.cool_off_period().total_seconds() // 3600),
                "cool_off_until": until.isoformat(timespec="minutes"),
            },
        )
    session.pop(LINK_KEY, None)
    session.pop(LINK_KEY + "_seen", None)


# --- "This wasn't me" --------------------------------------------------------------------


def _emailed(session: Session, key: str, purpose: str, gone: type[RecoveryRefusal]) -> Any:
    digest = session.get(key)
    row = (
        EmailedToken.objects.select_related("user")
        .filter(token_hash=digest or "-", purpose=purpose)
        .first()
    )
    if row is None or row.used_at is not None or clock.now() >= row.expires_at:
        raise gone
    return row


def freeze_link(session: Session) -> str:
    """The user id of the "This wasn't me" link this browser opened, if it still works (no
    sign-in). The link is any security e-mail's (notifications makes them)."""
    user_id = notifications.freeze_link_owner(session.get(FREEZE_KEY))
    if user_id is None:
        raise FreezeLinkGone
    return user_id


def _freeze(user_id: Any) -> None:
    security.freeze(user_id)
    user = accounts.user_by_id(user_id)
    if user is not None:
        accounts.end_sessions(user)


def freeze_by_link(session: Session) -> None:
    """Freeze the wallet of the opened link and end every one of its sessions."""
    with transaction.atomic():
        user_id = notifications.spend_freeze_link(session.get(FREEZE_KEY))
        if user_id is None:
            raise FreezeLinkGone
        _freeze(user_id)
    session.pop(FREEZE_KEY, None)


def freeze_now(user: Any) -> None:
    """The signed-in buyer pressed "This wasn't me" on the security log."""
    with transaction.atomic():
        _freeze(user.pk)


# --- the cool-off's fresh e-mail confirmation ----------------------------------------------


def send_confirmation(user: Any) -> None:
    """E-mail the signed-in buyer a link that lets one card addition or payment above the
    cool-off limit through (security.confirm_fresh)."""
    token = secrets.token_urlsafe(domain.TOKEN_BYTES)
    now = clock.now()
    with transaction.atomic():
        EmailedToken.objects.filter(
            user=user, purpose=EmailedToken.Purpose.CONFIRM, used_at__isnull=True
        ).update(used_at=now)  # one outstanding link at a time
        EmailedToken.objects.create(
            user=user,
            purpose=EmailedToken.Purpose.CONFIRM,
            token_hash=domain.token_digest(token),
            created_at=now,
            expires_at=now + domain.CONFIRM_LINK_LIFETIME,
        )
        link = config().urls["wallet"] + reverse("recovery:confirm-link", args=[token])
        notifications.send_email_on_commit(
            user.email,
            "cool_off_confirmation",
            notifications.language_of(user),
            {"link": link, "minutes": int(domain.CONFIRM_LINK_LIFETIME.total_seconds() // 60)},
        )


def confirm_by_link(user: Any, session: Session) -> None:
    """The buyer opened the confirmation link in their own session."""
    with transaction.atomic():
        row = _emailed(session, CONFIRM_KEY, EmailedToken.Purpose.CONFIRM, ConfirmLinkGone)
        if row.user_id != user.pk:
            raise OtherSession
        EmailedToken.objects.filter(pk=row.pk).update(used_at=clock.now())
        security.confirm_fresh(user)
    session.pop(CONFIRM_KEY, None)


# --- reading ------------------------------------------------------------------------------


def questions(user: Any) -> list[Any]:
    return credentials.question_labels(user)


def self_service_locked(user: Any) -> bool:
    return _locked(user)


def unlock(user_id: int) -> bool:
    """Operator: lift the self-service lock (after support checked the buyer's identity);
    the wrong answers of the day are forgotten with it. Logged like every step."""
    with transaction.atomic():
        deleted, _ = SelfServiceLock.objects.filter(user_id=user_id).delete()
        WrongAnswers.objects.filter(user_id=user_id).delete()
        if deleted:
            security.record(user_id, EventKind.RECOVERY_UNLOCKED)
    return bool(deleted)


def restrictions(user: Any) -> security_domain.Restrictions:
    return security.restrictions(user)


def security_log(user: Any, page: Any = 1) -> Any:
    return security.events(user, page)


def freeze_wait_hours() -> int:
    """After a freeze, the hours before the buyer's own recovery may lift it."""
    return int(security_domain.FREEZE_RECOVERY_WAIT.total_seconds() // 3600)


def confirmation_minutes() -> int:
    """How long a fresh e-mail confirmation lets one guarded action through."""
    return int(security.CONFIRMATION_LIFETIME.total_seconds() // 60)
