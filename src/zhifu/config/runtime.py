"""How a command-line process starts a site: what `zhifu` and every area's commands share.

The entry point (`zhifu.cli`) and the areas' `commands.py` modules both import this module,
never each other: an area's commands must not depend on the entry point that lists them.
Django is imported only inside the functions, after the settings module is chosen.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
from collections.abc import Sequence

from zhifu.config.environment import ConfigurationError

EXIT_CONFIG = 2
EXIT_DATABASE = 3


class CommandError(Exception):
    """Ends the command with one readable line and the given status."""

    def __init__(self, message: str, status: int = 1) -> None:
        super().__init__(message)
        self.status = status


def setup_site(site: str) -> None:
    """Configure Django for one site in this process, or raise CommandError."""
    os.environ["DJANGO_SETTINGS_MODULE"] = f"zhifu.config.settings.{site}"
    import django

    try:
        django.setup()
    except ConfigurationError as exc:
        raise CommandError(f"configuration error: {exc}", EXIT_CONFIG) from None


def check_database(site: str, aliases: Sequence[str] | None = None) -> None:
    """Fail with one line if a database of the site (default: every one) cannot be reached."""
    from django.db import DatabaseError, connections

    for alias in aliases or list(connections):
        try:
            connections[alias].ensure_connection()
        except DatabaseError as exc:
            reason = (str(exc).strip().splitlines() or [type(exc).__name__])[0]
            raise CommandError(
                f"cannot reach the {site} database ({alias}): {reason}", EXIT_DATABASE
            ) from None


def open_site(site: str, aliases: Sequence[str] | None = None) -> None:
    """setup_site() then check_database(): how every command that reads data starts."""
    setup_site(site)
    check_database(site, aliases)


def open_wallet_main_database() -> None:
    """Set up the wallet and make sure its main database (the ledger's and FX's) answers."""
    open_site("wallet", aliases=["default"])


def action_group(
    sub: argparse._SubParsersAction[argparse.ArgumentParser],
    name: str,
    common: argparse.ArgumentParser,
    *,
    help_text: str,
    dest: str,
) -> argparse._SubParsersAction[argparse.ArgumentParser]:
    """`zhifu NAME ACTION ...`: an area's command group; each action sets its own `func`."""
    parser = sub.add_parser(name, parents=[common], help=help_text)
    return parser.add_subparsers(dest=dest, required=True, metavar="ACTION")


def group_actions(
    sub: argparse._SubParsersAction[argparse.ArgumentParser], name: str
) -> argparse._SubParsersAction[argparse.ArgumentParser]:
    """The actions of the group `zhifu NAME` another area registered, to add one to it
    (`zhifu platform keys` of the merchant API beside accounts' `zhifu platform`)."""
    parser = sub.choices[name]
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            return action
    raise LookupError(f"`zhifu {name}` has no actions")


def iso_time(text: str) -> dt.datetime:
    """An argparse type: an ISO 8601 time; without an offset, UTC."""
    try:
        value = dt.datetime.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not an ISO 8601 time") from None
    return value if value.tzinfo else value.replace(tzinfo=dt.UTC)
