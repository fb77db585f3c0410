"""`zhifu serve`: gunicorn in-process, configured from code (no config file to lose)."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.wsgi import get_wsgi_application
from django.db import connections
from gunicorn.app.base import BaseApplication

from zhifu.config import outbound


class _Gunicorn(BaseApplication):
    def __init__(self, options: dict[str, Any]) -> None:
        self.options = options
        super().__init__()

    def load_config(self) -> None:
        for key, value in self.options.items():
            self.cfg.set(key, value)

    def load(self) -> Any:
        return get_wsgi_application()


def _gunicorn_logging() -> dict[str, Any]:
    """Our structlog pipeline (with card-number masking) for gunicorn's own loggers too."""
    config = dict(settings.LOGGING)
    gunicorn_loggers = {
        name: {"handlers": ["console"], "level": "INFO", "propagate": False}
        for name in ("gunicorn.error", "gunicorn.access")
    }
    config["loggers"] = {**config.get("loggers", {}), **gunicorn_loggers}
    return config


def serve(site: str, *, binds: list[str], workers: int, threads: int) -> None:
    # Calls to the card network and OIDC providers take at most threads - 1 of each
    # worker's threads, each for at most outbound.CALL_BUDGET_S (a third of "timeout").
    outbound.use_thread_pool(threads)
    connections.close_all()  # never share a database socket across fork()
    _Gunicorn(
        {
            "bind": binds,
            "workers": workers,
            "threads": threads,
            "worker_class": "gthread",
            "proc_name": f"zhifu-{site}",
            "timeout": 30,
            "graceful_timeout": 10,
            "accesslog": "-",
            "logconfig_dict": _gunicorn_logging(),
            "control_socket_disable": True,  # several sites on one host would share it
            # Links and redirects must not trust a forged Host; ALLOWED_HOSTS checks it.
            "forwarded_allow_ips": "127.0.0.1",
        }
    ).run()
