"""What the benchmarks share: their common options and command line, scratch databases on
the PostgreSQL server, pgbench's TPC-B as the yardstick, the wallet and cardnet servers and
the buyers seeded on them (bench/payments.py, bench/api.py), and CPU time read from /proc.

Not a benchmark itself (`zhifu bench` skips modules whose names start with "_"); a
benchmark imports it as `import _shared` (bench/ is on sys.path both under `zhifu bench` and
under `python bench/NAME.py`).
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import TypeVar
from urllib.parse import urlsplit, urlunsplit

DEFAULT_URL = "postgresql://postgres@127.0.0.1:5432/postgres"
PIN = "583920"
PLATFORM = "zhifu-shop"  # the wallet's seed registers the demo shop as a platform
HEALTHY_WITHIN_S = 120
CLOCK_TICKS = os.sysconf("SC_CLK_TCK")
T = TypeVar("T")


class BenchError(Exception):
    """The run cannot start or went wrong: one line on stderr, status 1."""


def add_common_arguments(p: argparse.ArgumentParser, *, clients: int, seconds: float) -> None:
    """--database-url, --clients, --seconds and the pgbench options every benchmark takes."""
    p.add_argument(
        "--database-url",
        default=os.environ.get("ZHIFU_BENCH_DATABASE_URL", DEFAULT_URL),
        help="a PostgreSQL server's maintenance database; scratch databases are "
        "created beside it (default $ZHIFU_BENCH_DATABASE_URL or %(default)s)",
    )
    p.add_argument(
        "--clients", type=int, default=clients, help=f"concurrent clients (default {clients})"
    )
    p.add_argument(
        "--seconds", type=float, default=seconds, help=f"length of each run (default {seconds:g})"
    )
    p.add_argument(
        "--pgbench-scale",
        type=int,
        default=0,
        help="pgbench scale factor (default: the number of clients, so TPC-B's branch "
        "rows are not an artificial hot spot)",
    )
    p.add_argument("--pgbench", default=find_pgbench(), help="pgbench executable")


def cli(
    name: str,
    doc: str,
    add_arguments: Callable[[argparse.ArgumentParser], None],
    run: Callable[[argparse.Namespace], object],
    argv: list[str] | None,
) -> int:
    """A benchmark's main(): parse argv, run, and turn a BenchError into one line on
    stderr and status 1."""
    parser = argparse.ArgumentParser(prog=f"bench/{name}.py", description=doc.split("\n")[0])
    add_arguments(parser)
    args = parser.parse_args(argv)
    try:
        run(args)
    except BenchError as exc:
        print(f"bench {name}: {exc}", file=sys.stderr)
        return 1
    return 0


def check_common_arguments(args: argparse.Namespace, benchmark: str) -> None:
    if not args.database_url.startswith(("postgres://", "postgresql://")):
        raise BenchError(f"the {benchmark} benchmark needs PostgreSQL (--database-url)")
    if args.clients < 1 or args.seconds <= 0:
        raise BenchError("--clients and --seconds must be positive")


def find_pgbench() -> str:
    for candidate in ("/usr/lib/postgresql/15/bin/pgbench", "/usr/bin/pgbench"):
        if os.path.exists(candidate):
            return candidate
    return "pgbench"


# --- scratch databases -------------------------------------------------------------------


def with_db(url: str, name: str) -> str:
    """The same server's URL, naming database `name`."""
    return urlunsplit(urlsplit(url)._replace(path=f"/{name}"))


def admin(url: str, sql: str) -> None:
    import psycopg

    try:
        with psycopg.connect(url, autocommit=True, connect_timeout=5) as conn:
            conn.execute(sql)
    except psycopg.Error as exc:
        raise BenchError(f"{sql.split()[0].lower()} failed: {exc}".strip()) from None


def create_db(url: str, name: str) -> None:
    admin(url, f'DROP DATABASE IF EXISTS "{name}"')
    admin(url, f'CREATE DATABASE "{name}"')


