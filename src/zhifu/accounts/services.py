"""Use cases of the wallet's accounts: sign-in from a platform, e-mail confirmation,
registration. Each owns its transaction."""

from __future__ import annotations

import datetime as dt
import hashlib
import secrets
from dataclasses import dataclass
from typing import Any, TypeVar

from django.db import IntegrityError, transaction
from django.urls import reverse

from zhifu.accounts import domain, oidc
from zhifu.accounts.errors import (
    AccountInactive,
    ConnectLinkExpired,
    ConnectLinkOtherAccount,
    ConnectLinkProblem,
    ConnectLinkUnknown,
    ConnectLinkUsed,
    ConnectNotStranded,
    EmailTaken,
    EmailUnchanged,
    LinkAlreadyConfirmed,
    LinkExpired,
    LinkOtherAccount,
    LinkProblem,
    LinkUnknown,
    LinkUsed,
    SendLimited,
    ShopInUse,
    ShopUnknown,
    SignInFailed,
)
from zhifu.accounts.middleware import gate_exempt
from zhifu.accounts.models import (
    ConnectLink,
    EmailChange,
    EmailConfirmation,
    Identity,
    Platform,
    User,
)
from zhifu.config.site import config
from zhifu.credentials import services as credentials
from zhifu.credentials.domain import Action, QuestionChoice, bound
from zhifu.kernel import clock
from zhifu.kernel.money import Money
from zhifu.ledger import domain as ledger_domain
from zhifu.ledger import services as ledger
from zhifu.ledger.domain import BALANCE_OFF, BALANCE_ON, BalancePolicy
from zhifu.notifications import services as notifications
from zhifu.security import services as security
from zhifu.security.domain import EventKind

PLATFORM_KEY = domain.PLATFORM_KEY  # the session keys of the platform signed in through
PLATFORM_NAME_KEY = domain.PLATFORM_NAME_KEY

