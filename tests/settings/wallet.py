from tests.settings import prepare

prepare("wallet")

from zhifu.config.settings.wallet import *  # noqa: E402, F403

EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
