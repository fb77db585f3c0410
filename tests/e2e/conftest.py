"""End-to-end tests: `zhifu demo` as a subprocess on free ports, driven by Debian's chromium.

The browser is never downloaded: Playwright launches /usr/bin/chromium (`make browser` installs
it with apt when it is missing). Screenshots go to test-output/e2e/<test>/.

Every demo's whole output (all its processes' logs) goes to <tmp>/demo.log; every response
the browser sees is recorded; at the end of the session the leak scan (tests/harness/leaks.py)
searches logs, e-mails, pages and databases for what the tests typed, and writes its report
to test-output/e2e/leak-scan.json.
"""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.harness import leaks
from tests.harness.demo import Demo

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


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory, recorder: leaks.Recorder) -> Iterator[Demo]:
    system = Demo(tmp_path_factory.mktemp("e2e") / "data")
    recorder.demos.append(system)
    system.start()
    yield system
    # Whatever the module's buyers paid, refunded or abandoned, the ledger is whole.
    checked = system.ledger_check()
    system.stop()
    assert checked.returncode == 0, checked.stdout + checked.stderr
    assert "every invariant holds" in checked.stdout


@pytest.fixture(scope="module")
def browser(recorder: leaks.Recorder) -> Iterator[object]:
    if not Path(CHROMIUM).exists():
        pytest.fail(f"{CHROMIUM} is missing: run `make browser` (apt-get install -y chromium)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        instance = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield leaks.RecordingBrowser(instance, recorder)
        instance.close()


@pytest.fixture
def shots(request: pytest.FixtureRequest) -> Path:
    """test-output/e2e/<test name>/, emptied first."""
    out = ROOT / "test-output" / "e2e" / request.node.name
    shutil.rmtree(out, ignore_errors=True)
    out.mkdir(parents=True)
    return out


@pytest.fixture(scope="session")
def recorder() -> Iterator[leaks.Recorder]:
    """Session-wide record of the browser's traffic and the demos; scanned at the end."""
    rec = leaks.Recorder()
    yield rec
    leaks.check(rec, ROOT / "test-output" / "e2e" / "leak-scan.json")
