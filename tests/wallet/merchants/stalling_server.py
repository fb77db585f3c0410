"""A wallet process serving the merchant API whose payment creation stalls half-way, for
test_killed_request: it writes STALLED_FILE once a payment's row is written (inside the
request's transaction) and then waits until the test kills it (SIGKILL: no cleanup runs).

    python -m tests.wallet.merchants.stalling_server DEFAULT_DB VAULT_DB STALLED_FILE

Prints the port it listens on, then serves one request at a time.
"""

from __future__ import annotations

import os
import sys
import threading
from pathlib import Path
from wsgiref.simple_server import WSGIRequestHandler, make_server


class _Quiet(WSGIRequestHandler):
    def log_message(self, format: str, *args: object) -> None:
        pass


def main() -> None:
    default_db, vault_db, stalled = sys.argv[1], sys.argv[2], Path(sys.argv[3])
    os.environ["DJANGO_SETTINGS_MODULE"] = "tests.settings.wallet"
    os.environ["ZHIFU_TEST_KEEP_DATA_DIR"] = "1"  # the test's secrets: the same hash key
    from django.conf import settings

    # The test's databases (pytest-django created them), not the ones the settings name.
    settings.DATABASES["default"]["NAME"] = default_db
    settings.DATABASES["vault"]["NAME"] = vault_db
    settings.ALLOWED_HOSTS = ["127.0.0.1"]
    import django

    django.setup()
    from django.core.wsgi import get_wsgi_application

    from zhifu.payments import services

    create = services.create_payment

    def stalling(*args: object, **kwargs: object) -> object:
        payment = create(*args, **kwargs)  # written, not committed
        stalled.write_text(payment.id)
        threading.Event().wait()  # until SIGKILL
        return payment

    services.create_payment = stalling  # type: ignore[assignment]
    server = make_server("127.0.0.1", 0, get_wsgi_application(), handler_class=_Quiet)
    print(server.server_port, flush=True)
    server.serve_forever()


if __name__ == "__main__":
    main()
