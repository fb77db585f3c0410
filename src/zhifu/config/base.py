"""Django settings shared by the three sites, built from the typed Environment.

Each site's module (zhifu.config.settings.<site>) calls build() with what makes it
different: its apps, URLconf, cookie names and databases.
"""

from __future__ import annotations

from typing import Any

from zhifu.config import secrets
from zhifu.config.databases import database_config, database_url
from zhifu.config.environment import Environment, load_environment
from zhifu.config.logging import logging_dict
from zhifu.config.site import SiteConfig
from zhifu.kernel.client_ip import parse_networks

COMMON_APPS = [
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "zhifu.web",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "zhifu.web.middleware.SecurityHeadersMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
]


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

    settings: dict[str, Any] = {
        "ZHIFU": SiteConfig(
            site=site,
            demo=env.demo,
            data_dir=env.data_dir.resolve(),
            urls={
                "wallet": env.wallet_url.rstrip("/"),
                "marketplace": env.marketplace_url.rstrip("/"),
                "cardnet": env.cardnet_url.rstrip("/"),
            },
            currencies=env.currencies,
            secrets=keys,
            env=env,
        ),
        "ZHIFU_SEEDS": list(seeds),
        "SECRET_KEY": keys[f"{site}_secret_key"].reveal(),
        "DEBUG": False,
        "ALLOWED_HOSTS": env.allowed_hosts,
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
        "LANGUAGE_COOKIE_NAME": f"zhifu_{site}_lang",
        # Static files, served by whitenoise from the package (no collectstatic step).
        "STATIC_URL": "/static/",
        "WHITENOISE_USE_FINDERS": True,
        "WHITENOISE_AUTOREFRESH": False,
        # Sessions and cookies: each site its own names, so sites sharing a host
        # (127.0.0.1:8001 and :8002) never read each other's cookies.
        "SESSION_COOKIE_NAME": f"zhifu_{site}_session",
        "CSRF_COOKIE_NAME": f"zhifu_{site}_csrf",
        "SESSION_COOKIE_HTTPONLY": True,
        "SESSION_COOKIE_SAMESITE": "Lax",
        "SESSION_COOKIE_SECURE": env.cookies_secure,
        "CSRF_COOKIE_SECURE": env.cookies_secure,
        "CSRF_COOKIE_HTTPONLY": True,
        "CSRF_TRUSTED_ORIGINS": [
            env.wallet_url.rstrip("/"),
            env.marketplace_url.rstrip("/"),
            env.cardnet_url.rstrip("/"),
        ],
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
