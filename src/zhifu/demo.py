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
import time
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from types import FrameType

from zhifu.config.runtime import CommandError

HEALTH_TIMEOUT_S = 60
STOP_TIMEOUT_S = 15
_PR_SET_PDEATHSIG = 1


# Each site on its own loopback host (SEC-20): browsers keep cookies per host, whatever
# the port, so sites sharing a host could read and plant each other's cookies. The wallet
# is "localhost" (127.0.0.1 and ::1); 127.0.0.3 is kept for a second shop.
HOSTS = {"wallet": "localhost", "marketplace": "127.0.0.1", "cardnet": "127.0.0.2"}
# The addresses each site listens on (the wallet also on ::1 where the machine has it).
BIND_ADDRESSES = {"wallet": "127.0.0.1", "marketplace": "127.0.0.1", "cardnet": "127.0.0.2"}


@dataclass(frozen=True)
class Ports:
    wallet: int = 8000
    marketplace: int = 8001
    cardnet: int = 8002


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


def _zhifu(*args: str) -> list[str]:
    data_dir = os.environ["ZHIFU_DATA_DIR"]
    return [sys.executable, "-m", "zhifu.cli", *args, "--data-dir", data_dir]


def _prepare(site: str) -> list[str]:
    """Migrate then seed one site; return the credential lines its seeders print."""
    done = subprocess.run(_zhifu("migrate", site), check=False)
    if done.returncode != 0:
        raise CommandError(f"migrating the {site} database failed", done.returncode)
    seeded = subprocess.run(_zhifu("seed", site), check=False, capture_output=True, text=True)
    if seeded.returncode != 0:
        sys.stderr.write(seeded.stderr)
        raise CommandError(f"seeding the {site} demo data failed", seeded.returncode)
    return seeded.stdout.splitlines()


def healthy(url: str) -> bool:
    """True once the site's /healthz answers 200 {"status": "ok"}."""
    try:
        with urllib.request.urlopen(f"{url}/healthz", timeout=2) as resp:  # noqa: S310 - local
            return bool(resp.status == 200 and json.loads(resp.read()) == {"status": "ok"})
    except (OSError, ValueError):
        return False


def run_demo(ports: Ports, *, with_worker: bool = True) -> None:
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
        if not _port_free(BIND_ADDRESSES[name], port):
            raise CommandError(
                f"port {port} of {BIND_ADDRESSES[name]} ({name}) is in use;"
                f" choose another with --{name}-port"
            )

    # Migrate and seed the three sites in parallel: separate databases, separate processes.
    with ThreadPoolExecutor(max_workers=3) as pool:
        results = list(pool.map(_prepare, ("wallet", "marketplace", "cardnet")))
    credentials = [line for lines in results for line in lines]

    binds = {
        site: ["--bind", f"{BIND_ADDRESSES[site]}:{port}"] for site, port in vars(ports).items()
    }
    if _ipv6_loopback():
        binds["wallet"] += ["--bind", f"[::1]:{ports.wallet}"]
    commands = {site: _zhifu("serve", site, *binds[site], "--workers", "1") for site in binds}
    if with_worker:
        commands["worker"] = _zhifu("worker")

    stopping = False

    def _on_signal(signum: int, frame: FrameType | None) -> None:
        nonlocal stopping
        stopping = True

    signal.signal(signal.SIGTERM, _on_signal)
    signal.signal(signal.SIGINT, _on_signal)

    children = {
        name: subprocess.Popen(cmd, preexec_fn=_die_with_parent) for name, cmd in commands.items()
    }
    try:
        deadline = time.monotonic() + HEALTH_TIMEOUT_S
        pending = dict(urls)
        while pending and not stopping:
            for site, url in list(pending.items()):
                if healthy(url):
                    del pending[site]
            _check_children(children)
            if time.monotonic() > deadline:
                raise CommandError(f"not healthy after {HEALTH_TIMEOUT_S} s: {', '.join(pending)}")
            time.sleep(0.2)
        if not stopping:
            _banner(urls, credentials, data_dir)
        while not stopping:
            _check_children(children)
            time.sleep(0.5)
    finally:
        _stop(children)
    print("zhifu demo stopped.", flush=True)


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
        f"  cardnet      {urls['cardnet']}   (test cards)",
        f"  demo mail    {urls['wallet']}/_dev/mail/  and  {urls['marketplace']}/_dev/mail/",
        f"  data         {data_dir}",
    ]
    if credentials:
        lines.append("demo accounts and data:")
        lines += [f"  {line}" for line in credentials]
    print("\n".join(lines) + "\n", flush=True)
