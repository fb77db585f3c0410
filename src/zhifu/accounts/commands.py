"""`zhifu platform add|list|show|enable|disable|rotate-secret`: the shops the wallet serves
(docs/platforms.md).

A platform's client secret is never an argument (it would land in shell history and the
process list): it is already in the platform namespace (the variable
ZHIFU_PLATFORM_<SLUG>_CLIENT_SECRET or <data-dir>/secrets/platform.<slug>.client_secret), or
``--secret-from-env VAR`` / ``--secret-file PATH`` copy it into that file (mode 0600).
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path
from typing import Any

from zhifu.config.runtime import CommandError, action_group, open_site

AUTH_METHODS = ("client_secret_basic", "client_secret_post")


def register(sub: Any, common: argparse.ArgumentParser) -> None:
    actions = action_group(
        sub, "platform", common, help_text="the shops the wallet serves", dest="platform_command"
    )
    p = actions.add_parser(
        "add",
        parents=[common],
        help="check a shop's OpenID provider and register it",
        description="Runs discovery at ISSUER and refuses a provider whose issuer does not "
        "match, that lacks RS256 or PKCE S256, or that is not https outside the demo, and "
        "a platform whose client secret cannot be found. Prints the redirect URI to "
        "register at the shop.",
    )
    p.add_argument("slug", metavar="SLUG", help="short name: a-z, 0-9 and inner hyphens")
    p.add_argument("--name", required=True, help="the name buyers see")
    p.add_argument("--issuer", required=True, help="the provider's issuer URL")
    p.add_argument("--client-id", required=True, help="the wallet's client id at the shop")
    p.add_argument("--auth-method", choices=AUTH_METHODS, default="client_secret_basic")
    p.add_argument("--scopes", default="openid email profile")
    p.add_argument(
        "--trust-email-verified",
        action="store_true",
        help="RISKY, off by default: a new account of this shop whose provider says "
        "email_verified joins the wallet that confirmed that address, with no e-mailed link "
        "and no payment password. Only for a provider you run, whose every address is "
        "verified and cannot change unverified: otherwise anyone who gets it to assert an "
        "address takes over that wallet (docs/decisions/0010)",
    )
    p.add_argument(
        "--update",
        action="store_true",
        help="SLUG may exist: check the provider again and set exactly these settings "
        "(its buyers stay; the issuer cannot change once buyers signed in, except in the demo)",
    )
    _secret_options(p)
    p.set_defaults(func=cmd_add)

    p = actions.add_parser("list", parents=[common], help="every platform, one a line")
    p.set_defaults(func=cmd_list)
    p = actions.add_parser("show", parents=[common], help="one platform (never its secret)")
    p.add_argument("slug", metavar="SLUG")
    p.set_defaults(func=cmd_show)
    for action, text in (("disable", "stop offering it"), ("enable", "offer it again")):
        p = actions.add_parser(action, parents=[common], help=f"{text} (its buyers stay)")
        p.add_argument("slug", metavar="SLUG")
        p.set_defaults(func=cmd_disable if action == "disable" else cmd_enable)
    p = actions.add_parser(
        "rotate-secret",
        parents=[common],
        help="take a new client secret (the next sign-in presents it; no restart)",
    )
    p.add_argument("slug", metavar="SLUG")
    _secret_options(p)
    p.set_defaults(func=cmd_rotate)


def _secret_options(p: argparse.ArgumentParser) -> None:
    group = p.add_mutually_exclusive_group()
    group.add_argument(
        "--secret-from-env",
        metavar="VAR",
        help="copy the client secret from the variable VAR into the secrets folder",
    )
    group.add_argument(
        "--secret-file",
        metavar="PATH",
        type=Path,
        help="copy the client secret from PATH into the secrets folder",
    )


def _setup() -> None:
    open_site("wallet", aliases=["default"])


def _new_secret(args: argparse.Namespace) -> str | None:
    if args.secret_from_env:
        value = os.environ.get(args.secret_from_env, "").strip()
        if not value:
            raise CommandError(f"the variable {args.secret_from_env} is not set", 2)
        return value
    if args.secret_file:
        try:
            return str(args.secret_file.read_text()).strip()
        except OSError as exc:
            raise CommandError(f"cannot read {args.secret_file}: {exc.strerror}", 2) from None
    return None


def _problem(exc: Exception) -> CommandError:
    return CommandError(str(exc), 1)


def run_add(args: argparse.Namespace) -> None:
    from zhifu.accounts import platforms
    from zhifu.config import secrets
    from zhifu.config.site import config

    secret = _new_secret(args)
    existed = platforms.exists(args.slug)
    try:
        platform = platforms.add(
            args.slug,
            name=args.name,
            issuer=args.issuer,
            client_id=args.client_id,
            auth_method=args.auth_method,
            scopes=args.scopes,
            trust_email_verified=args.trust_email_verified,
            update=args.update,
            secret=secret,
        )
    except platforms.PlatformProblem as exc:
        raise _problem(exc) from None
    if secret is not None:
        path = secrets.platform_secret_path(config().data_dir, platform.slug)
        print(f"client secret written to {path} (mode 0600)")
    done = "updated" if existed else "added"
    print(f"{done} platform {platform.slug!r} ({platform.name}), issuer {platform.issuer}")
    if platform.trust_email_verified:
        print(
            f"warning: {platform.slug!r} trusts its provider's email_verified: a new account "
            "there claiming a confirmed address joins that wallet without the owner's proof",
            file=sys.stderr,
        )
    print("Register this redirect URI for the wallet's client at the shop:")
    print(f"  {platforms.redirect_uri()}")


def run_list(args: argparse.Namespace) -> None:
    from zhifu.accounts import platforms

    rows = platforms.all_platforms()
    if not rows:
        print("no platforms (add one with `zhifu platform add`)")
    for p in rows:
        state = "active" if p.is_active else "disabled"
        print(f"{p.slug:<20} {state:<9} {p.issuer}  {p.name}")


def run_show(args: argparse.Namespace) -> None:
    from zhifu.accounts import platforms

    try:
        info = platforms.describe(platforms.get(args.slug))
    except platforms.PlatformProblem as exc:
        raise _problem(exc) from None
    for key, value in info.items():
        print(f"{key + ':':<24}{value}")


def run_set_active(args: argparse.Namespace, active: bool) -> None:
    from zhifu.accounts import platforms

    try:
        platform = platforms.set_active(args.slug, active)
    except platforms.PlatformProblem as exc:
        raise _problem(exc) from None
    print(f"platform {platform.slug!r} {'enabled' if active else 'disabled'}")


def run_rotate(args: argparse.Namespace) -> None:
    from zhifu.accounts import platforms
    from zhifu.config.secrets import platform_secret_variable

    try:
        platforms.get(args.slug)
        secret = _new_secret(args)
        if secret is not None:
            path = platforms.store_secret(args.slug, secret)
            print(f"new client secret written to {path}; the next sign-in presents it")
        source = platforms.secret_source(args.slug)
    except platforms.PlatformProblem as exc:
        raise _problem(exc) from None
    if secret is None:
        print(f"the client secret is read from {source} at every sign-in: replace it there")
    elif source.startswith("the variable"):
        print(
            f"warning: {platform_secret_variable(args.slug)} is set and wins over the file; "
            "unset it or change it instead",
            file=sys.stderr,
        )


def cmd_add(args: argparse.Namespace) -> None:
    _setup()
    run_add(args)


def cmd_list(args: argparse.Namespace) -> None:
    _setup()
    run_list(args)


def cmd_show(args: argparse.Namespace) -> None:
    _setup()
    run_show(args)


def cmd_disable(args: argparse.Namespace) -> None:
    _setup()
    run_set_active(args, False)


def cmd_enable(args: argparse.Namespace) -> None:
    _setup()
    run_set_active(args, True)


def cmd_rotate(args: argparse.Namespace) -> None:
    _setup()
    run_rotate(args)
