"""Settings of the marketplace site (the reference shop and identity provider)."""

from datetime import timedelta

from zhifu.config.base import build
from zhifu.config.site import SiteConfig

_settings = build(
    "marketplace",
    apps=["zhifu.marketplace", "oauth2_provider", "axes"],
    user_model="marketplace.Buyer",
    seeds=("zhifu.marketplace.seed.seed",),
)
_cfg: SiteConfig = _settings["ZHIFU"]
# The shop's name, logo and accent colour of this instance (zhifu.marketplace.branding).
_settings["TEMPLATES"][0]["OPTIONS"]["context_processors"].append(
    "zhifu.marketplace.branding.context"
)
globals().update(_settings)

# Login lockout (django-axes): 5 failures for one e-mail from one client address lock that
# pair out for 30 minutes, and 20 from one address across e-mails lock the address
# (zhifu.marketplace.throttle); the login page says so (zhifu.marketplace.views.locked_out).
# The client address is the one behind ZHIFU_TRUSTED_PROXIES, never just the proxy's.
MIDDLEWARE = [*_settings["MIDDLEWARE"], "axes.middleware.AxesMiddleware"]
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
AXES_HANDLER = "zhifu.marketplace.throttle.ShopAxesHandler"
AXES_CLIENT_IP_CALLABLE = "zhifu.web.client_ip.client_ip"
AXES_FAILURE_LIMIT = 5
AXES_COOLOFF_TIME = timedelta(minutes=30)
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
AXES_USERNAME_CALLABLE = "zhifu.marketplace.views.axes_username"
AXES_LOCKOUT_CALLABLE = "zhifu.marketplace.views.locked_out"
AXES_SENSITIVE_PARAMETERS = ["username", "password"]
AXES_VERBOSE = False

# Buyers' passwords (NIST SP 800-63B: at least 8, at least 64 accepted, any Unicode,
# checked against a common-password list and the buyer's own e-mail and name).
AUTH_PASSWORD_VALIDATORS = [
    {
        "NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator",
        "OPTIONS": {"user_attributes": ("email", "name")},
    },
    {
        "NAME": "django.contrib.auth.password_validation.MinimumLengthValidator",
        "OPTIONS": {"min_length": 8},
    },
    {"NAME": "zhifu.marketplace.passwords.MaximumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "home"
PASSWORD_RESET_TIMEOUT = 60 * 60 * 3

# OpenID Connect provider (django-oauth-toolkit). The issuer is fixed to the shop's public
# URL + "/o", so the discovery document and every id_token say exactly the same thing
# whatever Host header a request came with.
OAUTH2_PROVIDER = {
    "OIDC_ENABLED": True,
    "OIDC_RSA_PRIVATE_KEY": _cfg.secret("oidc_signing_key").reveal(),
    "OIDC_ISS_ENDPOINT": f"{_cfg.urls['marketplace']}/o",
    "OIDC_RESPONSE_TYPES_SUPPORTED": ["code"],
    "OAUTH2_VALIDATOR_CLASS": "zhifu.marketplace.oidc.ShopOIDCValidator",
    "OAUTH2_BACKEND_CLASS": "zhifu.marketplace.oidc.ShopOAuthLibCore",  # prompt=none
    "SCOPES": {"openid": "openid", "email": "email", "profile": "profile"},
    "SCOPES_BACKEND_CLASS": "zhifu.marketplace.oidc.ShopScopes",  # translated descriptions
    "DEFAULT_SCOPES": ["openid"],
    # https only, unless the wallet itself is served over http (the demo, local tests).
    "ALLOWED_REDIRECT_URI_SCHEMES": sorted({"https", _cfg.urls["wallet"].split(":", 1)[0]}),
    "PKCE_REQUIRED": True,
    "COMPLIANT_BCP_RFC9700_PKCE_METHOD": True,  # S256 only, "plain" refused
    "COMPLIANT_BCP_RFC9700_IMPLICIT_GRANT": True,
    "COMPLIANT_BCP_RFC9700_PASSWORD_GRANT": True,
    "COMPLIANT_BCP_RFC9700_AUTHZ_RESPONSE_ISS": True,  # RFC 9207 "iss" on the redirect
    "AUTHORIZATION_CODE_EXPIRE_SECONDS": 60,
    "ACCESS_TOKEN_EXPIRE_SECONDS": 600,
    "ID_TOKEN_EXPIRE_SECONDS": 600,
    # None are issued (zhifu.marketplace.oidc); any left from before go an hour after
    # their access token expired, at the next cleartokens.
    "REFRESH_TOKEN_EXPIRE_SECONDS": 3600,
    # RP-initiated logout (end_session_endpoint at /o/logout/): the wallet's "Sign out of the
    # shop too". The shop always asks first (a link cannot sign anyone out), and returns only
    # to a post_logout_redirect_uri registered for the client.
    "OIDC_RP_INITIATED_LOGOUT_ENABLED": True,
    "OIDC_RP_INITIATED_LOGOUT_ALWAYS_PROMPT": True,
}
