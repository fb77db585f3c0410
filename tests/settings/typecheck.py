"""For mypy's Django plugin only: every app of every site, so all models are known."""

from tests.settings import prepare

prepare("wallet")

from zhifu.config.settings.wallet import *  # noqa: E402, F403

INSTALLED_APPS = [*globals()["INSTALLED_APPS"], "zhifu.marketplace", "zhifu.cardnet"]
