"""`zhifu demo`: the whole system on one machine, with zero setup.

Migrates and seeds the three sites, starts them and the outbox worker as child processes,
waits until every /healthz answers, prints where to go, and stops everything on Ctrl-C or
SIGTERM. Children get SIGTERM from the kernel if this process dies (PR_SET_PDEATHSIG), so
no server outlives the demo even after `kill -9`.
"""

from __future__ import annotations

import ctypes
import json
import os
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from types import FrameType

from zhifu.config.runtime import CommandError
from zhifu.config.secrets import demo_value

HEALTH_TIMEOUT_S = 60
STOP_TIMEOUT_S = 15
_PR_SET_PDEATHSIG = 1


# Each site on its own loopback host (SEC-20): browsers keep cookies per host, whatever
# the port, so sites sharing a host could read and plant each other's cookies. The wallet
# is "localhost" (127.0.0.1 and ::1); the second shop ("bazaar") is 127.0.0.3.
HOSTS = {
    "wallet": "localhost",
    "marketplace": "127.0.0.1",
    "cardnet": "127.0.0.2",
    "bazaar": "127.0.0.3",
}
# The addresses each site listens on (the wallet also on ::1 where the machine has it).
BIND_ADDRESSES = {
    "wallet": "127.0.0.1",
    "marketplace": "127.0.0.1",
    "cardnet": "127.0.0.2",
    "bazaar": "127.0.0.3",
}


@dataclass(frozen=True)
class Ports:
    wallet: int = 8000
    marketplace: int = 8001
    cardnet: int = 8002
    bazaar: int = 8003


@dataclass(frozen=True)
class SecondShop:
    """The demo's second shop: the marketplace's code again, as another shop would run it
    (docs/platforms.md): its own name, look, database, keys, OIDC client and host, and
    registered at the wallet like any platform, by `zhifu platform add` with discovery."""

    key: str = "bazaar"  # its process, its --bazaar-port and its part of the data dir
    slug: str = "bazaar"  # the wallet's platform
    name: str = "Bazaar"
    name_ru: str = "Базар"
    accent: str = "#a3341b"  # brick red, 6.9:1 on white
    logo: str = "marketplace/logos/bazaar.svg"
    client_id: str = "zhifu-wallet-bazaar"
    email_from: str = "Bazaar <no-reply@bazaar.localhost>"

    def data_dir(self, demo_data: Path) -> Path:
        return demo_data / self.key

    def secret_file(self, demo_data: Path) -> Path:
        """The wallet's client secret at this shop, which the shop generated."""
        return self.data_dir(demo_data) / "secrets" / "oidc_client_secret"

    def environment(self, urls: dict[str, str], demo_data: Path) -> dict[str, str]:
        """What this shop's processes see instead of the first shop's settings. Its keys,
        database and client secret are its own, never inherited; its mail goes to the
        demo's one mailbox, where a buyer reads every message."""
        env = {k: v for k, v in os.environ.items() if k not in _FIRST_SHOP_ONLY}
        env.update(
            ZHIFU_DATA_DIR=str(self.data_dir(demo_data)),
            ZHIFU_MAIL_DIR=str(demo_data / "mail"),
            ZHIFU_MARKETPLACE_URL=urls[self.key],
            ZHIFU_SHOP_NAME=self.name,
            ZHIFU_SHOP_NAME_RU=self.name_ru,
            ZHIFU_SHOP_ACCENT=self.accent,
            ZHIFU_SHOP_LOGO=self.logo,
            ZHIFU_SHOP_PLATFORM_SLUG=self.slug,
            ZHIFU_OIDC_CLIENT_ID=self.client_id,
            ZHIFU_EMAIL_FROM=self.email_from,
        )
        return env

    def api_key_file(self, demo_data: Path) -> Path:
        """This shop's own API key at the wallet (made here, adopted by the wallet)."""
        return self.data_dir(demo_data) / "secrets" / SHOP_API_KEY

    def adopt_api_key(self, demo_data: Path) -> str:
        """Make this shop's test key once and register it at the wallet (again on a later
        start: nothing happens then); the line to print."""
        from zhifu.config.secrets import demo_value
        from zhifu.merchants.domain import Mode, new_secret_key

        key = demo_value(self.data_dir(demo_data), SHOP_API_KEY, lambda: new_secret_key(Mode.TEST))
        done = subprocess.run(
            _zhifu(
                "platform", "keys", "adopt", self.slug,
                "--key-file", str(self.api_key_file(demo_data)), "--name", f"{self.name} (demo)",
            ),
            check=False, capture_output=True, text=True,
        )  # fmt: skip
        if done.returncode != 0:
            sys.stderr.write(done.stderr)
            raise CommandError(f"registering {self.name}'s API key failed", done.returncode)
        return f"shop API key ({self.slug}, test mode): {key}"

    def register(self, urls: dict[str, str], demo_data: Path) -> list[str]:
        """Register (or, on a later start, update) the running shop as a wallet platform
        through `zhifu platform add`, with its discovery checks; the lines to print."""
        done = subprocess.run(
            _zhifu(
                "platform", "add", self.slug, "--update",
                "--name", self.name,
                "--issuer", f"{urls[self.key]}/o",
                "--client-id", self.client_id,
                "--secret-file", str(self.secret_file(demo_data)),
            ),
            check=False, capture_output=True, text=True,
        )  # fmt: skip
        if done.returncode != 0:
            sys.stderr.write(done.stderr)
            raise CommandError(f"registering {self.name} at the wallet failed", done.returncode)
        return [
            f"wallet platform: {self.slug} ({self.name}), issuer {urls[self.key]}/o,"
            f" client {self.client_id}, secret in {self.secret_file(demo_data)}",
            f"sign in through it: {urls['wallet']}/?platform={self.slug}",
        ]