# The e-mail gate's one exception (the payments cashier) marks its views with this.
__all__ = [
    "AccountInactive",
    "ConnectLinkProblem",
    "EmailTaken",
    "EmailUnchanged",
    "LinkProblem",
    "SendLimited",
    "ShopInUse",
    "ShopUnknown",
    "SignInFailed",
    "gate_exempt",
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


def platform_by_slug(slug: str) -> Platform | None:
    """A registered platform, enabled or not (the merchant API's key commands)."""
    return Platform.objects.filter(slug=slug).first()


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
class ShopSignOut:
    """The offer after the wallet's sign-out: sign out of the shop too, at ``url``."""

    shop: str
    url: str


def offer_shop_sign_out(session: Any, platform_id: int | None) -> ShopSignOut | None:
    """Where to sign out of the shop this (ended) session came through, if its provider
    supports RP-initiated logout; the request's state is kept in the new session, so the
    home page knows the shop's answer when it comes back."""
    if platform_id is None:
        return None
    platform = Platform.objects.filter(pk=platform_id, is_active=True).first()
    if platform is None:
        return None
    state = secrets.token_urlsafe(24)
    url = oidc.end_session_url(platform.issuer, platform.client_id, state)
    if url is None:
        return None
    session[domain.SHOP_SIGN_OUT_KEY] = {"state": state, "shop": platform.name}
    return ShopSignOut(shop=platform.name, url=url)


def shop_signed_out(session: Any, state: str | None) -> str | None:
    """The shop's name when ``state`` is that of this browser's "sign out of the shop too"
    (once: it is forgotten), else None."""
    pending = session.get(domain.SHOP_SIGN_OUT_KEY)
    if not state or not isinstance(pending, dict):
        return None
    if not secrets.compare_digest(str(pending.get("state", "")), state):
        return None
    del session[domain.SHOP_SIGN_OUT_KEY]
    return str(pending.get("shop", ""))


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
    security.record(user, EventKind.SIGNED_IN, shop=platform.name)
    return SignedIn(user, platform, domain.safe_next(attempt.get("next")))


def remember_platform(session: Any, platform: Platform) -> None:
    """Keep the platform in the (already rotated) session: its balance switch, its name."""
    session[PLATFORM_KEY] = platform.pk
    session[PLATFORM_NAME_KEY] = platform.name
    session[domain.PLATFORM_HOME_KEY] = domain.shop_home(platform.issuer)


def sign_in(platform: Platform, claims: dict[str, Any]) -> User:
    """The wallet user behind (issuer, subject), created on the first login.

    A new identity never joins an existing wallet on the shop's e-mail claim: another
    account at another shop may assert anyone's address (docs/decisions/0010). It gets a
    wallet user of its own, unconfirmed, which the gate offers to connect to an existing
    wallet (:func:`request_connect`, then the owner's e-mailed link and payment password).
    Only a platform the operator marked ``trust_email_verified`` joins on a verified claim.
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
            if platform.trust_email_verified and email and verified:
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


def _recent_sends(user: User, now: dt.datetime) -> list[dt.datetime]:
    """When this user sent confirmation e-mails and connect requests in the last hour: both
    count against the same limits (``domain.may_send``)."""
    since = now - dt.timedelta(hours=1)
    return [
        *EmailConfirmation.objects.filter(user=user, created_at__gt=since).values_list(
            "created_at", flat=True
        ),
        *ConnectLink.objects.filter(requester=user, created_at__gt=since).values_list(
            "created_at", flat=True
        ),
        *EmailChange.objects.filter(user=user, created_at__gt=since).values_list(
            "created_at", flat=True
        ),
    ]


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
        refused = domain.may_send(_recent_sends(user, now), now)
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


def resend_wait(user: User) -> int:
    """Seconds until another confirmation e-mail may go out (0: now); the page counts down."""
    now = clock.now()
    refused = domain.may_send(_recent_sends(user, now), now)
    return refused.wait_seconds if refused else 0


def last_confirmation(user: User) -> EmailConfirmation | None:
    return EmailConfirmation.objects.filter(user=user).order_by("-created_at").first()


# The rows of this area's e-mailed links: a hashed token, an owner, a time of use.
LinkRow = TypeVar("LinkRow", EmailConfirmation, EmailChange)


def _own_unused_link(model: type[LinkRow], user: User, token: str) -> LinkRow:
    """The row of an e-mailed link's token, if it is this user's and not used yet (the
    checks every link of this area starts with, in this order)."""
    row = model.objects.filter(token_hash=_hash(token)).first()
    if row is None:
        raise LinkUnknown
    if row.user_id != user.pk:
        raise LinkOtherAccount
    if row.used_at is not None:
        raise LinkUsed
    return row


def check_link(user: User, token: str) -> EmailConfirmation:
    """The confirmation row for this link, if the signed-in user may use it now.

    Found by an indexed equality on the token's SHA-256, with no further comparison: the
    time the lookup takes can only tell a guesser about the hash of *their* guess, which
    does not bring them closer to a 256-bit token whose hash they do not know.
    """
    row = _own_unused_link(EmailConfirmation, user, token)
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


# --- connecting a shop to a wallet (docs/decisions/0010) -----------------------------------


def _session_identity(user: User, platform_id: Any) -> Identity | None:
    """The shop account this session signed in with."""
    if not platform_id:
        return None
    return Identity.objects.filter(user=user, platform_id=platform_id).first()


def request_connect(user: User, platform_id: Any, email: str) -> None:
    """Ask to connect the shop account of this session to the wallet that confirmed
    ``email``: its owner gets a single-use link. Raises SendLimited, ConnectNotStranded.

    The answer is the same whether a wallet has the address or not (SEC-16), and counts
    against the gate's send limits; without a wallet the token is never sent.
    """
    email = User.objects.normalize_email(email.strip())
    now = clock.now()
    with transaction.atomic():
        User.objects.select_for_update().get(pk=user.pk)  # one send decision at a time
        user.refresh_from_db()
        identity = _session_identity(user, platform_id)
        if user.email_confirmed or identity is None:
            raise ConnectNotStranded
        refused = domain.may_send(_recent_sends(user, now), now)
        if refused:
            raise SendLimited.of(refused)
        owner = (
            User.objects.filter(email__iexact=email, email_confirmed_at__isnull=False)
            .exclude(pk=user.pk)
            .first()
        )
        token = secrets.token_urlsafe(32)
        ConnectLink.objects.create(
            requester=user,
            identity=identity,
            owner=owner,
            email=email,
            token_hash=_hash(token),
            created_at=now,
            expires_at=now + domain.CONNECT_LINK_LIFETIME,
        )
        if owner is None or not owner.email:
            return
        # A secret, so it bypasses the outbox like the confirmation link (decision 0004).
        link = config().urls["wallet"] + reverse("accounts:connect", args=[token])
        notifications.send_email_on_commit(
            owner.email,
            "platform_connect_link",
            notifications.language_of(owner),
            {
                "link": link,
                "shop": identity.platform.name,
                "minutes": int(domain.CONNECT_LINK_LIFETIME.total_seconds() // 60),
            },
        )


def last_connect_request(user: User) -> ConnectLink | None:
    return ConnectLink.objects.filter(requester=user).order_by("-created_at").first()


def check_connect_link(user: User, platform_id: Any, token: str) -> ConnectLink:
    """The connect link, if this session (its user *and* its shop account) may use it now.

    Looked up by the SHA-256 of the token, like the confirmation link (:func:`check_link`).
    """
    row = (
        ConnectLink.objects.select_related("identity__platform", "owner")
        .filter(token_hash=_hash(token))
        .first()
    )
    if row is None or row.owner is None:
        raise ConnectLinkUnknown
    if row.identity.user_id != user.pk or row.identity.platform_id != platform_id:
        raise ConnectLinkOtherAccount
    if row.used_at is not None:
        raise ConnectLinkUsed
    if user.email_confirmed:
        raise ConnectNotStranded
    if clock.now() >= row.expires_at:
        raise ConnectLinkExpired
    return row


def connect_action(identity_id: int) -> str:
    """The step-up action that connects one shop account to a wallet."""
    return bound(Action.PLATFORM_CONNECT, str(identity_id))


def connect_platform(user: User, platform_id: Any, token: str, pin: str) -> User:
    """Connect the session's shop account to the wallet the link was sent for, once the
    wallet's payment password is right; the wallet user the session becomes.

    The payment password is checked under the owner's lockout counter
    (``credentials.step_up``); its proof is redeemed in the transaction that moves the
    identity, so the link, the proof and the move commit together or not at all. The
    session's own wallet user, never confirmed (the gate kept it from cards, payment
    password and ledger), is deleted once it has no shop account left. Raises
    ConnectLinkProblem or a credentials refusal.
    """
    row = check_connect_link(user, platform_id, token)
    owner = row.owner
    assert owner is not None  # check_connect_link refuses a link that was never sent
    action = connect_action(row.identity_id)
    proof = credentials.step_up(owner, pin, action)
    now = clock.now()
    with transaction.atomic():
        User.objects.select_for_update().get(pk=user.pk)
        user.refresh_from_db()
        locked = ConnectLink.objects.select_for_update().get(pk=row.pk)
        row = check_connect_link(user, platform_id, token)
        credentials.redeem_step_up(owner.pk, proof, action)
        locked.used_at = now
        locked.save(update_fields=["used_at"])
        identity = row.identity
        identity.user = owner
        identity.save(update_fields=["user"])
        if not user.identities.exists():
            user.delete()
        notifications.queue_email(
            owner, "platform_connected", {"shop": identity.platform.name}, freeze_link=True
        )
    return owner


def connected_shops(user: User) -> list[Identity]:
    """The shop accounts that sign in to this wallet, oldest first."""
    return list(user.identities.select_related("platform").order_by("created_at", "id"))


def disconnect_action(identity_id: int) -> str:
    return bound(Action.PLATFORM_DISCONNECT, str(identity_id))


def disconnect_platform(user: User, identity_id: int, platform_id: Any, pin: str) -> None:
    """Remove a shop account from the wallet after the payment password. The shop this
    session signed in through cannot be removed from itself (ShopInUse): the buyer would
    be signed in to a wallet with no way back. Raises ShopUnknown, ShopInUse or a
    credentials refusal. The next sign-in through that shop starts a new wallet user."""
    identity = Identity.objects.filter(pk=identity_id, user=user).first()
    if identity is None:
        raise ShopUnknown
    if identity.platform_id == platform_id:
        raise ShopInUse
    action = disconnect_action(identity.pk)
    proof = credentials.step_up(user, pin, action)
    with transaction.atomic():
        User.objects.select_for_update().get(pk=user.pk)
        identity = (
            Identity.objects.select_for_update()
            .select_related("platform")
            .filter(pk=identity_id, user=user)
            .first()
        )
        if identity is None:
            raise ShopUnknown
        credentials.redeem_step_up(user.pk, proof, action)
        shop = identity.platform.name
        identity.delete()
        notifications.queue_email(user, "platform_disconnected", {"shop": shop}, freeze_link=True)


# --- changing the confirmed address (behind the payment password) ------------------------


def email_change_action() -> str:
    return bound(Action.EMAIL_CHANGE)


def request_email_change(user: User, new_email: str, pin: str) -> None:
    """Send a confirmation link to ``new_email`` after the payment password. Raises a
    credentials refusal (wrong, locked), SendLimited or EmailUnchanged.

    An address another wallet confirmed gets the same answer but no link (SEC-16): its
    owner is told someone tried it. The change happens only when the link is opened in
    this buyer's session (:func:`confirm_email_change`); the old address is told then.
    """
    new_email = User.objects.normalize_email(new_email.strip())
    if user.email and new_email.casefold() == user.email.casefold():
        raise EmailUnchanged
    proof = credentials.step_up(user, pin, email_change_action())
    now = clock.now()
    with transaction.atomic():
        User.objects.select_for_update().get(pk=user.pk)
        refused = domain.may_send(_recent_sends(user, now), now)
        if refused:
            raise SendLimited.of(refused)
        credentials.redeem_step_up(user.pk, proof, email_change_action())
        owner = User.objects.filter(email__iexact=new_email).exclude(pk=user.pk).first()
        token = secrets.token_urlsafe(32)
        EmailChange.objects.filter(user=user, used_at__isnull=True).update(expires_at=now)
        EmailChange.objects.create(
            user=user,
            email=new_email,
            old_email=user.email or "",
            token_hash=_hash(token),
            created_at=now,
            expires_at=now + domain.LINK_LIFETIME,
        )
        security.record(user, EventKind.EMAIL_CHANGE_REQUESTED)
        if owner is not None:
            notifications.queue_email(owner, "email_taken")
            return
        link = config().urls["wallet"] + reverse("accounts:email-change", args=[token])
        notifications.send_email_on_commit(
            new_email,
            "email_change_link",
            notifications.language_of(user),
            {"link": link, "hours": int(domain.LINK_LIFETIME.total_seconds() // 3600)},
        )


def check_email_change(user: User, token: str) -> EmailChange:
    """The change this link confirms, if this session's user may use it now."""
    row = _own_unused_link(EmailChange, user, token)
    if clock.now() >= row.expires_at:
        raise LinkExpired
    return row


