"""The `zhifu` command: one entry point for running, operating and demonstrating zhifu.

Each subcommand that needs Django sets up exactly one site in its process (Django's
settings are per process); commands over several sites run one child process per site.
Configuration problems end the command with one line on stderr and a non-zero status,
never a traceback.
"""

from __future__ import annotations

import argparse
import importlib
import importlib.util
import os
import subprocess
import sys
from collections.abc import Callable, Sequence
from pathlib import Path

from zhifu.config.environment import SITES
from zhifu.config.runtime import (
    EXIT_CONFIG,
    CommandError,
    check_database,
    setup_site,
)

# Areas add their own subcommands: each module has
#   register(sub: argparse._SubParsersAction, common: argparse.ArgumentParser) -> None
# and must import Django only inside its handlers (after setup_site()). They share
# CommandError and setup_site() with this module through zhifu.config.runtime.
AREA_COMMANDS: tuple[str, ...] = (
    "zhifu.vault.commands",
    "zhifu.ledger.commands",
    "zhifu.fx.commands",
    "zhifu.accounts.commands",
    "zhifu.payments.commands",
    "zhifu.merchants.commands",  # after accounts: it adds `zhifu platform keys`
    "zhifu.recovery.commands",
    "zhifu.webhooks.commands",
)


def _check_single_database_url(sites: Sequence[str]) -> None:
    if len(sites) > 1 and os.environ.get("DATABASE_URL"):
        missing = [s for s in sites if not os.environ.get(f"ZHIFU_{s.upper()}_DATABASE_URL")]
        if missing:
            raise CommandError(
                "DATABASE_URL names the database of one site; name the site "
                f"(e.g. `zhifu migrate {missing[0]}`) or set "
                + ", ".join(f"ZHIFU_{s.upper()}_DATABASE_URL" for s in missing),
                EXIT_CONFIG,
            )


def _per_site(
    command: str, sites: Sequence[str], run: Callable[[str], None], options: Sequence[str] = ()
) -> None:
    """Run in this process for one site, else one child process per site (with options)."""
    sites = list(sites) or list(SITES)
    unknown = [s for s in sites if s not in SITES]
    if unknown:
        raise CommandError(f"unknown site {unknown[0]!r} (choose from {', '.join(SITES)})", 2)
    _check_single_database_url(sites)
    if len(sites) == 1:
        run(sites[0])
        return
    for site in sites:
        done = subprocess.run(
            [sys.executable, "-m", "zhifu.cli", command, site, *options], check=False
        )
        if done.returncode != 0:
            raise CommandError(f"{command} {site} failed", done.returncode)


# --- subcommands ---------------------------------------------------------------------


def _migrate(site: str, *, verbose: bool = False) -> None:
    """Migrate every database of the site (set up in this process)."""
    from django.core.management import call_command
    from django.db import connections

    for alias in connections:  # every database of the site (the wallet's vault too)
        call_command("migrate", database=alias, interactive=False, verbosity=1 if verbose else 0)


def cmd_migrate(args: argparse.Namespace) -> None:
    def run(site: str) -> None:
        setup_site(site)
        check_database(site)
        _migrate(site, verbose=args.verbose)
        print(f"{site}: database up to date")

    _per_site("migrate", args.sites, run)


def cmd_seed(args: argparse.Namespace) -> None:
    def run(site: str) -> None:
        setup_site(site)
        check_database(site)
        from django.core.management import call_command

        if args.migrate:  # one process where two would each set Django up (`zhifu demo`)
            _migrate(site)
            print(f"{site}: database up to date", file=sys.stderr)
        call_command("seed_demo")

    _per_site("seed", args.sites, run, ["--migrate"] if args.migrate else [])


def cmd_serve(args: argparse.Namespace) -> None:
    setup_site(args.site)
    check_database(args.site)
    from zhifu.serve import serve

    serve(
        args.site,
        binds=args.bind or [f"127.0.0.1:{args.port}"],
        workers=args.workers,
        threads=args.threads,
    )