SECOND_SHOP = SecondShop()
# Each shop's own secrets at the wallet, in its data dir (zhifu.marketplace.wallet).
SHOP_API_KEY = "shop_api_key"  # pragma: allowlist secret
SHOP_WEBHOOK_SECRET = "shop_webhook_secret"  # noqa: S105 - the file's name  # pragma: allowlist secret
# The wallet's copy of the first shop's key (zhifu.merchants.seed), in the demo's data dir.
FIRST_SHOP_KEY = "demo_shop_api_key"
WEBHOOK_EVENTS = ["*"]
# Settings of the first shop that the second must not inherit from the demo's environment.
_FIRST_SHOP_ONLY = frozenset(
    {
        "DATABASE_URL",
        "ZHIFU_MARKETPLACE_DATABASE_URL",
        "ZHIFU_MARKETPLACE_SECRET_KEY",
        "ZHIFU_OIDC_SIGNING_KEY",
        "ZHIFU_OIDC_CLIENT_SECRET",
    }
)


def _die_with_parent() -> None:  # runs in the child between fork and exec
    libc = ctypes.CDLL("libc.so.6", use_errno=True)
    libc.prctl(_PR_SET_PDEATHSIG, signal.SIGTERM)


def _ipv6_loopback() -> bool:
    try:
        with socket.socket(socket.AF_INET6, socket.SOCK_STREAM) as s:
            s.bind(("::1", 0))
        return True
    except OSError:
        return False


def site_urls(ports: Ports) -> dict[str, str]:
    """The demo's public URL of each site: its own host, its port."""
    return {site: f"http://{HOSTS[site]}:{port}" for site, port in vars(ports).items()}


def _port_free(address: str, port: int) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            s.bind((address, port))
        except OSError:
            return False
    return True


def _zhifu(*args: str, env: dict[str, str] | None = None) -> list[str]:
    data_dir = (os.environ if env is None else env)["ZHIFU_DATA_DIR"]
    return [sys.executable, "-m", "zhifu.cli", *args, "--data-dir", data_dir]


def _site(name: str) -> str:
    """The zhifu site a demo process runs: the second shop is the marketplace's code."""
    return "marketplace" if name == SECOND_SHOP.key else name


def _prepare(name: str, env: dict[str, str] | None) -> list[str]:
    """Migrate then seed one site, in one process (Django is set up once); return the
    credential lines its seeders print."""
    site = _site(name)
    seeded = subprocess.run(
        _zhifu("seed", site, "--migrate", env=env),
        env=env, check=False, stdout=subprocess.PIPE, text=True,
    )  # fmt: skip
    if seeded.returncode != 0:
        raise CommandError(f"migrating and seeding the {name} site failed", seeded.returncode)
    lines = seeded.stdout.splitlines()
    return [f"{SECOND_SHOP.name}: {line}" for line in lines] if name == SECOND_SHOP.key else lines


