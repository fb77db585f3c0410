"""`zhifu payments reconcile | expire`: settle what the card network left open, expire what
was not paid. The worker runs both on a schedule (worker_jobs)."""

from __future__ import annotations

import argparse
from collections.abc import Callable
from typing import Any

from zhifu.config.runtime import action_group, open_wallet_main_database

# How often the worker runs each job (seconds). Reconcile waits for attempts older than
# services.RECONCILE_AFTER anyway; expiry is at most this late.
RECONCILE_EVERY_S = 60.0
EXPIRE_EVERY_S = 30.0


def register(sub: Any, common: argparse.ArgumentParser) -> None:
    actions = action_group(
        sub,
        "payments",
        common,
        help_text="settle open card-network calls and expire unpaid payments",
        dest="payments_action",
    )
    p = actions.add_parser(
        "reconcile",
        parents=[common],
        help="ask the card network about every call left without an answer and settle it",
    )
    p.add_argument(
        "--all",
        action="store_true",
        help="include calls made in the last minute (normally left to their request)",
    )
    p.set_defaults(func=cmd_reconcile)
    p = actions.add_parser(
        "expire", parents=[common], help="expire unpaid payments whose time is up"
    )
    p.set_defaults(func=cmd_expire)


def cmd_reconcile(args: argparse.Namespace) -> None:
    open_wallet_main_database()
    import datetime as dt

    from zhifu.payments import services

    older = dt.timedelta(0) if args.all else services.RECONCILE_AFTER
    report = services.reconcile(older_than=older)
    print(
        f"payments reconcile: {report.checked} open call(s), {report.settled} settled, "
        f"{report.still_open} still open"
    )


def cmd_expire(args: argparse.Namespace) -> None:
    open_wallet_main_database()
    from zhifu.payments import services

    print(f"payments expire: {services.expire_due()} payment(s) expired")


def worker_jobs() -> list[tuple[str, float, Callable[[], object]]]:
    """The worker's periodic jobs of payments, (name, every seconds, job), after setup_site."""
    from zhifu.payments import services

    return [
        ("payments.expire", EXPIRE_EVERY_S, services.expire_due),
        ("payments.reconcile", RECONCILE_EVERY_S, services.reconcile),
    ]
