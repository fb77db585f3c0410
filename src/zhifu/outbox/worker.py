"""The long-running loop behind `zhifu worker`."""

from __future__ import annotations

import signal
import threading
from types import FrameType

import structlog
from django.db import close_old_connections

from zhifu.outbox.services import dispatch_due

log = structlog.get_logger(__name__)


def run(poll_seconds: float = 1.0, once: bool = False) -> None:
    stop = threading.Event()

    def _stop(signum: int, frame: FrameType | None) -> None:
        stop.set()

    signal.signal(signal.SIGTERM, _stop)
    signal.signal(signal.SIGINT, _stop)
    log.info("worker.started", poll_seconds=poll_seconds)
    while not stop.is_set():
        close_old_connections()
        handled = dispatch_due()
        if once:
            break
        if handled == 0:
            stop.wait(poll_seconds)
    log.info("worker.stopped")
