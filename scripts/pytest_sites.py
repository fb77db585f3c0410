"""Run the test suite for every site, each in its own pytest process.

tests/unit needs no Django; tests/<site>/ runs under tests.settings.<site>.
ZHIFU_TEST_DB (sqlite | postgres) chooses the database; extra arguments go to pytest.
"""

from __future__ import annotations

import os
import subprocess
import sys

SUITES = [
    ("unit", None),
    ("wallet", "tests.settings.wallet"),
    ("marketplace", "tests.settings.marketplace"),
    ("cardnet", "tests.settings.cardnet"),
]


def main() -> int:
    db = os.environ.get("ZHIFU_TEST_DB", "sqlite")
    failed = []
    for suite, settings in SUITES:
        path = f"tests/{suite}"
        if settings is None and db != "sqlite":
            continue  # framework-free tests do not touch a database: run them once
        cmd = [sys.executable, "-m", "pytest", path, "-p", "no:cacheprovider"]
        if settings is None:
            cmd += ["-p", "no:django"]
        else:
            cmd += ["--ds", settings]
        cmd += sys.argv[1:]
        print(f"\n=== {suite} on {db} ===", flush=True)
        code = subprocess.run(cmd, check=False).returncode
        if code not in (0, 5):  # 5: no tests collected
            failed.append(suite)
    if failed:
        print(f"\nFAILED on {db}: {', '.join(failed)}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