def healthy(url: str) -> bool:
    """True once the site's /healthz answers 200 {"status": "ok"}."""
    try:
        with urllib.request.urlopen(f"{url}/healthz", timeout=2) as resp:  # noqa: S310 - local
            return bool(resp.status == 200 and json.loads(resp.read()) == {"status": "ok"})
    except (OSError, ValueError):
        return False


def run_demo(ports: Ports, *, with_worker: bool = True, prepare_only: bool = False) -> None:
    """prepare_only: migrate and seed, then return without serving (nothing listens, so the
    ports are not checked; a later start seeds again with its own ports)."""
    data_dir = Path(os.environ.get("ZHIFU_DATA_DIR", "var")).resolve()
    data_dir.mkdir(parents=True, exist_ok=True, mode=0o700)
    urls = site_urls(ports)
    os.environ.update(
        ZHIFU_DEMO="1",
        ZHIFU_DATA_DIR=str(data_dir),
        ZHIFU_WALLET_URL=urls["wallet"],
        ZHIFU_MARKETPLACE_URL=urls["marketplace"],
        ZHIFU_CARDNET_URL=urls["cardnet"],
    )
    os.environ.pop("DATABASE_URL", None)  # the demo always runs on its own SQLite files
    for name, port in vars(ports).items():
        if not prepare_only and not _port_free(BIND_ADDRESSES[name], port):
            raise CommandError(
                f"port {port} of {BIND_ADDRESSES[name]} ({name}) is in use;"
                f" choose another with --{name}-port"
            )
    # The processes' environments: the demo's own, but the second shop's is its own.
    envs: dict[str, dict[str, str] | None] = {name: None for name in vars(ports)}
    SECOND_SHOP.data_dir(data_dir).mkdir(exist_ok=True, mode=0o700)
    envs[SECOND_SHOP.key] = SECOND_SHOP.environment(urls, data_dir)

    # Migrate and seed the sites in parallel: separate databases, separate processes.
    with ThreadPoolExecutor(max_workers=len(envs)) as pool:
        results = list(pool.map(_prepare, envs, envs.values()))
    credentials = [line for lines in results for line in lines]
    # The first shop shares the demo's data dir: its key is the one the wallet's seed made.
    first_key = data_dir / "secrets" / FIRST_SHOP_KEY
    demo_value(data_dir, SHOP_API_KEY, first_key.read_text)
    if prepare_only:
        print(f"zhifu demo: {data_dir} migrated and seeded", flush=True)
        return

    binds = {
        site: ["--bind", f"{BIND_ADDRESSES[site]}:{port}"] for site, port in vars(ports).items()
    }
    if _ipv6_loopback():
        binds["wallet"] += ["--bind", f"[::1]:{ports.wallet}"]
    commands = {
        name: _zhifu("serve", _site(name), *binds[name], "--workers", "1", env=envs[name])
        for name in binds
    }
    if with_worker:
        commands["worker"] = _zhifu("worker")
        envs["worker"] = None

    stopping = threading.Event()

    def _on_signal(signum: int, frame: FrameType | None) -> None:
        stopping.set()

    signal.signal(signal.SIGTERM, _on_signal)
    signal.signal(signal.SIGINT, _on_signal)

    children: dict[str, subprocess.Popen[bytes]] = {}

    def start(names: list[str]) -> None:
        for name in names:
            children[name] = subprocess.Popen(
                commands[name], env=envs[name], preexec_fn=_die_with_parent
            )

    try:
        deadline = time.monotonic() + HEALTH_TIMEOUT_S
        # The shops first: the second is registered at the wallet by discovery against it
        # before the wallet starts, so the wallet's first page already allows its sign-in.
        shops_first = [name for name in commands if name not in ("wallet", "worker")]
        start(shops_first)
        _wait_healthy({n: urls[n] for n in shops_first}, children, stopping, deadline)
        if not stopping.is_set():
            credentials += SECOND_SHOP.register(urls, data_dir)
            credentials.append(SECOND_SHOP.adopt_api_key(data_dir))
            start([name for name in commands if name not in shops_first])
            _wait_healthy({"wallet": urls["wallet"]}, children, stopping, deadline)
        if not stopping.is_set():
            shops = {"marketplace": data_dir, SECOND_SHOP.key: SECOND_SHOP.data_dir(data_dir)}
            credentials += [
                register_webhook(urls["wallet"], urls[name], shop_dir)
                for name, shop_dir in shops.items()
            ]
            _banner(urls, credentials, data_dir)
        while not stopping.is_set():
            _check_children(children)
            time.sleep(0.5)
    finally:
        _stop(children)
    print("zhifu demo stopped.", flush=True)