def cmd_worker(args: argparse.Namespace) -> None:
    setup_site("wallet")
    check_database("wallet")
    from zhifu.fx.commands import worker_jobs as fx_jobs
    from zhifu.outbox.worker import Job, run
    from zhifu.payments.commands import worker_jobs
    from zhifu.webhooks.commands import worker_jobs as webhook_jobs

    every_job = [*worker_jobs(), *webhook_jobs(), *fx_jobs()]
    jobs = [Job(name, every, job) for name, every, job in every_job]
    run(poll_seconds=args.poll, once=args.once, jobs=jobs)


def _take_data_dir(args: list[str]) -> list[str]:
    """`zhifu manage SITE CMD --data-dir D`: the flag is zhifu's, wherever it stands (Django's
    commands have none), so it is taken out and applied before the site starts."""
    rest: list[str] = []
    it = iter(args)
    for arg in it:
        if arg == "--data-dir" or arg.startswith("--data-dir="):
            value = arg.partition("=")[2] if "=" in arg else next(it, "")
            if not value:
                raise CommandError("--data-dir needs a directory", 2)
            os.environ["ZHIFU_DATA_DIR"] = str(Path(value).resolve())
        else:
            rest.append(arg)
    return rest


def cmd_manage(args: argparse.Namespace) -> None:
    args.args = _take_data_dir(list(args.args))
    setup_site(args.site)
    from django.core.management import execute_from_command_line

    execute_from_command_line([f"zhifu manage {args.site}", *args.args])


def cmd_demo(args: argparse.Namespace) -> None:
    from zhifu.demo import Ports, run_demo

    run_demo(
        Ports(
            wallet=args.wallet_port,
            marketplace=args.marketplace_port,
            cardnet=args.cardnet_port,
            bazaar=args.bazaar_port,
        ),
        with_worker=not args.no_worker,
        prepare_only=args.prepare_only,
    )


# Benchmarks are scripts of the source checkout (bench/), not part of the installed
# package: `zhifu bench NAME ARGS...` loads bench/NAME.py and calls its main(ARGS). Modules
# whose names start with "_" are the pieces benchmarks share (bench/_shared.py), not
# benchmarks; bench/ goes on sys.path, as it does for `python bench/NAME.py`, so a
# benchmark imports them the same way in both runs.
BENCH_DIR = Path(__file__).resolve().parents[2] / "bench"


def _benchmarks() -> list[str]:
    if not BENCH_DIR.is_dir():
        return []
    return sorted(p.stem for p in BENCH_DIR.glob("*.py") if not p.stem.startswith("_"))


def cmd_bench(args: argparse.Namespace) -> int:
    available = _benchmarks()
    if not available:
        raise CommandError(
            f"zhifu bench runs the scripts in a source checkout's bench/ ({BENCH_DIR} is missing)",
            2,
        )
    if args.benchmark not in available:
        raise CommandError(
            f"no benchmark {args.benchmark!r} (choose from {', '.join(available)})", 2
        )
    name = f"zhifu_bench_{args.benchmark}"
    if str(BENCH_DIR) not in sys.path:
        sys.path.insert(0, str(BENCH_DIR))
    spec = importlib.util.spec_from_file_location(name, BENCH_DIR / f"{args.benchmark}.py")
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module  # dataclasses and pickling look their module up by name
    spec.loader.exec_module(module)
    status: int = module.main(list(args.args))
    return status


# --- parser ---------------------------------------------------------------------------


