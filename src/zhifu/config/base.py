"""Django settings shared by the three sites, built from the typed Environment.

Each site's module (zhifu.config.settings.<site>) calls build() with what makes it
different: its apps, URLconf, cookie names and databases.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

from zhifu.config import secrets
from zhifu.config.databases import database_config, database_url
from zhifu.config.environment import Environment, load_environment
from zhifu.config.logging import logging_dict
from zhifu.config.site import SiteConfig
from zhifu.kernel.client_ip import parse_networks

COMMON_APPS = [
    # First: its catalogue words Django's stock messages zhifu's way, and the first app's
    # translation of a message wins (zhifu.web.stock_messages).
    "zhifu.web",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "zhifu.web.middleware.SecurityHeadersMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "zhifu.web.timezone.TimeZoneMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    # After sessions, language and user: the pages it renders need all three.
    "zhifu.web.errors.ErrorPageMiddleware",
]


def site_host(url: str) -> str:
    """The host name of a site's public URL, as ALLOWED_HOSTS spells it (no port)."""
    host = urlsplit(url).hostname
    if not host:
        raise ValueError(f"{url!r} has no host name")
    return f"[{host}]" if ":" in host else host


def cookie_names(site: str, secure: bool) -> dict[str, str]:
    """The site's cookie names: distinct per site, and with the __Host- prefix whenever the
    cookies are Secure, so a browser keeps them to exactly this origin's host (no Domain,
    Path=/) and no other site on the host can set or overwrite them (SEC-20)."""
    if secure:
        return {
            "SESSION_COOKIE_NAME": f"__Host-zhifu-{site}-session",
            "CSRF_COOKIE_NAME": f"__Host-zhifu-{site}-csrf",
            "LANGUAGE_COOKIE_NAME": f"__Host-zhifu-{site}-lang",
        }
    return {
        "SESSION_COOKIE_NAME": f"zhifu_{site}_session",
        "CSRF_COOKIE_NAME": f"zhifu_{site}_csrf",
        "LANGUAGE_COOKIE_NAME": f"zhifu_{site}_lang",
    }


