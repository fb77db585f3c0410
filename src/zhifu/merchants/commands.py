"""`zhifu platform keys create|adopt|list|revoke SLUG`: a platform's secret API keys
(docs/api.md). A new key is printed once; the wallet keeps only its keyed hash."""

from __future__ import annotations

import argparse
import datetime as dt
from typing import Any

from zhifu.config.runtime import CommandError, group_actions, open_site


def register(sub: Any, common: argparse.ArgumentParser) -> None:
    keys = group_actions(sub, "platform").add_parser(
        "keys", parents=[common], help="the platform's secret keys for the merchant API"
    )
    actions = keys.add_subparsers(dest="keys_command", required=True, metavar="ACTION")
    p = actions.add_parser(
        "create",
        parents=[common],
        help="make a new secret key and print it (once)",
        description="Prints the new key once: store it in the shop's secret store. The "
        "wallet keeps only its keyed hash and a short prefix.",
    )
    p.add_argument("slug", metavar="SLUG")
    p.add_argument("--live", action="store_true", help="an sk_live_ key (default: sk_test_)")
    p.add_argument("--name", default="", help="a label for listings, e.g. 'web shop'")
    p.set_defaults(func=cmd_create)
    p = actions.add_parser("list", parents=[common], help="the platform's keys (prefixes only)")
    p.add_argument("slug", metavar="SLUG")
    p.set_defaults(func=cmd_list)
    p = actions.add_parser(
        "revoke", parents=[common], help="revoke a key: its next request gets 401"
    )
    p.add_argument("slug", metavar="SLUG")
    p.add_argument("key_id", metavar="KEY_ID", help="the key's id (key_…), from `list`")
    p.set_defaults(func=cmd_revoke)
    p = actions.add_parser(
        "adopt",
        parents=[common],
        help="register a key made elsewhere, read from a file (the demo's second shop)",
        description="The key is read from the file, never from the command line (where "
        "other users could see it); registering it twice does nothing.",
    )
    p.add_argument("slug", metavar="SLUG")
    p.add_argument("--key-file", required=True, help="a file holding the sk_test_/sk_live_ key")
    p.add_argument("--name", default="", help="a label for listings")
    p.set_defaults(func=cmd_adopt)


def _when(stamp: dt.datetime | None) -> str:
    return stamp.strftime("%Y-%m-%d %H:%M UTC") if stamp else "never"


def _refused(exc: Exception) -> CommandError:
    return CommandError(str(exc), 1)


def run_create(args: argparse.Namespace) -> None:
    from zhifu.merchants import services
    from zhifu.merchants.domain import Mode
    from zhifu.merchants.errors import MerchantsRefusal

    try:
        made = services.create_key(
            args.slug, mode=Mode.LIVE if args.live else Mode.TEST, name=args.name
        )
    except MerchantsRefusal as exc:
        raise _refused(exc) from None
    print(f"created {made.info.id} for platform {args.slug!r}; the key (shown only now):")
    print(f"  {made.secret.reveal()}")


def run_list(args: argparse.Namespace) -> None:
    from zhifu.merchants import services
    from zhifu.merchants.errors import MerchantsRefusal

    try:
        rows = services.list_keys(args.slug)
    except MerchantsRefusal as exc:
        raise _refused(exc) from None
    if not rows:
        print(f"no keys for {args.slug!r} (make one with `zhifu platform keys create`)")
    for key in rows:
        state = f"revoked {_when(key.revoked_at)}" if key.revoked_at else "active"
        print(
            f"{key.id}  {key.prefix}…  {state:<28} created {_when(key.created_at)}, "
            f"last used {_when(key.last_used_at)}  {key.name}".rstrip()
        )


def run_revoke(args: argparse.Namespace) -> None:
    from zhifu.merchants import services
    from zhifu.merchants.errors import MerchantsRefusal

    try:
        key = services.revoke_key(args.slug, args.key_id)
    except MerchantsRefusal as exc:
        raise _refused(exc) from None
    print(f"revoked {key.id} ({key.prefix}…) of platform {args.slug!r}")


def run_adopt(args: argparse.Namespace) -> None:
    from pathlib import Path

    from zhifu.merchants import services
    from zhifu.merchants.errors import MerchantsRefusal

    key = Path(args.key_file).read_text().strip()
    try:
        info = services.adopt_key(args.slug, key, name=args.name)
    except (MerchantsRefusal, ValueError) as exc:
        raise _refused(exc) from None
    print(f"key {info.id} ({info.prefix}…) of platform {args.slug!r} is registered")


def _setup() -> None:
    open_site("wallet", aliases=["default"])


def cmd_create(args: argparse.Namespace) -> None:
    _setup()
    run_create(args)


def cmd_list(args: argparse.Namespace) -> None:
    _setup()
    run_list(args)


def cmd_revoke(args: argparse.Namespace) -> None:
    _setup()
    run_revoke(args)


def cmd_adopt(args: argparse.Namespace) -> None:
    _setup()
    run_adopt(args)