def build_parser() -> argparse.ArgumentParser:
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument(
        "--data-dir",
        default=argparse.SUPPRESS,
        help="directory for SQLite files, generated demo keys and demo mail "
        "(default: $ZHIFU_DATA_DIR or ./var)",
    )
    parser = argparse.ArgumentParser(
        prog="zhifu",
        parents=[common],
        description="zhifu: a self-hostable wallet and payment service for marketplaces.",
    )
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    p = sub.add_parser(
        "demo",
        parents=[common],
        help="migrate, seed and run the three sites, a second shop and the worker here",
    )
    p.add_argument("--wallet-port", type=int, default=8000)
    p.add_argument("--marketplace-port", type=int, default=8001)
    p.add_argument("--cardnet-port", type=int, default=8002)
    p.add_argument("--bazaar-port", type=int, default=8003, help="the second shop, on 127.0.0.3")
    p.add_argument("--no-worker", action="store_true", help="do not start the outbox worker")
    p.add_argument(
        "--prepare-only",
        action="store_true",
        help="migrate and seed every site, then exit without serving",
    )
    p.set_defaults(func=cmd_demo)

    p = sub.add_parser("serve", parents=[common], help="serve one site with gunicorn (production)")
    p.add_argument("site", choices=SITES)
    p.add_argument("--port", type=int, default=8000, help="port on 127.0.0.1 (default 8000)")
    p.add_argument(
        "--bind",
        action="append",
        metavar="HOST:PORT",
        help="address to listen on (repeatable); overrides --port",
    )
    p.add_argument("--workers", type=int, default=2, help="gunicorn worker processes")
    p.add_argument("--threads", type=int, default=4, help="threads per worker")
    p.set_defaults(func=cmd_serve)

    p = sub.add_parser(
        "worker",
        parents=[common],
        help="deliver outbox messages (e-mails, webhooks) and expire and reconcile payments",
    )
    p.add_argument("--once", action="store_true", help="deliver what is due, then exit")
    p.add_argument("--poll", type=float, default=1.0, help="seconds between polls when idle")
    p.set_defaults(func=cmd_worker)

    p = sub.add_parser(
        "migrate",
        parents=[common],
        help="create or update the database of each site (default: all)",
    )
    p.add_argument("sites", nargs="*", metavar="SITE", help="wallet, marketplace or cardnet")
    p.add_argument("-v", "--verbose", action="store_true")
    p.set_defaults(func=cmd_migrate)

    p = sub.add_parser(
        "seed", parents=[common], help="add the demo data to each site, idempotently (default: all)"
    )
    p.add_argument("sites", nargs="*", metavar="SITE", help="wallet, marketplace or cardnet")
    p.add_argument(
        "--migrate", action="store_true", help="migrate each site first (in the same process)"
    )
    p.set_defaults(func=cmd_seed)

    p = sub.add_parser(
        "manage", parents=[common], help="run a Django management command on one site"
    )
    p.add_argument("site", choices=SITES)
    p.add_argument("args", nargs=argparse.REMAINDER)
    p.set_defaults(func=cmd_manage)

    p = sub.add_parser(
        "bench",
        parents=[common],
        help="run a benchmark of the source checkout's bench/ (figures, never assertions)",
        description="Run bench/NAME.py from the source checkout with ARGS "
        f"(benchmarks: {', '.join(_benchmarks()) or 'none here'}); "
        "`zhifu bench NAME --help` lists a benchmark's options.",
    )
    p.add_argument("benchmark", metavar="NAME", help="e.g. ledger (bench/ledger.py)")
    p.add_argument("args", nargs=argparse.REMAINDER, help="the benchmark's own options")
    p.set_defaults(func=cmd_bench)

    for module in AREA_COMMANDS:
        importlib.import_module(module).register(sub, common)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    # Databases, the demo mailbox and logs hold session keys and one-time links: files the
    # CLI and its children create are the owner's alone (0600, directories 0700).
    os.umask(0o077)
    args = build_parser().parse_args(argv)
    if getattr(args, "data_dir", None):
        os.environ["ZHIFU_DATA_DIR"] = str(Path(args.data_dir).resolve())
    try:
        status = args.func(args)  # None, or the exit status a benchmark returned
    except CommandError as exc:
        print(f"zhifu: {exc}", file=sys.stderr)
        return exc.status
    except KeyboardInterrupt:
        return 130
    return int(status or 0)


if __name__ == "__main__":
    sys.exit(main())
