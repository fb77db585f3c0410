"""`zhifu demo` as a subprocess on free ports: the one harness of tests/system and tests/e2e.

The demo and every process it starts share the test run's pinned clock (tests/harness/clock).

Migrating and seeding four sites is most of a fresh start's CPU, and gives the same data
every time: each test process has `zhifu demo --prepare-only` make one data directory,
and each Demo starts on a copy of its own (its own files, secrets and mail; the demo seeds
it again with its own ports). `Demo(..., fresh=True)` starts on an empty directory instead,
as a newcomer's `make demo` does.
"""

from __future__ import annotations

import atexit
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

from tests.harness import clock
from zhifu.demo import BIND_ADDRESSES, SECOND_SHOP, Ports, healthy, site_urls

# A guard against a hang, never a timing check: a fresh start (four sites migrated and
# seeded at once) has taken over 120 s on a 2-core machine under a load of 27.
HEALTHY_WITHIN_S = 300
# The demo's shops, as keys of Demo.urls: the reference shop and the second one.
SHOP_SITES = ("marketplace", SECOND_SHOP.key)


def free_port(address: str = "127.0.0.1") -> int:
    """A port free on address (each demo site listens on its own loopback address)."""
    with socket.socket() as s:
        s.bind((address, 0))
        return int(s.getsockname()[1])


def processes_mentioning(text: str) -> list[int]:
    """PIDs whose command line contains text (the demo passes --data-dir to every child)."""
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit() or int(entry.name) == os.getpid():
            continue
        try:
            cmdline = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode()
        except OSError:
            continue
        if text in cmdline:
            found.append(int(entry.name))
    return found


def demo_env() -> dict[str, str]:
    """The test process's environment without its zhifu settings (the demo runs on its own
    SQLite files and data directory), plus the pinned clock."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("ZHIFU_")}
    env.pop("DATABASE_URL", None)
    return clock.subprocess_env(env)


READY_LINE = "zhifu demo is running"

_prepared: Path | None = None
_preparing = threading.Lock()


def prepared_data_dir() -> Path:
    """This process's migrated and seeded demo data directory (made on first use, by the
    demo itself, on ports nobody listens on; removed when the process exits)."""
    global _prepared
    with _preparing:
        if _prepared is None:
            root = Path(tempfile.mkdtemp(prefix="zhifu-demo-template-"))
            atexit.register(shutil.rmtree, root, ignore_errors=True)
            data_dir = root / "data"
            done = subprocess.run(
                [sys.executable, "-m", "zhifu.cli", "demo", "--prepare-only",
                 "--data-dir", str(data_dir)],
                env=demo_env(), capture_output=True, text=True, timeout=HEALTHY_WITHIN_S,
                check=False,
            )  # fmt: skip
            if done.returncode != 0:
                raise AssertionError(
                    f"zhifu demo --prepare-only failed:\n{done.stdout}{done.stderr}"
                )
            _prepared = data_dir
        return _prepared


class Demo:
    """One `zhifu demo` (the three sites, the second shop and the worker); its whole output
    goes to `log`."""

    def __init__(
        self, data_dir: Path, env: dict[str, str] | None = None, *, fresh: bool = False
    ) -> None:
        self.data_dir = data_dir
        self.env = env or {}  # settings of this demo's own (the tests' ZHIFU_* are dropped)
        self.fresh = fresh  # start on an empty data dir, not on a copy of the prepared one
        self.ports = {site: free_port(address) for site, address in BIND_ADDRESSES.items()}
        self.urls = site_urls(Ports(**self.ports))
        self.log = data_dir.parent / "demo.log"
        self.proc: subprocess.Popen[bytes] | None = None

    def start(self) -> float:
        """Start the demo; return seconds until every site answered /healthz."""
        started = time.monotonic()
        if not self.fresh and not self.data_dir.exists():
            # Settings of this demo's own (self.env) are read when it serves, not when it
            # seeds: one prepared directory serves every Demo.
            shutil.copytree(prepared_data_dir(), self.data_dir, symlinks=True)
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "zhifu.cli", "demo", "--data-dir", str(self.data_dir),
             *[f"--{site}-port={port}" for site, port in self.ports.items()]],
            env={**demo_env(), **self.env}, stdout=self.log.open("wb"), stderr=subprocess.STDOUT,
            start_new_session=True,
        )  # fmt: skip
        pending = set(self.urls)
        while pending:
            if self.proc.poll() is not None:
                raise AssertionError(f"zhifu demo exited early:\n{self.output()}")
            if time.monotonic() - started > HEALTHY_WITHIN_S:
                raise AssertionError(f"not healthy: {pending}\n{self.output()}")
            pending = {site for site in pending if not healthy(self.urls[site])}
            time.sleep(0.2)
        # The banner (credentials, the second shop) is printed once the demo itself has seen
        # every site answer, which may be a moment after this process has.
        while READY_LINE not in self.output():
            if self.proc.poll() is not None or time.monotonic() - started > HEALTHY_WITHIN_S:
                raise AssertionError(f"no banner:\n{self.output()}")
            time.sleep(0.2)
        return time.monotonic() - started

    def stop(self, sig: int = signal.SIGTERM) -> int:
        """Send sig (SIGTERM: the demo stops its children) and return the exit code; a demo
        still running after 30 s is killed with its whole process group."""
        assert self.proc is not None
        if self.proc.poll() is not None:
            return self.proc.returncode
        self.proc.send_signal(sig)
        try:
            return self.proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(self.proc.pid, signal.SIGKILL)
            return self.proc.wait()

    def kill_leftovers(self) -> None:
        """After a test: the demo and anything of it still running, killed."""
        if self.proc is not None and self.proc.poll() is None:
            self.proc.kill()
        for pid in processes_mentioning(str(self.data_dir)):
            os.kill(pid, signal.SIGKILL)

    def output(self) -> str:
        return self.log.read_text("utf-8", "replace")

    def ledger_check(self) -> subprocess.CompletedProcess[str]:
        """`zhifu ledger check` on this demo's wallet database (while or after it runs)."""
        env = {**demo_env(), "ZHIFU_DEMO": "1", "ZHIFU_WALLET_URL": self.urls["wallet"]}
        return subprocess.run(
            [sys.executable, "-m", "zhifu.cli", "ledger", "check",
             "--data-dir", str(self.data_dir)],
            env=env, capture_output=True, text=True, timeout=120, check=False,
        )  # fmt: skip
