"""End-to-end tests: `zhifu demo` as a subprocess on free ports, driven by Debian's chromium.

The browser is never downloaded: Playwright launches /usr/bin/chromium (`make e2e` installs
it with apt when it is missing). Screenshots go to test-output/e2e/<test>/.
"""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
    "--disable-sync",
]
ROOT = Path(__file__).resolve().parents[2]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _healthy(url: str) -> bool:
    try:
        with urllib.request.urlopen(f"{url}/healthz", timeout=2) as resp:  # noqa: S310 - local
            return bool(resp.status == 200)
    except OSError:
        return False


class DemoSystem:
    def __init__(self, data_dir: Path) -> None:
        self.data_dir = data_dir
        ports = {"wallet": _free_port(), "marketplace": _free_port(), "cardnet": _free_port()}
        self.ports = ports
        self.urls = {
            "wallet": f"http://localhost:{ports['wallet']}",
            "marketplace": f"http://127.0.0.1:{ports['marketplace']}",
            "cardnet": f"http://127.0.0.1:{ports['cardnet']}",
        }
        self.log = data_dir.parent / "demo.log"
        self.proc: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        env = {k: v for k, v in os.environ.items() if not k.startswith("ZHIFU_")}
        env.pop("DATABASE_URL", None)  # the demo runs on its own SQLite files
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "zhifu.cli", "demo", "--data-dir", str(self.data_dir),
             *[f"--{site}-port={port}" for site, port in self.ports.items()]],
            env=env, stdout=self.log.open("wb"), stderr=subprocess.STDOUT,
            start_new_session=True,
        )  # fmt: skip
        deadline = time.monotonic() + 120
        pending = set(self.urls)
        while pending:
            if self.proc.poll() is not None:
                raise AssertionError(f"zhifu demo exited early:\n{self.log.read_text()}")
            if time.monotonic() > deadline:
                raise AssertionError(f"not healthy: {pending}\n{self.log.read_text()}")
            pending = {s for s in pending if not _healthy(self.urls[s])}
            time.sleep(0.3)

    def stop(self) -> None:
        if self.proc is None or self.proc.poll() is not None:
            return
        self.proc.send_signal(signal.SIGTERM)  # the demo stops its children
        try:
            self.proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(self.proc.pid, signal.SIGKILL)
            self.proc.wait()


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Iterator[DemoSystem]:
    system = DemoSystem(tmp_path_factory.mktemp("e2e") / "data")
    system.start()
    yield system
    system.stop()


@pytest.fixture(scope="module")
def browser() -> Iterator[object]:
    if not Path(CHROMIUM).exists():
        pytest.fail(f"{CHROMIUM} is missing: run `make chromium` (apt-get install -y chromium)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        instance = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield instance
        instance.close()


@pytest.fixture
def shots(request: pytest.FixtureRequest) -> Path:
    """test-output/e2e/<test name>/, emptied first."""
    out = ROOT / "test-output" / "e2e" / request.node.name
    shutil.rmtree(out, ignore_errors=True)
    out.mkdir(parents=True)
    return out
