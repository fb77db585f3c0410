"""Typed access to zhifu's own settings of the running site.

Django settings are untyped; zhifu keeps its own in one frozen object (settings.ZHIFU)
and code reads them through config(), so mypy checks every use.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from zhifu.kernel.secret import Secret

if TYPE_CHECKING:
    from zhifu.config.environment import Environment


@dataclass(frozen=True)
class SiteConfig:
    site: str
    demo: bool
    data_dir: Path
    urls: dict[str, str]
    currencies: tuple[str, ...]
    secrets: dict[str, Secret] = field(repr=False)
    env: Environment = field(repr=False)
    hsts_seconds: int = 31_536_000

    @property
    def mail_dir(self) -> Path:
        """Where demo mail is kept (ZHIFU_MAIL_DIR, else <data-dir>/mail)."""
        chosen = self.env.mail_dir
        return chosen.resolve() if chosen is not None else self.data_dir / "mail"

    def secret(self, name: str) -> Secret:
        return self.secrets[name]

    def platform_secret(self, slug: str) -> Secret:
        """A platform's OIDC client secret, read at each call from its own namespace
        (zhifu.config.secrets.platform_secret); raises PlatformSecretMissing."""
        from zhifu.config.secrets import platform_secret

        return platform_secret(self.data_dir, slug)

    def secret_fallbacks(self, name: str) -> tuple[str, ...]:
        """Older values of a rotated key (ZHIFU_<NAME>_FALLBACKS, comma-separated): still
        accepted when checking, never used to sign."""
        value = getattr(self.env, f"{name}_fallbacks", None)
        text = value.reveal() if isinstance(value, Secret) else ""
        return tuple(part.strip() for part in text.split(",") if part.strip())


def config() -> SiteConfig:
    from django.conf import settings

    value = getattr(settings, "ZHIFU")  # noqa: B009 - keeps the stubs from guessing
    assert isinstance(value, SiteConfig)
    return value
