"""Use cases of the wallet's accounts: sign-in from a platform, e-mail confirmation,
registration. Each owns its transaction."""

from __future__ import annotations

import datetime as dt
import hashlib
import secrets
from dataclasses import dataclass
from typing import Any

from django.db import IntegrityError, transaction
from django.urls import reverse

from zhifu.accounts import domain, oidc
from zhifu.accounts.errors import (
    AccountInactive,
    EmailTaken,
    LinkAlreadyConfirmed,
    LinkExpired,
    LinkOtherAccount,
    LinkProblem,
    LinkUnknown,
    LinkUsed,
    SendLimited,
    SignInFailed,
)
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

PLATFORM_KEY = "zhifu_platform_id"  # the session keys of the platform signed in through
PLATFORM_NAME_KEY = "zhifu_platform_name"

__all__ = [
    "AccountInactive",
    "EmailTaken",
    "LinkProblem",
    "SendLimited",
    "SignInFailed",
]


# --- platforms and sign-in ----------------------------------------------------------------


def wallet_user(user: Any) -> User:
    """The signed-in wallet user of a request (``request.user`` after the sign-in check)."""
    if not isinstance(user, User):
        raise TypeError("a signed-in wallet user was expected")
    return user


def active_platforms() -> list[Platform]:
    """The shops buyers may sign in through, in the order they were registered."""
    return list(Platform.objects.filter(is_active=True).order_by("id"))


def platform_for_session(session: Any) -> Platform | None:
    """The platform this session signed in through, if any."""
    pid = session.get(PLATFORM_KEY)
    return Platform.objects.filter(pk=pid).first() if pid else None


def _client(platform: Platform) -> oidc.Client:
    return oidc.Client(
        platform_id=platform.pk,
        issuer=platform.issuer,
        client_id=platform.client_id,
        client_secret=oidc.client_secret(platform.slug),
        scopes=platform.scopes,
        auth_method=platform.token_auth_method,
    )


def begin_sso(session: Any, slug: str, next_path: str | None) -> str:
    """Start a sign-in through the platform ``slug`` (the first one when empty); the
    provider URL to send the browser to. Raises SignInFailed."""
    platforms = {p.slug: p for p in active_platforms()}
    platform = platforms.get(slug) if slug else next(iter(platforms.values()), None)
    if platform is None:
        raise SignInFailed("unknown_platform")
    try:
        url = oidc.begin(session, _client(platform), domain.safe_next(next_path))
    except oidc.LoginError as exc:
        raise SignInFailed(exc.code, http_status=502) from None
    endpoint = url.split("?", 1)[0]
    if endpoint != platform.authorization_endpoint:  # moved: the CSP must follow (accounts.csp)
        platform.authorization_endpoint = endpoint
        platform.save(update_fields=["authorization_endpoint"])
    return url


@dataclass(frozen=True)
class SignedIn:
    """A completed sign-in: the view logs ``user`` in and goes to ``next_path``."""

    user: User
    platform: Platform
    next_path: str | None


def complete_sso(
    session: Any,
    state: str | None,
    code: str | None,
    provider_error: str | None,
    iss: str | None = None,
) -> SignedIn:
    """The provider sent the browser back: check the attempt, exchange the code, verify
    the id_token and link the identity to a wallet user (:func:`sign_in`).

    Raises SignInFailed (``reason`` says which step refused) or AccountInactive. The
    caller logs the user in and remembers the platform (:func:`remember_platform`).
    """
    try:
        attempt = oidc.take_pending(session, state)
    except oidc.LoginError as exc:
        raise SignInFailed(exc.code) from None
    if provider_error:
        raise SignInFailed("provider_error")
    platform = Platform.objects.filter(pk=attempt["platform"], is_active=True).first()
    if platform is None:
        raise SignInFailed("unknown_platform")
    try:
        claims = oidc.finish(_client(platform), attempt, code, iss=iss)
    except oidc.LoginError as exc:
        raise SignInFailed(exc.code) from None
    user = sign_in(platform, claims)
    if not user.is_active:
        raise AccountInactive
    return SignedIn(user, platform, domain.safe_next(attempt.get("next")))


def remember_platform(session: Any, platform: Platform) -> None:
    """Keep the platform in the (already rotated) session: its balance switch, its name."""
    session[PLATFORM_KEY] = platform.pk
    session[PLATFORM_NAME_KEY] = platform.name


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
    """Send a confirmation link to ``email``; raise SendLimited.

    An address another wallet account has confirmed gets the same answer and counts the
    same (SEC-16), but no link: its owner is told someone tried to use it instead.
    """
    email = User.objects.normalize_email(email.strip())
    now = clock.now()
    with transaction.atomic():
        User.objects.select_for_update().get(pk=user.pk)  # one send decision at a time
        owner = User.objects.filter(email__iexact=email).exclude(pk=user.pk).first()
        sent = list(
            EmailConfirmation.objects.filter(
                user=user, created_at__gt=now - dt.timedelta(hours=1)
            ).values_list("created_at", flat=True)
        )
        refused = domain.may_send(sent, now)
        if refused:
            raise SendLimited.of(refused)
        token = secrets.token_urlsafe(32)
        confirmation = EmailConfirmation.objects.create(
            user=user,
            email=email,
            token_hash=_hash(token),
            created_at=now,
            expires_at=now + domain.LINK_LIFETIME,
        )
        if owner is not None:  # the token is never sent, so this row confirms nothing
            notifications.queue_email(owner, "email_taken")
            return confirmation
        link = config().urls["wallet"] + reverse("accounts:register", args=[token])
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
    """The confirmation row for this link, if the signed-in user may use it now.

    Found by an indexed equality on the token's SHA-256, with no further comparison: the
    time the lookup takes can only tell a guesser about the hash of *their* guess, which
    does not bring them closer to a 256-bit token whose hash they do not know.
    """
    row = EmailConfirmation.objects.filter(token_hash=_hash(token)).first()
    if row is None:
        raise LinkUnknown
    if row.user_id != user.pk:
        raise LinkOtherAccount
    if row.used_at is not None:
        raise LinkUsed
    if user.email_confirmed:
        raise LinkAlreadyConfirmed
    if clock.now() >= row.expires_at:
        raise LinkExpired
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
    """The balance is switched per platform (off by default)."""
    return BALANCE_ON if platform is not None and platform.balance_enabled else BALANCE_OFF


def balances_of(user: User) -> list[Money]:
    """Non-zero balances of the user, one per enabled currency, read-only (O(1) each)."""
    owner = balance_owner(user)
    refs = [ledger_domain.buyer(owner, code) for code in config().currencies]
    found = ledger.balances(refs)
    return [found[ref] for ref in refs if found[ref].minor != 0]
