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
    "zhifu.accounts.middleware.SessionTimeoutMiddleware",
    "zhifu.accounts.middleware.EmailGateMiddleware",
]
# The cookie lives as long as the absolute limit; the idle limit is enforced server-side.
SESSION_COOKIE_AGE = int(_session_rules.ABSOLUTE_TIMEOUT.total_seconds())
LOGIN_URL = "accounts:home"
# The CSP's form-action follows the active platforms' providers (zhifu.accounts.csp).
ZHIFU_CSP_FORM_ACTION_ORIGINS = "zhifu.accounts.csp.form_action_origins"

# The card vault's tables live in their own database (<data-dir>/vault.sqlite3 by default,
# ZHIFU_VAULT_DATABASE_URL otherwise), so it can be hosted apart.
DATABASE_ROUTERS = ["zhifu.vault.router.VaultRouter"]