def register_webhook(wallet_url: str, shop_url: str, shop_dir: Path) -> str:
    """Give the shop a webhook endpoint at the wallet, through the SDK with the shop's own
    key, unless it has one with a secret already; the line to print. The secret (shown only
    in the answer that made it) goes to the shop's secrets folder (mode 0600)."""
    from zhifu.client import Client, NotFoundError, ZhifuError
    from zhifu.config.secrets import demo_value

    url = f"{shop_url}/webhooks/zhifu/"
    secrets_dir = shop_dir / "secrets"
    client = Client((secrets_dir / SHOP_API_KEY).read_text().strip(), f"{wallet_url}/api/v1")
    try:
        existing = [e for e in client.webhook_endpoints.list(limit=100) if e.url == url]
        if existing and (secrets_dir / SHOP_WEBHOOK_SECRET).is_file():
            return f"webhook endpoint {existing[0].id} -> {url}"
        for old in existing:  # its secret is lost: replace it
            client.webhook_endpoints.delete(old.id)
        made = client.webhook_endpoints.create(url=url, enabled_events=WEBHOOK_EVENTS)
    except NotFoundError:
        return f"webhooks: not served by this wallet yet; orders at {shop_url} stay unconfirmed"
    except ZhifuError as exc:
        return f"webhooks: registering {url} failed ({exc.code or exc}); orders stay unconfirmed"
    if made.secret:
        (secrets_dir / SHOP_WEBHOOK_SECRET).unlink(missing_ok=True)
        demo_value(shop_dir, SHOP_WEBHOOK_SECRET, lambda: made.secret or "")
    return f"webhook endpoint {made.id} -> {url}"


def _wait_healthy(
    urls: dict[str, str],
    children: dict[str, subprocess.Popen[bytes]],
    stopping: threading.Event,
    deadline: float,
) -> None:
    pending = dict(urls)
    while pending and not stopping.is_set():
        for site, url in list(pending.items()):
            if healthy(url):
                del pending[site]
        _check_children(children)
        if time.monotonic() > deadline:
            raise CommandError(f"not healthy after {HEALTH_TIMEOUT_S} s: {', '.join(pending)}")
        time.sleep(0.2)


def _check_children(children: dict[str, subprocess.Popen[bytes]]) -> None:
    for name, child in children.items():
        code = child.poll()
        if code is not None:
            raise CommandError(f"the {name} process exited with status {code}")


def _stop(children: dict[str, subprocess.Popen[bytes]]) -> None:
    for child in children.values():
        if child.poll() is None:
            child.send_signal(signal.SIGTERM)
    deadline = time.monotonic() + STOP_TIMEOUT_S
    for child in children.values():
        try:
            child.wait(timeout=max(0.1, deadline - time.monotonic()))
        except subprocess.TimeoutExpired:
            child.kill()
            child.wait()


def _banner(urls: dict[str, str], credentials: list[str], data_dir: Path) -> None:
    lines = [
        "",
        "zhifu demo is running (Ctrl-C stops it)",
        f"  wallet       {urls['wallet']}",
        f"  marketplace  {urls['marketplace']}   (the shop; sign in here)",
        f"  {SECOND_SHOP.key:<12} {urls[SECOND_SHOP.key]}   ({SECOND_SHOP.name}, a second shop"
        " on the same wallet)",
        f"  cardnet      {urls['cardnet']}   (test cards)",
        f"  demo mail    {urls['wallet']}/_dev/mail/  and  {urls['marketplace']}/_dev/mail/",
        f"  data         {data_dir}",
    ]
    if credentials:
        lines.append("demo accounts and data:")
        lines += [f"  {line}" for line in credentials]
    print("\n".join(lines) + "\n", flush=True)
