"""`zhifu recovery log|unlock|unfreeze`: the operators' side of recovery and the security
log (support's console comes later; until then these are the audited way in)."""

from __future__ import annotations

import argparse
from typing import Any

from zhifu.config.runtime import (
    CommandError,
    action_group,
    iso_time,
    open_wallet_main_database,
)
from zhifu.security.domain import EventKind  # framework-free: safe before setup_site()


def register(sub: Any, common: argparse.ArgumentParser) -> None:
    actions = action_group(
        sub, "recovery", common, help_text="recovery and the security log (wallet)", dest="rc"
    )
    p = actions.add_parser(
        "log",
        parents=[common],
        help="the audit log: newest security events, full addresses (operators only)",
    )
    who = p.add_mutually_exclusive_group()
    who.add_argument("--user", type=int, help="only this wallet user's events (id)")
    who.add_argument("--email", help="only the events of the wallet with this confirmed address")
    p.add_argument("--kind", choices=sorted(k.value for k in EventKind), help="only this event")
    p.add_argument("--since", type=iso_time, help="from this UTC time on (ISO 8601)")
    p.add_argument("--until", type=iso_time, help="before this UTC time (ISO 8601)")
    p.add_argument("--limit", type=int, default=100)
    p.set_defaults(func=cmd_log)

    p = actions.add_parser(
        "unlock", parents=[common], help="lift a user's self-service recovery lock"
    )
    p.add_argument("user", type=int, help="wallet user id (after support checked identity)")
    p.set_defaults(func=cmd_unlock)

    p = actions.add_parser("unfreeze", parents=[common], help="unfreeze a user's wallet")
    p.add_argument("user", type=int, help="wallet user id (after support checked identity)")
    p.set_defaults(func=cmd_unfreeze)


def cmd_log(args: argparse.Namespace) -> None:
    open_wallet_main_database()
    from zhifu.accounts import services as accounts
    from zhifu.security import services as security

    user_id = args.user
    if args.email:
        user = accounts.confirmed_user(args.email)
        if user is None:
            raise CommandError(f"recovery log: no wallet has the address {args.email}", 1)
        user_id = user.pk
    events = security.audit_trail(
        user_id, args.limit, kind=args.kind, since=args.since, until=args.until
    )
    for event in events:
        print(
            f"{event.at.isoformat(timespec='seconds')} user={event.user_id} {event.kind}"
            f" ip={event.ip or '-'} shop={event.shop or '-'} {event.detail}".rstrip()
        )


def cmd_unlock(args: argparse.Namespace) -> None:
    open_wallet_main_database()
    from zhifu.recovery import services

    if not services.unlock(args.user):
        raise CommandError(f"recovery unlock: user {args.user} is not locked", 1)
    print(f"recovery unlock: user {args.user} may recover by themselves again")


def cmd_unfreeze(args: argparse.Namespace) -> None:
    open_wallet_main_database()
    from zhifu.security import services as security

    if not security.restrictions(args.user).frozen:
        raise CommandError(f"recovery unfreeze: user {args.user} is not frozen", 1)
    security.unfreeze(args.user)
    print(f"recovery unfreeze: user {args.user}'s wallet is unfrozen")
