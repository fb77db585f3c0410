from tests.settings import cheap_hashing, prepare, sqlite_test_files

prepare("cardnet")

from zhifu.config.settings.cardnet import *  # noqa: E402, F403

EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
sqlite_test_files(globals()["DATABASES"])
cheap_hashing(globals())
