from tests.settings import prepare

prepare("marketplace")

from zhifu.config.settings.marketplace import *  # noqa: E402, F403

EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
