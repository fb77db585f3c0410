"""Settings of the wallet site (the product)."""

from zhifu.accounts import domain as _session_rules
from zhifu.config.base import build

globals().update(
    build(
        "wallet",
        apps=[
            "zhifu.accounts",
            "zhifu.credentials",
            "zhifu.ledger",
            "zhifu.fx",
            "zhifu.vault",
            "zhifu.notifications",
            "zhifu.outbox",
            "zhifu.security",
            "zhifu.recovery",
            "captcha",
            "zhifu.payments",
            "zhifu.merchants",
            "zhifu.webhooks",
            # Only for its templates and static files: the API docs page serves Swagger UI
            # from the wheel, never from a CDN (the CSP allows 'self' only).
            "ninja",
        ],
        extra_databases=("vault",),
        user_model="accounts.User",
        seeds=("zhifu.accounts.seed.seed", "zhifu.fx.seed.seed", "zhifu.merchants.seed.seed"),
    )
)

# Sign-in (accounts): session timeouts and the e-mail confirmation gate, after
# AuthenticationMiddleware. See docs/wallet-onboarding.md.
MIDDLEWARE = [
    *globals()["MIDDLEWARE"],
    "zhifu.security.middleware.OriginMiddleware",
    "zhifu.accounts.middleware.SessionTimeoutMiddleware",
    "zhifu.accounts.middleware.EmailGateMiddleware",
]
# The merchant API (Bearer keys, JSON answers) skips the pages' middleware after the
# security headers and runs only these (zhifu.web.middleware.ApiMiddleware).
MIDDLEWARE.insert(MIDDLEWARE.index("zhifu.web.middleware.SecurityHeadersMiddleware") + 1,
                  "zhifu.web.middleware.ApiMiddleware")  # fmt: skip
ZHIFU_API_PREFIX = "/api/v1/"
ZHIFU_API_MIDDLEWARE = [
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "zhifu.security.middleware.OriginMiddleware",
]
# The cookie lives as long as the absolute limit; the idle limit is enforced server-side.
SESSION_COOKIE_AGE = int(_session_rules.ABSOLUTE_TIMEOUT.total_seconds())
LOGIN_URL = "accounts:home"
# The CSP's form-action follows the active platforms' providers (zhifu.accounts.csp).
ZHIFU_CSP_FORM_ACTION_ORIGINS = "zhifu.accounts.csp.form_action_origins"

# The card vault's tables live in their own database (<data-dir>/vault.sqlite3 by default,
# ZHIFU_VAULT_DATABASE_URL otherwise), so it can be hosted apart.
DATABASE_ROUTERS = ["zhifu.vault.router.VaultRouter"]

# The recovery form's captcha (django-simple-captcha): its own font, no network; a picture
# is good for one check within 5 minutes. Its "PASSED" test mode stays off everywhere; the
# browser tests read the answer through ZHIFU_TEST_REVEAL_CAPTCHA (demo mode only).
CAPTCHA_TIMEOUT = 5
CAPTCHA_LENGTH = 5
CAPTCHA_TEST_MODE = False
CAPTCHA_IMAGE_SIZE = (200, 80)
CAPTCHA_FONT_SIZE = 40
CAPTCHA_2X_IMAGE = False
CAPTCHA_LETTER_ROTATION = (-25, 25)