def drop_db(url: str, name: str) -> None:
    try:
        admin(url, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    except BenchError as exc:
        print(f"  (could not drop {name}: {exc})", file=sys.stderr)


@contextmanager
def scratch(args: argparse.Namespace, names: list[str]) -> Iterator[None]:
    """The databases `names` created beside --database-url for the block, dropped after it
    (Django's connections to them closed first)."""
    for name in names:
        create_db(args.database_url, name)
    try:
        yield
    finally:
        from django.db import connections

        if "DJANGO_SETTINGS_MODULE" in os.environ:
            connections.close_all()
        for name in names:
            drop_db(args.database_url, name)


def remove(path: Path) -> None:
    shutil.rmtree(path, ignore_errors=True)


# --- pgbench -----------------------------------------------------------------------------


def pgbench_tps(args: argparse.Namespace, db_url: str, scale: int) -> float:
    """pgbench's TPC-B-like script on db_url (initialized at `scale`), with --clients
    connections and threads for --seconds: the server's transactions per second."""
    pgbench_init(args, db_url, scale)
    return pgbench_run(args, db_url, args.seconds)


def _pgbench_env(db_url: str) -> tuple[dict[str, str], str]:
    parts = urlsplit(db_url)
    env = {**os.environ, "PGHOST": parts.hostname or "127.0.0.1",
           "PGPORT": str(parts.port or 5432), "PGUSER": parts.username or "postgres"}  # fmt: skip
    if parts.password:
        env["PGPASSWORD"] = parts.password
    return env, parts.path.lstrip("/")


def _pgbench(args: argparse.Namespace, db_url: str, options: list[str]) -> str:
    env, dbname = _pgbench_env(db_url)
    try:
        done = subprocess.run(
            [args.pgbench, *options, dbname],
            env=env, check=True, capture_output=True, text=True, timeout=600,
        )  # fmt: skip
    except FileNotFoundError:
        raise BenchError(f"pgbench not found ({args.pgbench}); pass --pgbench PATH") from None
    except subprocess.CalledProcessError as exc:
        raise BenchError(f"pgbench failed: {exc.stderr.strip()[:300]}") from None
    return done.stdout


def pgbench_init(args: argparse.Namespace, db_url: str, scale: int) -> None:
    """`pgbench -i` at `scale` on db_url."""
    _pgbench(args, db_url, ["-i", "-q", "-s", str(scale)])


def pgbench_run(args: argparse.Namespace, db_url: str, seconds: float) -> float:
    """One run of TPC-B-like on an initialized db_url: --clients connections and threads
    for `seconds` (whole seconds, at least 1); its transactions per second."""
    clients = str(args.clients)
    out = _pgbench(args, db_url, ["-n", "-c", clients, "-j", clients,
                                  "-T", str(max(1, round(seconds)))])  # fmt: skip
    match = re.search(r"tps = ([0-9.]+)", out)
    if not match:
        raise BenchError("could not read tps from pgbench's output")
    return float(match.group(1))


# --- the servers -------------------------------------------------------------------------


def _free_port(address: str) -> int:
    with socket.socket() as s:
        s.bind((address, 0))
        return int(s.getsockname()[1])


@dataclass
class Sites:
    """The scratch databases, data directory and URLs of one run's wallet and cardnet."""

    server_url: str
    suffix: str
    data_dir: Path
    sqlite: bool = False  # every site on its default SQLite file in data_dir
    wallet_url: str = ""
    cardnet_url: str = ""
    procs: dict[str, subprocess.Popen[bytes]] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.wallet_url = f"http://127.0.0.1:{_free_port('127.0.0.1')}"
        self.cardnet_url = f"http://127.0.0.2:{_free_port('127.0.0.2')}"

    @property
    def databases(self) -> dict[str, str]:
        if self.sqlite:
            return {}
        return {alias: f"zhifu_bench_pay_{alias}_{self.suffix}" for alias in DB_ALIASES}

    def env(self) -> dict[str, str]:
        """The servers' environment (and this process's, for seeding): demo mode for the
        generated secrets and plain-http cookies, each site on its scratch database."""
        # Nothing of the caller's zhifu settings, but a test run's pinned clock
        # (tests/harness/clock.py), which every process of the run must share.
        env = {
            k: v
            for k, v in os.environ.items()
            if not k.startswith("ZHIFU_") or k in ("ZHIFU_TEST_NOW", "ZHIFU_TEST_NOW_AT")
        }
        env.pop("DATABASE_URL", None)
        db = {a: with_db(self.server_url, name) for a, name in self.databases.items()}
        env.update({f"ZHIFU_{a.upper()}_DATABASE_URL": url for a, url in db.items()})
        env.update(
            ZHIFU_DEMO="1",
            ZHIFU_DATA_DIR=str(self.data_dir),
            ZHIFU_WALLET_URL=self.wallet_url,
            ZHIFU_CARDNET_URL=self.cardnet_url,
            ZHIFU_DB_CONN_MAX_AGE="600",
            # The per-key limit (1,000 requests a minute by default) would be the ceiling.
            ZHIFU_API_RATE_LIMIT="1000000",
        )
        return env

    def zhifu(self, *args: str) -> list[str]:
        return [sys.executable, "-m", "zhifu.cli", *args, "--data-dir", str(self.data_dir)]

    def prepare(self) -> None:
        """Migrate both sites (in parallel, as the demo does), then seed them."""
        log = (self.data_dir / "prepare.log").open("ab")
        for step in ("migrate", "seed"):
            running = [
                subprocess.Popen(self.zhifu(step, site), env=self.env(), stdout=log, stderr=log)
                for site in ("wallet", "cardnet")
            ]
            if any(proc.wait(timeout=600) != 0 for proc in running):
                raise BenchError(f"zhifu {step} failed: see {self.data_dir / 'prepare.log'}")

    def start(self, args: argparse.Namespace) -> None:
        from zhifu.demo import healthy

        commands = {
            "cardnet": self.zhifu(
                "serve", "cardnet", "--bind", urlsplit(self.cardnet_url).netloc,
                "--workers", str(args.cardnet_workers),
            ),
            "wallet": self.zhifu(
                "serve", "wallet", "--bind", urlsplit(self.wallet_url).netloc,
                "--workers", str(args.wallet_workers), "--threads", str(args.wallet_threads),
            ),
        }  # fmt: skip
        for site, command in commands.items():
            self.procs[site] = subprocess.Popen(
                command,
                env=self.env(),
                stdout=(self.data_dir / f"{site}.log").open("wb"),
                stderr=subprocess.STDOUT,
                start_new_session=True,  # its own group: stopped with every worker
            )
        urls = {"wallet": self.wallet_url, "cardnet": self.cardnet_url}
        deadline = time.monotonic() + HEALTHY_WITHIN_S
        pending = set(urls)
        while pending:
            for site in pending:
                if self.procs[site].poll() is not None:
                    raise BenchError(f"zhifu serve {site} exited: see {self.data_dir}/{site}.log")
            if time.monotonic() > deadline:
                raise BenchError(f"not healthy after {HEALTHY_WITHIN_S} s: {', '.join(pending)}")
            pending = {site for site in pending if not healthy(urls[site])}
            time.sleep(0.2)

    def stop(self) -> None:
        for proc in self.procs.values():
            if proc.poll() is None:
                proc.send_signal(signal.SIGTERM)
        for proc in self.procs.values():
            try:
                proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, signal.SIGKILL)
                proc.wait()


