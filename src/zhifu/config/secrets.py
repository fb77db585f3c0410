"""Secrets: taken from the environment, else from the data directory.

In demo mode a missing secret is generated once into <data_dir>/secrets/<name> (mode 0600)
and read back on every later start, so a second `zhifu demo` reuses its keys. Outside demo
mode a missing secret is a ConfigurationError naming its variable.
"""

from __future__ import annotations

import base64
import contextlib
import os
import re
import secrets
from collections.abc import Callable
from pathlib import Path

from zhifu.config.environment import ConfigurationError, Environment, env_name
from zhifu.kernel import ids
from zhifu.kernel.secret import Secret


def _django_key() -> str:
    return ids.token(50)


def _hex256() -> str:
    return secrets.token_hex(32)


def _key_ring() -> str:
    # Format of ZHIFU_VAULT_MASTER_KEYS: "version:base64key[,version:base64key...]".
    return "1:" + base64.b64encode(secrets.token_bytes(32)).decode()


def _rsa_pem() -> str:
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import rsa

    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    return key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    ).decode()


GENERATORS: dict[str, Callable[[], str]] = {
    "wallet_secret_key": _django_key,
    "marketplace_secret_key": _django_key,
    "cardnet_secret_key": _django_key,
    "pepper": _hex256,
    "vault_master_keys": _key_ring,
    "vault_fingerprint_key": _hex256,
    "cardnet_api_key": _hex256,
    "cardnet_challenge_key": _hex256,
    "oidc_signing_key": _rsa_pem,
    # The wallet's OIDC client secret at the demo shop: the shop registers it, the wallet
    # presents it. Outside the demo each shop's operator hands it to the wallet's operator.
    "oidc_client_secret": _hex256,
    "api_key_hash_key": _hex256,
    "webhook_secret_key": _hex256,
}

# What each site cannot start without.
REQUIRED: dict[str, tuple[str, ...]] = {
    "wallet": (
        "wallet_secret_key",
        "pepper",
        "vault_master_keys",
        "vault_fingerprint_key",
        "cardnet_api_key",
        "cardnet_challenge_key",
        "api_key_hash_key",
        "webhook_secret_key",
    ),
    "marketplace": ("marketplace_secret_key", "oidc_signing_key", "oidc_client_secret"),
    "cardnet": ("cardnet_secret_key", "cardnet_api_key", "cardnet_challenge_key"),
}


def secrets_dir(env: Environment) -> Path:
    return env.data_dir / "secrets"


def resolve(env: Environment, name: str) -> Secret:
    value = getattr(env, name)
    if isinstance(value, Secret) and value:
        return value
    path = secrets_dir(env) / name
    if path.exists():
        return Secret(path.read_text().strip())
    if not env.demo:
        raise ConfigurationError(
            f"{env_name(name)}: required (set it, or run `zhifu demo` to generate demo keys)"
        )
    return Secret(_create(path, GENERATORS[name]().strip()))


def _create(path: Path, value: str) -> str:
    """Write the file atomically with mode 0600; if another process won, use theirs."""
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.{secrets.token_hex(4)}")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w") as fh:
        fh.write(value + "\n")
    try:
        os.link(tmp, path)  # fails if it exists: first writer wins
    except FileExistsError:
        value = path.read_text().strip()
    finally:
        with contextlib.suppress(FileNotFoundError):
            tmp.unlink()
    return value


def demo_value(data_dir: Path, name: str, make: Callable[[], str]) -> str:
    """A value only the demo keeps in its secrets folder (the demo shop's API key): made
    once with ``make`` (mode 0600), read back on every later start."""
    path = data_dir / "secrets" / name
    if path.is_file():
        return path.read_text().strip()
    return _create(path, make().strip())


def resolve_for_site(env: Environment, site: str) -> dict[str, Secret]:
    return {name: resolve(env, name) for name in REQUIRED[site]}


# --- platform client secrets: a namespace of their own -----------------------------------
# A platform's client secret is looked up by its slug only, as
# ``platform.<slug>.client_secret``: the variable ZHIFU_PLATFORM_<SLUG>_CLIENT_SECRET, else
# the file <data-dir>/secrets/platform.<slug>.client_secret, read at every use (a new or
# rotated secret needs no restart). No name of the wallet's own secrets starts with
# "platform", so no slug can reach one of them.
PLATFORM_SLUG = re.compile(r"^[a-z0-9](?:[a-z0-9-]{0,48}[a-z0-9])?$")
PLATFORM_PREFIX = "platform"
assert not any(name.startswith(PLATFORM_PREFIX) for name in GENERATORS)


class PlatformSecretMissing(LookupError):
    """The platform's client secret is in neither place; str() says where it is looked for."""


def platform_secret_name(slug: str) -> str:
    if not PLATFORM_SLUG.match(slug):
        raise ValueError(f"{slug!r} is not a platform slug (a-z, 0-9 and inner hyphens)")
    return f"{PLATFORM_PREFIX}.{slug}.client_secret"


def platform_secret_variable(slug: str) -> str:
    platform_secret_name(slug)  # the same check
    return f"ZHIFU_PLATFORM_{slug.upper().replace('-', '_')}_CLIENT_SECRET"


def platform_secret_path(data_dir: Path, slug: str) -> Path:
    return data_dir / "secrets" / platform_secret_name(slug)


def platform_secret(data_dir: Path, slug: str) -> Secret:
    """A platform's client secret, read now from the environment or the secrets folder."""
    value = os.environ.get(platform_secret_variable(slug), "").strip()
    if value:
        return Secret(value)
    path = platform_secret_path(data_dir, slug)
    if path.is_file():
        value = path.read_text().strip()
        if value:
            return Secret(value)
    raise PlatformSecretMissing(
        f"set {platform_secret_variable(slug)} or write the secret to {path}"
    )


def write_platform_secret(data_dir: Path, slug: str, value: str) -> str:
    """Create the platform's secret file (mode 0600) unless it exists; the value in it."""
    return _create(platform_secret_path(data_dir, slug), value.strip())


def replace_platform_secret(data_dir: Path, slug: str, value: str) -> None:
    """Write the platform's secret file atomically (mode 0600), replacing any older one:
    the next sign-in presents the new value (rotation, docs/platforms.md)."""
    path = platform_secret_path(data_dir, slug)
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.{secrets.token_hex(4)}")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w") as fh:
        fh.write(value.strip() + "\n")
    os.replace(tmp, path)


def optional_secret(data_dir: Path, name: str) -> Secret | None:
    """A secret a site can run without (a shop's wallet API key, its webhook secret), read
    now: ZHIFU_<NAME>, else <data-dir>/secrets/<name>; None when neither is set."""
    value = os.environ.get(env_name(name), "").strip()
    if value:
        return Secret(value)
    path = data_dir / "secrets" / name
    if path.is_file():
        value = path.read_text().strip()
        if value:
            return Secret(value)
    return None
