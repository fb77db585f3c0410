"""Use cases of the wallet's accounts: sign-in from a platform, e-mail confirmation,
registration. Each owns its transaction."""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import secrets
from typing import Any

from django.db import IntegrityError, transaction

from zhifu.accounts import domain
from zhifu.accounts.models import EmailConfirmation, Identity, Platform, User
from zhifu.config.site import config
from zhifu.credentials import services as credentials
from zhifu.credentials.domain import QuestionChoice
from zhifu.kernel import clock
from zhifu.kernel.money import Money
from zhifu.ledger import domain as ledger_domain
from zhifu.ledger import services as ledger
from zhifu.ledger.domain import BALANCE_OFF, BALANCE_ON, BalancePolicy
from zhifu.notifications import services as notifications


class SendLimited(Exception):
    def __init__(self, refused: domain.SendRefused) -> None:
        super().__init__(refused.reason)
        self.refused = refused


class EmailTaken(Exception):
    """Another wallet account has already confirmed this address."""


class LinkProblem(Exception):
    """The confirmation link cannot be used. ``code``: unknown | used | expired |
    other_account | already_confirmed."""

    def __init__(self, code: str) -> None:
        super().__init__(code)
        self.code = code


def sign_in(platform: Platform, claims: dict[str, Any]) -> User:
    """The wallet user behind (issuer, subject), created on the first login.

    A new identity joins an existing wallet user only when the platform says the e-mail is
    verified and a wallet user has confirmed that same address at the wallet; platforms are
    registered by the operator and trusted to verify the e-mails they assert. Otherwise a
    new wallet user is created; it confirms its address at the gate.
    """
    subject = str(claims["sub"])
    email = str(claims.get("email") or "")
    verified = claims.get("email_verified") is True
    locale = str(claims.get("locale") or "")[:10]
    name = str(claims.get("name") or "")[:200]
    now = clock.now()
    with transaction.atomic():
        identity = (
            Identity.objects.select_for_update()
            .select_related("user")
            .filter(platform=platform, subject=subject)
            .first()
        )
        if identity is None:
            user = None
            if email and verified:
                user = User.objects.filter(
                    email__iexact=email, email_confirmed_at__isnull=False
                ).first()
            if user is None:
                user = User(email=None, locale=locale)
                user.set_unusable_password()
                user.save()
            identity = Identity.objects.create(
                platform=platform, subject=subject, user=user, created_at=now
            )
        user = identity.user
        identity.email, identity.email_verified, identity.name = email, verified, name
        identity.last_login_at = now
        identity.save(update_fields=["email", "email_verified", "name", "last_login_at"])
        if locale and user.locale != locale:
            user.locale = locale
            user.save(update_fields=["locale"])
    return user


def shop_email(user: User) -> str:
    """The address the buyer's shop knows, to pre-fill the gate."""
    identity = user.identities.order_by("-last_login_at").first()
    return identity.email if identity else ""


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def send_confirmation(user: User, email: str) -> EmailConfirmation:
    """Send a confirmation link to ``email``; raise SendLimited or EmailTaken."""
    email = User.objects.normalize_email(email.strip())
    now = clock.now()
    with transaction.atomic():
        User.objects.select_for_update().get(pk=user.pk)  # one send decision at a time
        if User.objects.filter(email__iexact=email).exclude(pk=user.pk).exists():
            raise EmailTaken
        sent = list(
            EmailConfirmation.objects.filter(
                user=user, created_at__gt=now - dt.timedelta(hours=1)
            ).values_list("created_at", flat=True)
        )
        refused = domain.may_send(sent, now)
        if refused:
            raise SendLimited(refused)
        token = secrets.token_urlsafe(32)
        confirmation = EmailConfirmation.objects.create(
            user=user,
            email=email,
            token_hash=_hash(token),
            created_at=now,
            expires_at=now + domain.LINK_LIFETIME,
        )
        link = f"{config().urls['wallet']}/confirm-email/{token}/"
        notifications.send_email_on_commit(
            email,
            "email_confirmation",
            notifications.language_of(user),
            {"link": link, "hours": int(domain.LINK_LIFETIME.total_seconds() // 3600)},
        )
    return confirmation


def last_confirmation(user: User) -> EmailConfirmation | None:
    return EmailConfirmation.objects.filter(user=user).order_by("-created_at").first()


def check_link(user: User, token: str) -> EmailConfirmation:
    """The confirmation row for this link, if the signed-in user may use it now."""
    row = EmailConfirmation.objects.filter(token_hash=_hash(token)).first()
    if row is None or not hmac.compare_digest(row.token_hash, _hash(token)):
        raise LinkProblem("unknown")
    if row.user_id != user.pk:
        raise LinkProblem("other_account")
    if row.used_at is not None:
        raise LinkProblem("used")
    if user.email_confirmed:
        raise LinkProblem("already_confirmed")
    if clock.now() >= row.expires_at:
        raise LinkProblem("expired")
    return row


def complete_registration(user: User, token: str, pin: str, choices: list[QuestionChoice]) -> None:
    """Consume the link, confirm the address, set the payment password and questions —
    all or nothing."""
    now = clock.now()
    with transaction.atomic():
        User.objects.select_for_update().get(pk=user.pk)
        user.refresh_from_db()
        row = check_link(user, token)
        row.used_at = now
        row.save(update_fields=["used_at"])
        user.email = row.email
        user.email_confirmed_at = now
        try:
            with transaction.atomic():
                user.save(update_fields=["email", "email_confirmed_at"])
        except IntegrityError:
            raise EmailTaken from None
        credentials.register_credentials(user, pin, choices)
        notifications.queue_email(user, "registration_complete")


# --- the stored balance -----------------------------------------------------------------


def balance_owner(user: User) -> str:
    """The ledger owner of a wallet user's balance accounts."""
    return f"user:{user.pk}"


def balance_policy(platform: Platform | None) -> BalancePolicy:
    """The balance is switched per platform (off by default, as in the article)."""
    return BALANCE_ON if platform is not None and platform.balance_enabled else BALANCE_OFF


def balances_of(user: User) -> list[Money]:
    """Non-zero balances of the user, one per enabled currency, read-only (O(1) each)."""
    owner = balance_owner(user)
    refs = [ledger_domain.buyer(owner, code) for code in config().currencies]
    found = ledger.balances(refs)
    return [found[ref] for ref in refs if found[ref].minor != 0]