DB_ALIASES = ("wallet", "vault", "cardnet")


# --- seeding (in this process, through the wallet's services) ----------------------------


@dataclass(frozen=True)
class Buyer:
    session_key: str
    card_id: str


@dataclass(frozen=True)
class Seeded:
    api_key: str
    session_cookie: str
    buyers: list[Buyer]


def _card_number(n: int) -> str:
    """A Luhn-valid Visa number of its own per buyer (the vault limits checks per card),
    outside cardnet's special test cards (4000 0000 0000 ...)."""
    body = f"424242{n:09d}"
    total = 0
    for i, digit in enumerate(reversed(body)):
        d = int(digit) * (2 if i % 2 == 0 else 1)
        total += d - 9 if d > 9 else d
    return body + str((10 - total % 10) % 10)


def seed(buyers: int) -> Seeded:
    """A platform's API key and `buyers` registered buyers, each with a payment password,
    a saved card (verified by the real cardnet, sealed by the vault) and a signed-in
    session as the SSO callback leaves it (accounts' session keys)."""
    from django.conf import settings
    from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY
    from django.contrib.sessions.backends.db import SessionStore

    from zhifu.accounts import services as accounts
    from zhifu.accounts.middleware import LAST_SEEN_AT, SIGNED_IN_AT
    from zhifu.accounts.models import User
    from zhifu.credentials import services as credentials
    from zhifu.credentials.domain import QuestionChoice
    from zhifu.kernel import clock
    from zhifu.merchants import services as merchants
    from zhifu.vault import services as vault

    platform = accounts.platform_by_slug(PLATFORM)
    if platform is None:
        raise BenchError(f"the wallet's seed registered no platform {PLATFORM!r}")
    key = merchants.create_key(PLATFORM, name="bench").secret.reveal()
    choices = [
        QuestionChoice("first_pet", "Barsik"),
        QuestionChoice("birth_city", "Omsk"),
        QuestionChoice("favourite_book", "Master and Margarita"),
    ]
    made = []
    for n in range(buyers):
        user = accounts.sign_in(
            platform, {"sub": f"bench-buyer-{n}", "email": f"buyer{n}@bench.example",
                       "email_verified": True, "locale": "en"},
        )  # fmt: skip
        # Registered: the address confirmed (the e-mailed link's effect) and the payment
        # password and questions set, as complete_registration does.
        User.objects.filter(pk=user.pk).update(
            email=f"buyer{n}@bench.example", email_confirmed_at=clock.now()
        )
        user.refresh_from_db()
        credentials.register_credentials(user, PIN, choices)
        proof = credentials.step_up(user, PIN, vault.ADD_ACTION)
        card = vault.add_card(
            user,
            vault.CardInput(
                number=_card_number(n), expiry="12/39", holder_name="BENCH BUYER", cvc="123"
            ),
            step_up=proof,
        )
        if not isinstance(card, vault.Card):
            raise BenchError(f"cardnet asked to confirm the bench card {n}")
        session = SessionStore()
        session[SESSION_KEY] = str(user.pk)
        session[BACKEND_SESSION_KEY] = "django.contrib.auth.backends.ModelBackend"
        session[HASH_SESSION_KEY] = user.get_session_auth_hash()
        session[SIGNED_IN_AT] = session[LAST_SEEN_AT] = clock.now().timestamp()
        accounts.remember_platform(session, platform)
        session.create()
        assert session.session_key is not None
        made.append(Buyer(session.session_key, card.id))
    return Seeded(key, settings.SESSION_COOKIE_NAME, made)


