"""`zhifu fx import FILE | --sample` and `zhifu fx rates`; the worker's purge of expired quotes."""

from __future__ import annotations

import argparse
from collections.abc import Callable
from pathlib import Path
from typing import Any

from zhifu.config.runtime import CommandError, action_group, open_wallet_main_database

PURGE_EVERY_S = 3600.0


def register(sub: Any, common: argparse.ArgumentParser) -> None:
    actions = action_group(sub, "fx", common, help_text="exchange rates (wallet)", dest="fx_action")

    p = actions.add_parser(
        "import",
        parents=[common],
        help="import rates from the ECB's eurofxref XML or a CSV file",
        description="Import exchange rates. FILE is the ECB's eurofxref-daily.xml (or its "
        "90-day/history files) or a CSV with the columns date,[base,]quote,rate. "
        "--sample imports the sample file shipped with zhifu, dated now (demo only).",
    )
    what = p.add_mutually_exclusive_group(required=True)
    what.add_argument("file", nargs="?", type=Path, help="rate file (XML or CSV)")
    what.add_argument(
        "--sample", action="store_true", help="the shipped sample rates, dated now (demo)"
    )
    p.add_argument("--source", help="source name to store (default: ecb or csv)")
    p.set_defaults(func=cmd_import)

    p = actions.add_parser("rates", parents=[common], help="list the newest rate of each pair")
    p.set_defaults(func=cmd_rates)


def cmd_import(args: argparse.Namespace) -> None:
    open_wallet_main_database()
    from zhifu.fx import domain, services

    try:
        if args.sample:
            result = services.import_sample()
        else:
            result = services.import_file(args.file, source=args.source)
    except domain.FxRuleError as exc:
        raise CommandError(f"fx import: {exc}", 1) from None
    days = ", ".join(result.days)
    if len(result.days) > 3:
        days = f"{result.days[0]} .. {result.days[-1]}"
    print(f"fx import: {result.read} rates read ({days}), {result.created} new")


def cmd_rates(args: argparse.Namespace) -> None:
    open_wallet_main_database()
    from zhifu.fx import services

    rates = services.latest_rates()
    if not rates:
        print("no rates: run `zhifu fx import FILE` (or `--sample` for the demo)")
        return
    for rate in rates:
        value = f"{rate.rate.normalize():f}"
        print(f"{rate.pair:<8} {value:>20}  {rate.as_of:%Y-%m-%d %H:%M}Z  {rate.source}")


def worker_jobs() -> list[tuple[str, float, Callable[[], object]]]:
    """The worker's periodic jobs of fx, (name, every seconds, job), after setup_site."""
    from zhifu.fx import services

    return [("fx.purge_quotes", PURGE_EVERY_S, services.purge_expired_quotes)]
