"""Registering the shops the wallet serves (``zhifu platform ...``, docs/platforms.md).

A platform is added only after its provider's discovery document shows what the wallet's
relying party needs (accounts.oidc): the same issuer, RS256 id_tokens, PKCE S256, https
outside the demo, and the client authentication chosen; and only once its client secret
resolves in the platform namespace (``platform.<slug>.client_secret``), so a sign-in never
finds it missing.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from django.db import transaction

from zhifu.accounts import oidc
from zhifu.accounts.models import Platform
from zhifu.config import secrets
from zhifu.config.site import config
from zhifu.kernel import http


class PlatformProblem(Exception):
    """The platform cannot be added or changed; str() is one line for the operator."""


@dataclass(frozen=True)
class Checked:
    """What discovery said about a provider the wallet can use."""

    issuer: str
    authorization_endpoint: str


def redirect_uri() -> str:
    """The redirect URI to register at every shop's provider."""
    return config().urls["wallet"] + "/oidc/callback/"


def check_provider(
    issuer: str, auth_method: str, *, transport: http.Transport | None = None
) -> Checked:
    """Run discovery and refuse a provider the wallet cannot sign buyers in through."""
    oidc._discovery_cache.pop(issuer, None)  # always ask the provider anew
    try:
        doc = oidc.discover(issuer, transport=transport)
    except oidc.LoginError as exc:
        raise PlatformProblem(_DISCOVERY_PROBLEMS.get(exc.code, exc.code)) from None
    algorithms = doc.get("id_token_signing_alg_values_supported") or []
    if "RS256" not in algorithms:
        raise PlatformProblem("the provider does not sign id_tokens with RS256")
    if "S256" not in (doc.get("code_challenge_methods_supported") or []):
        raise PlatformProblem("the provider does not advertise PKCE S256")
    # OpenID Connect Discovery §3: absent means client_secret_basic only.
    methods = doc.get("token_endpoint_auth_methods_supported") or ["client_secret_basic"]
    if auth_method not in methods:
        raise PlatformProblem(
            f"the provider does not accept {auth_method} (it lists {', '.join(methods)})"
        )
    return Checked(str(doc["issuer"]), str(doc["authorization_endpoint"]))


_DISCOVERY_PROBLEMS = {
    "insecure_issuer": "the issuer and its endpoints must be https:// outside the demo",
    "issuer_mismatch": "the discovery document names another issuer than the one given",
    "provider_unreachable": "the provider's discovery document could not be fetched",
    "bad_discovery": "the discovery document lacks an endpoint the wallet needs",
}


def store_secret(slug: str, value: str) -> Path:
    """Write (or replace) the platform's secret file, mode 0600; its path."""
    value = value.strip()
    if not value:
        raise PlatformProblem("the client secret is empty")
    path = secrets.platform_secret_path(config().data_dir, slug)
    secrets.replace_platform_secret(config().data_dir, slug, value)
    return path


def secret_source(slug: str) -> str:
    """Where the platform's secret is found now (never the value)."""
    variable = secrets.platform_secret_variable(slug)
    try:
        config().platform_secret(slug)
    except secrets.PlatformSecretMissing as exc:
        raise PlatformProblem(f"no client secret for {slug!r}: {exc}") from None
    if os.environ.get(variable, "").strip():
        return f"the variable {variable}"
    return str(secrets.platform_secret_path(config().data_dir, slug))


def add(
    slug: str,
    *,
    name: str,
    issuer: str,
    client_id: str,
    auth_method: str = "client_secret_basic",
    scopes: str = "openid email profile",
    trust_email_verified: bool = False,
    update: bool = False,
    secret: str | None = None,
    transport: http.Transport | None = None,
) -> Platform:
    """Check the provider and the secret, then register the platform. A ``secret`` given
    is written to the platform's secret file once every other check has passed.

    With ``update`` a platform ``slug`` that exists already is brought to exactly these
    settings after the same checks (``zhifu platform add --update``; the demo registers its
    second shop so on every start, since its port may change). Its issuer may change only
    while no buyer has signed in through it, or in the demo: the subjects of its buyers'
    accounts are the old provider's, and another provider could claim them.
    """
    try:
        secrets.platform_secret_name(slug)
    except ValueError as exc:
        raise PlatformProblem(str(exc)) from None
    if auth_method not in oidc.AUTH_METHODS:
        raise PlatformProblem(f"--auth-method must be one of {', '.join(oidc.AUTH_METHODS)}")
    issuer = issuer.rstrip("/")
    existing = Platform.objects.filter(slug=slug).first()
    if existing is not None and not update:
        raise PlatformProblem(
            f"a platform {slug!r} exists already (see `zhifu platform show`; --update changes it)"
        )
    if Platform.objects.filter(issuer=issuer).exclude(slug=slug).exists():
        raise PlatformProblem(f"another platform has the issuer {issuer}")
    if (
        existing is not None
        and existing.issuer != issuer
        and not config().demo
        and existing.identities.exists()
    ):
        raise PlatformProblem(
            f"buyers signed in through {slug!r} at {existing.issuer}; another issuer could"
            " claim their accounts: add the new provider under a new slug"
        )
    checked = check_provider(issuer, auth_method, transport=transport)
    if secret is not None:
        store_secret(slug, secret)
    secret_source(slug)
    settings: dict[str, Any] = {
        "name": name,
        "issuer": issuer,
        "client_id": client_id,
        "token_auth_method": auth_method,
        "scopes": scopes,
        "trust_email_verified": trust_email_verified,
        "authorization_endpoint": checked.authorization_endpoint,
    }
    with transaction.atomic():
        if existing is None:
            return Platform.objects.create(slug=slug, **settings)
        for field, value in settings.items():
            setattr(existing, field, value)
        existing.save(update_fields=list(settings))
        return existing


def exists(slug: str) -> bool:
    return Platform.objects.filter(slug=slug).exists()


def get(slug: str) -> Platform:
    platform = Platform.objects.filter(slug=slug).first()
    if platform is None:
        raise PlatformProblem(f"no platform {slug!r} (see `zhifu platform list`)")
    return platform


def all_platforms() -> list[Platform]:
    return list(Platform.objects.order_by("id"))


def set_active(slug: str, active: bool) -> Platform:
    platform = get(slug)
    platform.is_active = active
    platform.save(update_fields=["is_active"])
    return platform


def describe(platform: Platform) -> dict[str, Any]:
    """Everything about a platform but its secret (where the secret is found, at most)."""
    try:
        source = secret_source(platform.slug)
    except PlatformProblem as exc:
        source = f"MISSING ({exc})"
    return {
        "slug": platform.slug,
        "name": platform.name,
        "issuer": platform.issuer,
        "client_id": platform.client_id,
        "auth_method": platform.token_auth_method,
        "scopes": platform.scopes,
        "active": platform.is_active,
        "trust_email_verified": platform.trust_email_verified,
        "balance_enabled": platform.balance_enabled,
        "authorization_endpoint": platform.authorization_endpoint or "(not yet discovered)",
        "client_secret": source,
        "redirect_uri": redirect_uri(),
        "identities": platform.identities.count(),
    }
