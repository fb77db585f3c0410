"""Run the test suite for every site, each in its own pytest process.

tests/unit needs no Django; tests/<site>/ runs under tests.settings.<site>.
ZHIFU_TEST_DB (sqlite | postgres) chooses the database; extra arguments go to pytest.

`--dates` runs the tests that read the clock (DATE_SENSITIVE) on SQLite once at each of the
pinned dates in tests/harness/clock.py (ZHIFU_TEST_NOW), instead of the whole suite once.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import IO

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tests.harness.clock import DATES  # noqa: E402
from tests.settings import DB_PREFIX, db_prefix  # noqa: E402

SUITES = [
    ("unit", None),
    ("wallet", "tests.settings.wallet"),
    ("marketplace", "tests.settings.marketplace"),
    ("cardnet", "tests.settings.cardnet"),
]
# xdist workers, for the suites long enough to repay their start-up (a few seconds each);
# an idle worker takes queued tests from the busy one.
WORKERS = {"wallet": ["-n", "2", "--dist", "worksteal"]}
# The modules that alone set the pace of their database's pass, minutes each of work one
# step after another: the ledger state machine, the card canary (1,000 cards) and the
# webhook deliveries (10,000 events). Each runs in a process of its own, started first,
# beside the rest of the pass: on a worker of the rest, one of them started late kept its
# pass going with the other worker idle.
ALONE = {
    "wallet": [
        "tests/wallet/ledger/test_stateful.py",
        "tests/wallet/vault/test_canary.py",
        "tests/wallet/webhooks/test_delivery.py",
    ]
}
# Every module whose outcome could change with the date: what it tests reads the clock
# (card expiry, e-mail link and session lifetimes, lockouts, step-up proofs, signed values
# max_age, FX rate staleness and quotes, outbox back-off, statements, ids, tokens, order
# numbers).
DATE_SENSITIVE = {
    "unit": [
        "tests/unit/vault/test_card_rules.py",
        "tests/unit/vault/test_card_rules_properties.py",
        "tests/unit/fx/test_domain.py",
        "tests/unit/kernel/test_ids_secret_clock.py",
        "tests/unit/ledger/test_domain.py",
        "tests/unit/harness/test_clock_pin.py",
        "tests/unit/kernel/test_signing.py",
        "tests/unit/outbox/test_retry.py",
        "tests/unit/kernel/test_local_time.py",
    ],
    "wallet": [
        "tests/wallet/recovery/test_time_zones.py",
        "tests/wallet/merchants/test_keys.py",
        "tests/wallet/merchants/test_idempotency_rules.py",
        "tests/wallet/merchants/test_killed_request.py",
        "tests/wallet/merchants/test_api.py",
        "tests/wallet/webhooks/test_signature.py",
        "tests/wallet/webhooks/test_api.py",
        "tests/wallet/payments/test_services.py",
        "tests/wallet/payments/test_services_flows.py",
        "tests/wallet/payments/test_services_ledger.py",
        "tests/wallet/payments/test_services_fx.py",
        "tests/wallet/security/test_shop_linking.py",
        "tests/wallet/vault/test_services.py",
        "tests/wallet/vault/test_pages.py",
        "tests/wallet/security/test_card_testing.py",
        "tests/wallet/accounts/test_domain.py",
        "tests/wallet/accounts/test_email_gate.py",
        "tests/wallet/accounts/test_sessions.py",
        "tests/wallet/accounts/test_sso.py",
        "tests/wallet/credentials/test_domain.py",
        "tests/wallet/credentials/test_payment_password.py",
        "tests/wallet/credentials/test_step_up.py",
        "tests/wallet/fx/test_fx.py",
        "tests/wallet/outbox/test_outbox.py",
        "tests/wallet/ledger/test_ledger.py",
        "tests/wallet/ledger/test_commands.py",
        "tests/wallet/web/test_cookie_lifetimes.py",
        "tests/wallet/payments/test_cashier.py",
        "tests/wallet/payments/test_cashier_history.py",
        "tests/wallet/recovery/test_flow.py",
        "tests/wallet/recovery/test_limits.py",
        "tests/wallet/recovery/test_cool_off.py",
        "tests/wallet/payments/test_restrictions.py",
        "tests/wallet/payments/test_cashier_restrictions.py",
    ],
    "marketplace": [
        "tests/marketplace/test_accounts.py",
        "tests/marketplace/test_oidc.py",
        "tests/marketplace/test_shop.py",
        "tests/marketplace/site/test_cookie_lifetimes.py",
        "tests/marketplace/security/test_lockout_abuse.py",
        "tests/marketplace/security/test_refresh_tokens.py",
        "tests/marketplace/security/test_enumeration.py",
    ],
    "cardnet": [
        "tests/cardnet/verifications/test_api.py",
        "tests/cardnet/payments/test_api.py",
        "tests/cardnet/payments/test_challenge.py",
        "tests/cardnet/payments/test_connector.py",
    ],
}


def pytest(settings: str | None, paths: list[str], *options: str) -> list[str]:
    cmd = [sys.executable, "-m", "pytest", *paths, "-p", "no:cacheprovider"]
    cmd += ["-p", "no:django"] if settings is None else ["--ds", settings]
    return [*cmd, *options, *sys.argv[1:]]


def run(
    suite: str, settings: str | None, paths: list[str], env: dict[str, str], *, workers: bool = True
) -> int:
    cmd = pytest(settings, paths, *(WORKERS.get(suite, []) if workers else []))
    return subprocess.run(cmd, check=False, env=env, cwd=ROOT).returncode


def whole_suite(db: str) -> list[str]:
    failed = []
    with contextlib.ExitStack() as outputs:
        tests = [(settings, path) for suite, settings in SUITES for path in ALONE.get(suite, [])]
        alone = [start_alone(*test, n, outputs) for n, test in enumerate(tests)]
        for suite, settings in SUITES:
            if settings is None and db != "sqlite":
                continue  # framework-free tests do not touch a database: run them once
            print(f"\n=== {suite} on {db} ===", flush=True)
            rest = [f"--ignore={path}" for path in ALONE.get(suite, [])]
            if run(suite, settings, [f"tests/{suite}", *rest], dict(os.environ)) not in (0, 5):
                failed.append(f"{suite} on {db}")  # 5: no tests collected
        for path, proc, out in alone:
            code = proc.wait()
            print(f"\n=== {path} on {db} (beside the rest) ===", flush=True)
            out.seek(0)
            shutil.copyfileobj(out, sys.stdout.buffer)
            sys.stdout.flush()
            if code not in (0, 5):
                failed.append(f"{path} on {db}")
    return failed


def start_alone(
    settings: str | None, path: str, n: int, outputs: contextlib.ExitStack
) -> tuple[str, subprocess.Popen[bytes], IO[bytes]]:
    """Start one of ALONE's tests, on test databases of its own beside the rest's; its
    output is kept for the end of the pass."""
    out = outputs.enter_context(tempfile.TemporaryFile())  # noqa: SIM115 - closed by outputs
    env = {**os.environ, DB_PREFIX: f"{db_prefix()}_alone{n}"}
    proc = subprocess.Popen(pytest(settings, [path]), env=env, cwd=ROOT, stdout=out, stderr=out)
    return path, outputs.enter_context(proc), out


def at_each_date() -> list[str]:
    missing = [p for paths in DATE_SENSITIVE.values() for p in paths if not (ROOT / p).exists()]
    if missing:
        raise SystemExit(f"DATE_SENSITIVE in {__file__} names missing modules: {missing}")
    failed = []
    for date in DATES:
        env = {**os.environ, "ZHIFU_TEST_DB": "sqlite", "ZHIFU_TEST_NOW": date}
        env.pop("ZHIFU_TEST_NOW_AT", None)
        for suite, settings in SUITES:
            print(f"\n=== {suite} at {date} ===", flush=True)
            # One process, no xdist workers: `make test` keeps both cores busy with its other
            # jobs, and a second worker (its own start-up, collection and migrations) cost the
            # wallet's date modules 65 s of CPU where one process takes 46 s.
            if run(suite, settings, DATE_SENSITIVE[suite], env, workers=False) != 0:
                failed.append(f"{suite} at {date}")
    return failed


def main() -> int:
    if "--dates" in sys.argv:
        sys.argv.remove("--dates")
        failed = at_each_date()
    else:
        failed = whole_suite(os.environ.get("ZHIFU_TEST_DB", "sqlite"))
    if failed:
        print(f"\nFAILED: {', '.join(failed)}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
