"""WSGI entry point; DJANGO_SETTINGS_MODULE names the site (set by `zhifu serve`)."""

import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "zhifu.config.settings.wallet")
application = get_wsgi_application()