def build(
    site: str,
    *,
    apps: list[str],
    extra_databases: tuple[str, ...] = (),
    user_model: str | None = None,
    seeds: tuple[str, ...] = (),
    env: Environment | None = None,
) -> dict[str, Any]:
    env = env or load_environment()
    keys = secrets.resolve_for_site(env, site)
    url, source = database_url(env, site, own_site=True)
    databases = {"default": database_config(url, source, env.db_conn_max_age)}
    for alias in extra_databases:
        extra_url, extra_source = database_url(env, alias, own_site=False)
        databases[alias] = database_config(extra_url, extra_source, env.db_conn_max_age)

    urls = {
        "wallet": env.wallet_url.rstrip("/"),
        "marketplace": env.marketplace_url.rstrip("/"),
        "cardnet": env.cardnet_url.rstrip("/"),
    }
    secure = env.cookies_secure
    settings: dict[str, Any] = {
        "ZHIFU": SiteConfig(
            site=site,
            demo=env.demo,
            data_dir=env.data_dir.resolve(),
            urls=urls,
            currencies=env.currencies,
            secrets=keys,
            env=env,
        ),
        "ZHIFU_SEEDS": list(seeds),
        "SECRET_KEY": keys[f"{site}_secret_key"].reveal(),
        "DEBUG": False,
        # Only the host of the site's own URL: a request naming another host (another site,
        # or a forged Host) gets 400 (SEC-20).
        "ALLOWED_HOSTS": [site_host(urls[site])],
        # Read by zhifu.web.client_ip.client_ip, the one place that knows a client's address.
        "ZHIFU_TRUSTED_PROXIES": parse_networks(env.trusted_proxies),
        "INSTALLED_APPS": [*COMMON_APPS, *apps],
        "MIDDLEWARE": MIDDLEWARE,
        "ROOT_URLCONF": f"zhifu.config.urls.{site}",
        "WSGI_APPLICATION": "zhifu.config.wsgi.application",
        "DATABASES": databases,
        "DEFAULT_AUTO_FIELD": "django.db.models.BigAutoField",
        "TEMPLATES": [
            {
                "BACKEND": "django.template.backends.django.DjangoTemplates",
                "DIRS": [],
                "APP_DIRS": True,
                "OPTIONS": {
                    "context_processors": [
                        "django.template.context_processors.request",
                        "django.template.context_processors.i18n",
                        "django.contrib.auth.context_processors.auth",
                        "django.contrib.messages.context_processors.messages",
                        "zhifu.web.context.site",
                    ]
                },
            }
        ],
        # i18n: every user-facing string goes through gettext; ru and en are complete.
        "LANGUAGE_CODE": "en",
        "LANGUAGES": [("en", "English"), ("ru", "Русский")],
        # Each app keeps its catalogue in <app>/locale/ (found through INSTALLED_APPS).
        "USE_I18N": True,
        "USE_TZ": True,
        "TIME_ZONE": "UTC",
        # Static files, served by whitenoise from the package (no collectstatic step).
        "STATIC_URL": "/static/",
        "WHITENOISE_USE_FINDERS": True,
        "WHITENOISE_AUTOREFRESH": False,
        # Sessions and cookies (SEC-20): each site its own names, __Host- when Secure, never
        # a Domain, always Path=/. Browsers ignore ports, so sites must not share a host;
        # the demo gives each its own loopback address.
        **cookie_names(site, secure),
        "SESSION_COOKIE_HTTPONLY": True,
        "SESSION_COOKIE_SAMESITE": "Lax",
        "SESSION_COOKIE_SECURE": secure,
        "SESSION_COOKIE_DOMAIN": None,
        "SESSION_COOKIE_PATH": "/",
        "CSRF_COOKIE_SECURE": secure,
        "CSRF_COOKIE_HTTPONLY": True,
        "CSRF_COOKIE_DOMAIN": None,
        "CSRF_COOKIE_PATH": "/",
        "LANGUAGE_COOKIE_SECURE": secure,
        "LANGUAGE_COOKIE_SAMESITE": "Lax",
        "LANGUAGE_COOKIE_DOMAIN": None,
        "LANGUAGE_COOKIE_PATH": "/",
        # Flash messages live in the site's own session, never in a shared "messages" cookie.
        "MESSAGE_STORAGE": "django.contrib.messages.storage.session.SessionStorage",
        "CSRF_TRUSTED_ORIGINS": list(urls.values()),
        "CSRF_FAILURE_VIEW": "zhifu.web.errors.csrf_failure",
        "SECURE_CONTENT_TYPE_NOSNIFF": True,
        "SECURE_REFERRER_POLICY": "same-origin",
        "SECURE_CROSS_ORIGIN_OPENER_POLICY": "same-origin",
        "X_FRAME_OPTIONS": "DENY",
        "PASSWORD_HASHERS": [
            "django.contrib.auth.hashers.Argon2PasswordHasher",
            "django.contrib.auth.hashers.PBKDF2PasswordHasher",
        ],
        # E-mail
        "DEFAULT_FROM_EMAIL": env.email_from,
        "SERVER_EMAIL": env.email_from,
        "EMAIL_TIMEOUT": env.smtp_timeout,
        "LOGGING_CONFIG": "zhifu.config.logging.apply",
        "LOGGING": logging_dict(env.log_level, env.log_format),
    }
    if user_model:
        settings["AUTH_USER_MODEL"] = user_model
    if env.demo:
        settings["EMAIL_BACKEND"] = "zhifu.web.mail.EmlFileBackend"
    else:
        settings.update(
            EMAIL_BACKEND="django.core.mail.backends.smtp.EmailBackend",
            EMAIL_HOST=env.smtp_host,
            EMAIL_PORT=env.smtp_port,
            EMAIL_HOST_USER=env.smtp_user,
            EMAIL_HOST_PASSWORD=env.smtp_password.reveal() if env.smtp_password else "",
            EMAIL_USE_TLS=env.smtp_starttls,
        )
    return settings
