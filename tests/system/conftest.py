from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from zhifu.demo import healthy


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
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


class Demo:
    def __init__(self, data_dir: Path) -> None:
        self.data_dir = data_dir
        self.ports = {"wallet": free_port(), "marketplace": free_port(), "cardnet": free_port()}
        self.urls = {
            "wallet": f"http://localhost:{self.ports['wallet']}",
            "marketplace": f"http://127.0.0.1:{self.ports['marketplace']}",
            "cardnet": f"http://127.0.0.1:{self.ports['cardnet']}",
        }
        self.proc: subprocess.Popen[str] | None = None
        self.log = data_dir.parent / f"demo-{time.monotonic_ns()}.log"

    def start(self) -> float:
        """Start the demo; return seconds until every site answered /healthz."""
        env = {k: v for k, v in os.environ.items() if not k.startswith("ZHIFU_")}
        env.pop("DATABASE_URL", None)
        started = time.monotonic()
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "zhifu.cli", "demo", "--data-dir", str(self.data_dir),
             *[f"--{site}-port={port}" for site, port in self.ports.items()]],
            env=env, stdout=self.log.open("w"), stderr=subprocess.STDOUT, text=True,
        )  # fmt: skip
        pending = set(self.urls)
        while pending:
            if self.proc.poll() is not None:
                raise AssertionError(f"demo exited early:\n{self.log.read_text()}")
            if time.monotonic() - started > 90:
                raise AssertionError(f"not healthy: {pending}\n{self.log.read_text()}")
            pending = {site for site in pending if not healthy(self.urls[site])}
            time.sleep(0.2)
        return time.monotonic() - started

    def stop(self, sig: int = signal.SIGTERM) -> int:
        assert self.proc is not None
        self.proc.send_signal(sig)
        return self.proc.wait(timeout=30)

    def output(self) -> str:
        return self.log.read_text()


@pytest.fixture
def demo(tmp_path: Path) -> Iterator[Demo]:
    d = Demo(tmp_path / "data")
    yield d
    if d.proc is not None and d.proc.poll() is None:
        d.proc.kill()
    for pid in processes_mentioning(str(d.data_dir)):
        os.kill(pid, signal.SIGKILL)
