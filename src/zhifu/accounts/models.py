from __future__ import annotations

from typing import Any, ClassVar

from django.contrib.auth.models import AbstractBaseUser, BaseUserManager, PermissionsMixin
from django.db import models
from django.utils.translation import gettext_lazy as _

from zhifu.kernel import clock


class UserManager(BaseUserManager["User"]):
    def create_user(self, email: str, password: str | None = None, **extra: Any) -> User:
        user = self.model(email=self.normalize_email(email), **extra)
        if password:
            user.set_password(password)
        else:
            user.set_unusable_password()  # buyers sign in through their shop, not here
        user.save(using=self._db)
        return user

    def create_superuser(self, email: str, password: str | None = None, **extra: Any) -> User:
        extra.setdefault("is_staff", True)
        extra.setdefault("is_superuser", True)
        return self.create_user(email, password, **extra)


class User(AbstractBaseUser, PermissionsMixin):
    """A wallet user. Buyers have no wallet password: they sign in through a shop."""

    # The address confirmed at the wallet (the gate). Empty until then: the shop's address
    # is kept on the Identity and only pre-fills the gate. NULLs never clash on unique.
    email = models.EmailField(_("e-mail"), unique=True, null=True, blank=True)
    email_confirmed_at = models.DateTimeField(null=True, blank=True)
    locale = models.CharField(max_length=10, blank=True)  # from the shop's locale claim
    is_active = models.BooleanField(default=True)
    is_staff = models.BooleanField(default=False)
    date_joined = models.DateTimeField(default=clock.now)
    # Sessions remember the epoch they started in; raising it ends every older session at
    # its next request (SessionTimeoutMiddleware): a recovery or a freeze (SEC-20).
    sessions_epoch = models.PositiveIntegerField(default=0)

    objects: ClassVar[UserManager] = UserManager()

    USERNAME_FIELD = "email"
    EMAIL_FIELD = "email"
    REQUIRED_FIELDS: ClassVar[list[str]] = []

    def __str__(self) -> str:
        return self.email or f"user {self.pk}"

    @property
    def email_confirmed(self) -> bool:
        return self.email_confirmed_at is not None


class Platform(models.Model):
    """A shop the wallet serves, with its OpenID Connect provider.

    The client secret is never stored here, nor named: it is found by the slug alone, as
    ``platform.<slug>.client_secret`` (``config().platform_secret(slug)``: the variable
    ``ZHIFU_PLATFORM_<SLUG>_CLIENT_SECRET`` or the file of that name in the secrets folder).
    """

    class TokenAuthMethod(models.TextChoices):
        BASIC = "client_secret_basic", "client_secret_basic"
        POST = "client_secret_post", "client_secret_post"

    slug = models.SlugField(unique=True)
    name = models.CharField(max_length=100)
    issuer = models.URLField(unique=True)
    client_id = models.CharField(max_length=200)
    # From discovery when the platform was added or last checked (`zhifu platform add`):
    # the wallet's CSP form-action allows its origin besides the issuer's.
    authorization_endpoint = models.URLField(blank=True)
    token_auth_method = models.CharField(
        max_length=30, choices=TokenAuthMethod.choices, default=TokenAuthMethod.BASIC
    )
    scopes = models.CharField(max_length=200, default="openid email profile")
    balance_enabled = models.BooleanField(default=False)
    # Join a new account of this shop to the wallet with the same confirmed address when the
    # provider says ``email_verified``. Off by default; only for a provider the operator runs
    # and whose e-mail checks they vouch for (docs/decisions/0010 states the risk).
    trust_email_verified = models.BooleanField(default=False)
    is_active = models.BooleanField(default=True)
    created_at = models.DateTimeField(default=clock.now)

    def __str__(self) -> str:
        return self.name


class Identity(models.Model):
    """One buyer account at one platform, keyed by (issuer, subject), linked to a wallet user.

    Several identities (one per shop) may point at the same user.
    """

    platform = models.ForeignKey(Platform, on_delete=models.PROTECT, related_name="identities")
    subject = models.CharField(max_length=255)
    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="identities")
    email = models.EmailField(blank=True)  # as the shop last said
    email_verified = models.BooleanField(default=False)
    name = models.CharField(max_length=200, blank=True)
    created_at = models.DateTimeField(default=clock.now)
    last_login_at = models.DateTimeField(default=clock.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["platform", "subject"], name="identity_once")
        ]
        verbose_name_plural = "identities"

    def __str__(self) -> str:
        return f"{self.platform.slug}:{self.subject}"


class EmailedLink(models.Model):
    """A single-use link sent by e-mail: only the SHA-256 of its 256-bit token is stored."""

    email = models.EmailField()
    token_hash = models.CharField(max_length=64, unique=True)
    created_at = models.DateTimeField(default=clock.now)
    expires_at = models.DateTimeField()
    used_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        abstract = True


class EmailConfirmation(EmailedLink):
    """One confirmation e-mail. Also the send log behind the resend limits (60 s apart, 5
    an hour)."""

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="email_confirmations")

    class Meta:
        indexes = [models.Index(fields=["user", "created_at"], name="confirm_user_time")]

    def __str__(self) -> str:
        return f"confirmation for user {self.user_id}"


class ConnectLink(EmailedLink):
    """One e-mailed link that connects a shop account (``identity``) to the wallet of
    ``owner``, sent to its confirmed ``email`` (docs/decisions/0010).

    Also the send log of "connect" requests, counted with the confirmation e-mails. A
    request for an address no wallet has confirmed leaves a row with no ``owner`` whose
    token was never sent: it connects nothing.
    """

    requester = models.ForeignKey(
        User, on_delete=models.SET_NULL, null=True, related_name="connect_requests"
    )
    identity = models.ForeignKey(Identity, on_delete=models.CASCADE, related_name="connect_links")
    owner = models.ForeignKey(
        User, on_delete=models.CASCADE, null=True, related_name="connect_links"
    )

    class Meta:
        indexes = [models.Index(fields=["requester", "created_at"], name="connect_requester_time")]

    def __str__(self) -> str:
        return f"connect link for identity {self.identity_id}"


class EmailChange(EmailedLink):
    """A change of the confirmed address, asked for behind the payment password: ``email``
    is the new address, which gets the link; ``old_email`` is told once it is done."""

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="email_changes")
    old_email = models.EmailField()

    class Meta:
        indexes = [models.Index(fields=["user", "created_at"], name="email_change_user_time")]

    def __str__(self) -> str:
        return f"e-mail change of user {self.user_id}"
