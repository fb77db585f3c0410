"""`zhifu ledger check | report | export`: operate the wallet's ledger from a shell."""

from __future__ import annotations

import argparse
import sys
from typing import Any

from zhifu.config.runtime import (
    CommandError,
    action_group,
    iso_time,
    open_wallet_main_database,
)
from zhifu.ledger.domain import AccountKind  # framework-free: safe before setup_site()


def register(sub: Any, common: argparse.ArgumentParser) -> None:
    actions = action_group(
        sub,
        "ledger",
        common,
        help_text="verify, report and export the wallet's ledger",
        dest="ledger_action",
    )

    p = actions.add_parser(
        "check",
        parents=[common],
        help="verify every invariant; exit 1 listing each violation",
    )
    p.set_defaults(func=cmd_check)

    p = actions.add_parser("report", parents=[common], help="per-currency totals by account kind")
    p.set_defaults(func=cmd_report)

    p = actions.add_parser(
        "export", parents=[common], help="write an account's statement as CSV to stdout"
    )
    p.add_argument("owner", help='account owner, e.g. "user:42" or "merchant:m_7"')
    p.add_argument("kind", choices=[kind.value for kind in AccountKind], help="account kind")
    p.add_argument("currency", help="ISO 4217 code, e.g. USD")
    p.add_argument("--since", type=iso_time, help="from this time (ISO 8601, inclusive)")
    p.add_argument("--until", type=iso_time, help="up to this time (ISO 8601, exclusive)")
    p.add_argument(
        "--entry-kind", action="append", dest="kinds", help="only these entry kinds (repeatable)"
    )
    p.set_defaults(func=cmd_export)


def cmd_check(args: argparse.Namespace) -> None:
    open_wallet_main_database()
    from zhifu.ledger import services

    violations = services.check()
    for violation in violations:
        print(violation)
    if violations:
        raise CommandError(f"ledger check: {len(violations)} violation(s)", 1)
    print("ledger check: every invariant holds")


def cmd_report(args: argparse.Namespace) -> None:
    open_wallet_main_database()
    from zhifu.ledger import services

    rows = services.report()
    if not rows:
        print("the ledger is empty")
        return
    print(f"{'currency':<9}{'kind':<22}{'rows':>8}  {'total':>22}")
    current = None
    net = 0
    for row in rows:
        if current is not None and row.currency != current:
            print(f"{current:<9}{'(net)':<22}{'':>8}  {net:>22d}")
            net = 0
        current = row.currency
        net += row.total.minor
        print(f"{row.currency:<9}{row.kind:<22}{row.accounts:>8}  {row.total.amount_str():>22}")
    if current is not None:
        print(f"{current:<9}{'(net)':<22}{'':>8}  {net:>22d}")


def cmd_export(args: argparse.Namespace) -> None:
    open_wallet_main_database()
    from zhifu.kernel.currencies import UnknownCurrency
    from zhifu.ledger import domain, services

    try:
        ref = domain.AccountRef(args.owner, domain.AccountKind(args.kind), args.currency)
    except (ValueError, UnknownCurrency) as exc:
        raise CommandError(f"not an account: {exc}", 2) from None
    services.write_statement_csv(
        sys.stdout, ref, since=args.since, until=args.until, kinds=args.kinds
    )
