"""The long-running loop behind `zhifu worker`.

Besides delivering the outbox it runs the areas' periodic jobs (payments' expiry and
reconciliation), each at most once per its interval; the entry point passes them in, so the
outbox imports no area above it.
"""

from __future__ import annotations

import signal
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from types import FrameType

import structlog
from django.db import close_old_connections

from zhifu.outbox.services import dispatch_due

log = structlog.get_logger(__name__)


@dataclass(frozen=True)
class Job:
    name: str
    every_s: float
    run: Callable[[], object]


def _run_due(jobs: Sequence[Job], last: dict[str, float], now: float) -> None:
    for job in jobs:
        if job.name in last and now - last[job.name] < job.every_s:
            continue
        last[job.name] = now
        try:
            job.run()
        except Exception:  # a failing job is logged and tried again next interval
            log.exception("worker.job_failed", job=job.name)


def run(poll_seconds: float = 1.0, once: bool = False, jobs: Sequence[Job] = ()) -> None:
    stop = threading.Event()

    def _stop(signum: int, frame: FrameType | None) -> None:
        stop.set()

    signal.signal(signal.SIGTERM, _stop)
    signal.signal(signal.SIGINT, _stop)
    log.info("worker.started", poll_seconds=poll_seconds, jobs=[job.name for job in jobs])
    last: dict[str, float] = {}
    while not stop.is_set():
        close_old_connections()
        _run_due(jobs, last, time.monotonic())
        handled = dispatch_due()
        if once:
            break
        if handled == 0:
            stop.wait(poll_seconds)
    log.info("worker.stopped")
