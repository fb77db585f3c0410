from __future__ import annotations

from typing import Any, ClassVar

from django.contrib.auth.models import AbstractBaseUser, BaseUserManager, PermissionsMixin
from django.db import models
from django.utils.translation import gettext_lazy as _

from zhifu.kernel import clock


class BuyerManager(BaseUserManager["Buyer"]):
    def create_user(self, email: str, password: str | None = None, **extra: Any) -> Buyer:
        buyer = self.model(email=self.normalize_email(email).lower(), **extra)
        buyer.set_password(password)
        buyer.save(using=self._db)
        return buyer

    def create_superuser(self, email: str, password: str | None = None, **extra: Any) -> Buyer:
        extra.setdefault("is_staff", True)
        extra.setdefault("is_superuser", True)
        return self.create_user(email, password, **extra)


class Buyer(AbstractBaseUser, PermissionsMixin):
    """A shop account: e-mail and password. The wallet learns of it through OIDC."""

    email = models.EmailField(_("e-mail"), unique=True)
    name = models.CharField(_("name"), max_length=150, blank=True)
    locale = models.CharField(_("language"), max_length=10, default="en")
    is_active = models.BooleanField(default=True)
    is_staff = models.BooleanField(default=False)
    date_joined = models.DateTimeField(default=clock.now)

    objects: ClassVar[BuyerManager] = BuyerManager()

    USERNAME_FIELD = "email"
    EMAIL_FIELD = "email"
    REQUIRED_FIELDS: ClassVar[list[str]] = []

    def __str__(self) -> str:
        return self.email
