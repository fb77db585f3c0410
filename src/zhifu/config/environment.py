"""Typed settings read from the environment (prefix ZHIFU_, plus DATABASE_URL).

Every field is documented in docs/configuration.md. A bad or missing value raises
ConfigurationError whose message is one line naming the variable, which the CLI prints
instead of a traceback.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Annotated, Any, Literal
from urllib.parse import urlsplit

from pydantic import BeforeValidator, Field, ValidationError, field_validator, model_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

from zhifu.kernel.currencies import DEFAULT_CURRENCIES, UnknownCurrency, parse_currency_list
from zhifu.kernel.http import LOOPBACK
from zhifu.kernel.money import parse_amounts
from zhifu.kernel.networks import parse_networks
from zhifu.kernel.secret import Secret

# A shop logo: a static file shipped with zhifu (e.g. marketplace/logos/bazaar.svg).
STATIC_IMAGE = r"^[a-z0-9_-]+(?:/[a-z0-9_-]+)*\.(?:svg|png)$"
HEX_COLOUR = re.compile(r"^#[0-9a-fA-F]{6}$")
MIN_CONTRAST = 4.5  # WCAG 2 AA for normal text

SITES: tuple[str, ...] = ("wallet", "marketplace", "cardnet")
Site = Literal["wallet", "marketplace", "cardnet"]


class ConfigurationError(Exception):
    """A setting is missing or malformed; str() is one line naming the variable."""


def _secret(value: Any) -> Secret | None:
    if value is None or value == "":
        return None
    return Secret(value)


OptionalSecret = Annotated[Secret | None, BeforeValidator(_secret)]


def _blank_none(value: Any) -> Any:
    return None if isinstance(value, str) and not value.strip() else value


Blank = BeforeValidator(_blank_none)  # an empty variable means "not set"


def _split(value: Any) -> Any:
    if isinstance(value, str):
        return [item.strip() for item in value.split(",") if item.strip()]
    return value


class Environment(BaseSettings):
    model_config = SettingsConfigDict(
        env_prefix="ZHIFU_",
        extra="ignore",
        arbitrary_types_allowed=True,
        validate_default=True,
    )

    data_dir: Path = Path("var")
    demo: bool = False

    # Databases. DATABASE_URL is the database of the one site this process runs; the
    # per-site variables win and are needed when one command touches several sites.
    database_url: str | None = Field(default=None, validation_alias="DATABASE_URL")
    wallet_database_url: str | None = None
    vault_database_url: str | None = None
    marketplace_database_url: str | None = None
    cardnet_database_url: str | None = None
    db_conn_max_age: int = Field(default=60, ge=0)

    # Where the sites are reachable from a browser (links, OIDC redirects, API calls); each
    # site answers only the host of its own URL (ALLOWED_HOSTS), so each needs its own host.
    wallet_url: str = "http://localhost:8000"
    marketplace_url: str = "http://127.0.0.1:8001"
    cardnet_url: str = "http://127.0.0.2:8002"
    # The slug under which the wallet registered this shop (`zhifu platform add SLUG`): the
    # shop's "My wallet" link opens the wallet's home with it preselected.
    shop_platform_slug: str = Field(
        default="zhifu-shop", pattern=r"^[a-z0-9](?:[a-z0-9-]{0,48}[a-z0-9])?$"
    )
    # The shop's own look (the marketplace only): one code base runs as several shops, each
    # with its name (per language), accent colour and logo (docs/marketplace.md "Branding").
    shop_name: Annotated[str | None, Blank] = Field(default=None, max_length=60)
    shop_name_ru: Annotated[str | None, Blank] = Field(default=None, max_length=60)
    shop_accent: Annotated[str | None, Blank] = None
    shop_logo: Annotated[str | None, Blank] = Field(default=None, pattern=STATIC_IMAGE)
    # The wallet's client id at this shop's OpenID provider (the demo seed registers it).
    oidc_client_id: str = Field(default="zhifu-wallet", pattern=r"^[A-Za-z0-9._-]{1,100}$")
    secure_cookies: bool | None = None  # default: on unless demo (demo runs on plain http)
    # Private networks (CIDR) the wallet's outgoing HTTP to the card network and OIDC
    # providers may reach; None: loopback in demo mode, none otherwise. See kernel.http.
    outbound_allowed_networks: Annotated[list[str] | None, NoDecode, BeforeValidator(_split)] = None
    # Reverse proxies whose X-Forwarded-For is believed (addresses or CIDR ranges).
    trusted_proxies: Annotated[list[str], NoDecode, BeforeValidator(_split)] = Field(
        default_factory=list
    )

    # The outbound limit and the card network's timeout (zhifu.config.outbound states the
    # rule): calls in flight per process (None: threads - 1), and the read timeout of
    # zero-amount verifications in seconds (None: 4 in demo mode, 7 otherwise).
    outbound_slots: int | None = Field(default=None, ge=1)
    card_verify_read_timeout: float | None = Field(default=None, ge=1, le=7)

    currencies: Annotated[tuple[str, ...], NoDecode] = DEFAULT_CURRENCIES

    # Currency exchange (zhifu.fx): the spread over the mid rate, how long a quote is
    # honoured, and how old a rate may be before conversions are refused.
    fx_spread_bps: int = Field(default=50, ge=0, le=2000)
    fx_quote_ttl_seconds: int = Field(default=60, ge=5, le=3600)
    fx_max_rate_age_hours: int = Field(default=96, ge=1, le=24 * 31)

    # The merchant API (zhifu.merchants): requests a minute per API key before 429.
    api_rate_limit: int = Field(default=1000, ge=1, le=1_000_000)
    # Payments (zhifu.payments): an unpaid payment expires this many minutes after it was
    # created (docs/payments.md).
    payment_expiry_minutes: int = Field(default=60, ge=1, le=7 * 24 * 60)

    # Secrets: from the environment, else from <data_dir>/secrets/<name>, else (demo only)
    # generated there once. See zhifu.config.secrets.
    wallet_secret_key: OptionalSecret = None
    marketplace_secret_key: OptionalSecret = None
    cardnet_secret_key: OptionalSecret = None
    pepper: OptionalSecret = None
    vault_master_keys: OptionalSecret = None
    vault_fingerprint_key: OptionalSecret = None
    # Shared by the wallet and cardnet: authenticates the wallet's card-network API calls.
    cardnet_api_key: OptionalSecret = None
    # Signs cardnet's challenge answers (never the API key, so a bearer of the API key
    # cannot forge an "approved"); the fallbacks (comma-separated) still verify during a
    # rotation. Shared by the wallet and cardnet.
    cardnet_challenge_key: OptionalSecret = None
    cardnet_challenge_key_fallbacks: OptionalSecret = None
    oidc_signing_key: OptionalSecret = None
    oidc_client_secret: OptionalSecret = None
    # Keys the HMAC-SHA256 of the merchant API's secret keys (the only form they are stored
    # in); changing it invalidates every API key (docs/keys.md).
    api_key_hash_key: OptionalSecret = None
    # Webhook signing secrets are derived from it (never stored); changing it changes every
    # endpoint's secret (docs/webhooks.md "Secrets").
    webhook_secret_key: OptionalSecret = None

    # Outgoing e-mail (demo: .eml files under the mail directory, <data_dir>/mail/ unless
    # ZHIFU_MAIL_DIR names another: the demo's second shop writes to the first one's).
    mail_dir: Annotated[Path | None, Blank] = None
    email_from: str = "zhifu <no-reply@zhifu.localhost>"
    # The address e-mails and pages give wherever they say "contact support".
    support_email: str = Field(
        default="support@zhifu.localhost", pattern=r"^[^@\s<>\"']+@[^@\s<>\"']+$", max_length=254
    )
    smtp_host: str = "localhost"
    smtp_port: int = Field(default=25, ge=1, le=65535)
    smtp_user: str = ""
    smtp_password: OptionalSecret = None
    smtp_starttls: bool = False
    smtp_timeout: int = Field(default=10, ge=1)

    # Payment-password recovery (zhifu.recovery, zhifu.security): for this many hours after
    # a recovery, adding a card or paying more than the limit of the payment's currency
    # ("EUR 50.00, RUB 5000"; a currency not listed: any amount) needs a fresh e-mail
    # confirmation.
    cool_off_hours: int = Field(default=24, ge=0, le=24 * 30)
    cool_off_limits: str = "EUR 50.00, USD 50.00, GBP 50.00, RUB 5000, CNY 400"
    # Test-only: recovery pages show the captcha's answer to the browser tests. Refused
    # outside demo mode (the check below): production never starts with it.
    test_reveal_captcha: bool = False

    log_level: Literal["DEBUG", "INFO", "WARNING", "ERROR"] = "INFO"
    log_format: Literal["console", "json"] = "console"

    @field_validator("currencies", mode="before")
    @classmethod
    def _currencies(cls, value: Any) -> tuple[str, ...]:
        try:
            return parse_currency_list(value)
        except UnknownCurrency as exc:
            raise ValueError(f"{exc.code!r} is not an ISO 4217 currency zhifu supports") from None

    @field_validator("wallet_url", "marketplace_url", "cardnet_url")
    @classmethod
    def _site_url(cls, value: str) -> str:
        parts = urlsplit(value)
        if parts.scheme not in {"http", "https"} or not parts.hostname:
            raise ValueError("must be an http:// or https:// URL with a host name")
        return value

    @field_validator("cool_off_limits")
    @classmethod
    def _cool_off_limits(cls, value: str) -> str:
        try:
            parse_amounts(value)
        except (ValueError, UnknownCurrency) as exc:
            raise ValueError(f"must be like 'EUR 50.00, RUB 5000' ({exc})") from None
        return value

    @model_validator(mode="after")
    def _test_only(self) -> Environment:
        if self.test_reveal_captcha and not self.demo:
            raise ValueError(
                "ZHIFU_TEST_REVEAL_CAPTCHA: a test-only setting, refused outside demo mode"
            )
        return self

    @field_validator("shop_accent")
    @classmethod
    def _accent(cls, value: str | None) -> str | None:
        if value is None:
            return None
        if not HEX_COLOUR.match(value):
            raise ValueError("must be a colour as #rrggbb")
        ratio = contrast_with_white(value)
        if ratio < MIN_CONTRAST:
            raise ValueError(
                f"{value} on white has a contrast of {ratio:.1f}:1; links and white button"
                f" text need at least {MIN_CONTRAST}:1 (choose a darker colour)"
            )
        return value.lower()

    @field_validator("trusted_proxies")
    @classmethod
    def _trusted_proxies(cls, value: list[str]) -> list[str]:
        parse_networks(value)  # a bad entry fails here, naming itself
        return value

    @field_validator(
        "database_url",
        "wallet_database_url",
        "vault_database_url",
        "marketplace_database_url",
        "cardnet_database_url",
    )
    @classmethod
    def _database_url(cls, value: str | None) -> str | None:
        if value is None or value == "":
            return None
        scheme = value.split("://", 1)[0] if "://" in value else ""
        if scheme not in {"sqlite", "postgres", "postgresql", "pgsql"}:
            raise ValueError("must start with postgresql:// or sqlite:///")
        return value

    @field_validator("outbound_allowed_networks")
    @classmethod
    def _networks(cls, value: list[str] | None) -> list[str] | None:
        if value is None:
            return None
        try:
            return [str(n) for n in parse_networks(value)]
        except ValueError as exc:
            raise ValueError(f"not a network in CIDR form ({exc})") from None

    @property
    def allowed_networks(self) -> list[str]:
        """Where outgoing HTTP may go besides the public internet (see kernel.http)."""
        if self.outbound_allowed_networks is not None:
            return self.outbound_allowed_networks
        return [str(n) for n in LOOPBACK] if self.demo else []

    @property
    def card_verify_read_timeout_s(self) -> float:
        if self.card_verify_read_timeout is not None:
            return self.card_verify_read_timeout
        return 4.0 if self.demo else 7.0

    @property
    def cookies_secure(self) -> bool:
        return (not self.demo) if self.secure_cookies is None else self.secure_cookies


def contrast_with_white(colour: str) -> float:
    """WCAG 2 contrast ratio of ``#rrggbb`` against white."""

    def linear(channel: int) -> float:
        c = channel / 255
        return c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4

    r, g, b = (int(colour[i : i + 2], 16) for i in (1, 3, 5))
    luminance = 0.2126 * linear(r) + 0.7152 * linear(g) + 0.0722 * linear(b)
    return 1.05 / (luminance + 0.05)


def load_environment() -> Environment:
    """Read and validate the environment; raise ConfigurationError with one line."""
    try:
        return Environment()
    except ValidationError as exc:
        raise ConfigurationError(describe(exc)) from None


def env_name(field: str) -> str:
    if field.lower() == "database_url":
        return "DATABASE_URL"
    return f"ZHIFU_{field.upper()}"


def describe(exc: ValidationError) -> str:
    err = exc.errors()[0]
    if not err["loc"]:  # a check across fields: its message names the variables
        more = f" (and {exc.error_count() - 1} more)" if exc.error_count() > 1 else ""
        return str(err["msg"]).removeprefix("Value error, ") + more
    field = str(err["loc"][0]) if err["loc"] else "?"
    message = str(err["msg"]).removeprefix("Value error, ")
    more = f" (and {exc.error_count() - 1} more)" if exc.error_count() > 1 else ""
    return f"{env_name(field)}: {message}{more}"