def confirm_email_change(user: User, token: str) -> str:
    """Make the new address the wallet's; tell the old one. The new address, for the page."""
    now = clock.now()
    with transaction.atomic():
        User.objects.select_for_update().get(pk=user.pk)
        user.refresh_from_db()
        row = check_email_change(user, token)
        row.used_at = now
        row.save(update_fields=["used_at"])
        old = user.email or row.old_email
        user.email = row.email
        try:
            with transaction.atomic():
                user.save(update_fields=["email"])
        except IntegrityError:
            raise EmailTaken from None
        security.record(user, EventKind.EMAIL_CHANGED)
        context = {"new": domain.masked_address(row.email)}
        notifications.queue_email(user, "email_changed_old", context, to=old, freeze_link=True)
        notifications.queue_email(user, "email_changed", context, freeze_link=True)
    return row.email


# --- sessions ---------------------------------------------------------------------------


def user_by_id(user_id: Any) -> User | None:
    """The wallet user of an id as other areas keep it (``str(pk)``), if there is one."""
    try:
        return User.objects.filter(pk=int(user_id)).first()
    except (TypeError, ValueError):
        return None


def confirmed_user(address: str) -> User | None:
    """The active wallet user who confirmed ``address`` (case-insensitive), if any."""
    address = User.objects.normalize_email(address.strip())
    if not address:
        return None
    return User.objects.filter(
        email__iexact=address, email_confirmed_at__isnull=False, is_active=True
    ).first()


def end_sessions(user: User, keep: Any = None) -> None:
    """End every wallet session of ``user`` at its next request, except ``keep`` (the
    session of the request that asked, which moves to the new epoch). Runs in the caller's
    transaction. The middleware compares each session's epoch with the user's
    (``domain.SESSION_EPOCH_KEY``) and flushes an older one on the server."""
    with transaction.atomic():
        locked = User.objects.select_for_update().get(pk=user.pk)
        locked.sessions_epoch += 1
        locked.save(update_fields=["sessions_epoch"])
        user.sessions_epoch = locked.sessions_epoch
    if keep is not None:
        keep[domain.SESSION_EPOCH_KEY] = user.sessions_epoch


def restrictions(user: User) -> security.Restrictions:
    """The wallet's freeze and cool-off (zhifu.security), for the account page."""
    return security.restrictions(user)


def recent_security_events(user: User, count: int = 3) -> list[Any]:
    """The newest lines of the buyer's security log (its page is recovery's)."""
    return list(security.events(user).object_list[:count])


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