# --- CPU time ----------------------------------------------------------------------------


def cpu_seconds(pid: int) -> float | None:
    """User + system CPU a process has used so far (/proc/PID/stat), None once it is gone."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    fields = stat.rpartition(")")[2].split()  # after the command name, which may hold spaces
    return (int(fields[11]) + int(fields[12])) / CLOCK_TICKS  # utime, stime (fields 14, 15)


def descendants(pid: int) -> list[int]:
    """pid and every process below it (gunicorn's arbiter and its workers)."""
    children: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        ppid = int(stat.rpartition(")")[2].split()[1])
        children.setdefault(ppid, []).append(int(entry.name))
    found, todo = [], [pid]
    while todo:
        current = todo.pop()
        found.append(current)
        todo.extend(children.get(current, []))
    return found


# --- statements per request --------------------------------------------------------------


def counted(send: Callable[[], T]) -> tuple[T, dict[str, int], int]:
    """Call send() (a request through Django's test client, in this process) and count
    the SQL it sent: statements per database alias, and transactions as PostgreSQL
    counts them (each statement outside BEGIN ... COMMIT is one; so is each BEGIN)."""
    from django.db import connections
    from django.test.utils import CaptureQueriesContext

    contexts = [CaptureQueriesContext(c) for c in connections.all()]
    for ctx in contexts:
        ctx.__enter__()
    try:
        result = send()
    finally:
        for ctx in contexts:
            ctx.__exit__(None, None, None)
    statements: dict[str, int] = {}
    transactions = 0
    if log := os.environ.get("ZHIFU_BENCH_SQL_LOG"):  # every statement, to read them
        with open(log, "a", encoding="utf-8") as out:
            for ctx in contexts:
                out.writelines(f"{ctx.connection.alias}\t{q['sql'][:300]}\n"
                               for q in ctx.captured_queries)  # fmt: skip
            out.write("--\n")
    for ctx in contexts:
        if not ctx.captured_queries:
            continue
        statements[ctx.connection.alias] = len(ctx.captured_queries)
        inside = False
        for query in ctx.captured_queries:
            word = query["sql"].split(None, 1)[0].upper() if query["sql"].strip() else ""
            if word == "BEGIN":
                inside, transactions = True, transactions + 1
            elif word in ("COMMIT", "ROLLBACK"):
                inside = False
            elif not inside:
                transactions += 1
    return result, statements, transactions
