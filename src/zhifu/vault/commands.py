"""`zhifu vault status`, `zhifu vault rotate-keys` (see docs/keys.md) and `zhifu vault
alerts` (decline bursts, docs/security.md SEC-36).

rotate-keys adds a master key version and re-wraps every data key under it:

* ring in a file (<data-dir>/secrets/vault_master_keys, the demo's and a file-based
  deployment's case): the new version is appended to the file (atomically, mode 0600), then
  every data key is re-wrapped. Running wallets re-read the file when it changes.
* ring in ZHIFU_VAULT_MASTER_KEYS: this process cannot change the operator's deployment, so
  it prints the new ring line and stops. Deploy that line to every wallet process, then run
  `zhifu vault rotate-keys --rewrap-only`.

Old versions stay readable the whole time; retire one only when `zhifu vault status` shows
0 records on it.
"""

from __future__ import annotations

import argparse
import os
import secrets
import sys
from pathlib import Path
from typing import Any

from zhifu.config.runtime import open_site


def _fail(message: str, status: int) -> None:
    """One line on stderr and a status (SystemExit: the same under `python -m zhifu.cli`)."""
    print(f"zhifu: {message}", file=sys.stderr)
    raise SystemExit(status)


def register(sub: Any, common: argparse.ArgumentParser) -> None:
    p = sub.add_parser("vault", parents=[common], help="card vault: key status and rotation")
    vsub = p.add_subparsers(dest="vault_command", required=True, metavar="VAULT_COMMAND")
    s = vsub.add_parser("status", parents=[common], help="records per master key version")
    s.set_defaults(func=cmd_status)
    r = vsub.add_parser(
        "rotate-keys",
        parents=[common],
        help="add a master key version and re-wrap every data key under it",
    )
    r.add_argument(
        "--rewrap-only",
        action="store_true",
        help="do not add a key; re-wrap every data key under the newest version in the ring",
    )
    r.add_argument("--batch", type=int, default=500, help="records per transaction")
    r.set_defaults(func=cmd_rotate)
    a = vsub.add_parser(
        "alerts", parents=[common], help="bursts of declined card checks (card testing)"
    )
    a.add_argument("--hours", type=int, default=24, help="bursts active in the last N hours")
    a.set_defaults(func=cmd_alerts)


def _setup() -> None:
    open_site("wallet")  # both databases: the vault's and the main one (audit, outbox)


def cmd_status(args: argparse.Namespace) -> None:
    _setup()
    from zhifu.vault import services

    st = services.status()
    print(f"key ring versions: {', '.join(map(str, st.ring_versions))} (current: {st.current})")
    print("version  records  state")
    for version, count in st.records_by_version.items():
        if version not in st.ring_versions:
            state = "MISSING FROM RING: these cards cannot be decrypted"
        elif version == st.current:
            state = "current"
        elif count == 0:
            state = "old, no records: may be retired"
        else:
            state = "old: run `zhifu vault rotate-keys --rewrap-only`"
        print(f"{version:>7}  {count:>7}  {state}")
    if st.missing_versions:
        _fail("records exist under key versions missing from the ring", 1)


def _write_ring(path: Path, text: str) -> None:
    tmp = path.with_name(f".{path.name}.{os.getpid()}.{secrets.token_hex(4)}")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w") as fh:
        fh.write(text + "\n")
        fh.flush()
        os.fsync(fh.fileno())
    os.replace(tmp, path)


def cmd_rotate(args: argparse.Namespace) -> None:
    _setup()
    from zhifu.vault import crypto, keys, services

    if not args.rewrap_only:
        ring, version = keys.key_ring().with_new_key()
        if keys.ring_from_environment():
            print(
                "The key ring comes from ZHIFU_VAULT_MASTER_KEYS, which this command cannot "
                "change. Deploy this value to every wallet process (keep it secret):\n"
            )
            print(f"ZHIFU_VAULT_MASTER_KEYS={ring.serialize()}\n")
            _fail("then run `zhifu vault rotate-keys --rewrap-only`; nothing was re-wrapped", 4)
        path = keys.ring_file()
        if not os.access(path, os.W_OK):
            _fail(
                f"{path} is not writable: add a version to it by hand (see docs/keys.md), "
                "then run `zhifu vault rotate-keys --rewrap-only`",
                4,
            )
        _write_ring(path, ring.serialize())
        print(f"added master key version {version} to {path}")
    try:
        report = services.rewrap_all(batch=args.batch)
    except crypto.VaultError as exc:
        _fail(str(exc), 1)
    print(f"re-wrapped {report.rewrapped} data key(s) under version {report.target_version}")
    cmd_status_after = services.status()
    for version, count in cmd_status_after.records_by_version.items():
        print(f"  version {version}: {count} record(s)")


def cmd_alerts(args: argparse.Namespace) -> None:
    """One line per burst of declines, newest first: no card data (a card shows as the
    start of its keyed fingerprint)."""
    _setup()
    import datetime as dt

    from zhifu.kernel import clock
    from zhifu.vault import services

    alerts = services.decline_alerts(since=clock.now() - dt.timedelta(hours=args.hours))
    if not alerts:
        print(f"no decline bursts in the last {args.hours} hours")
        return
    print("alert  first (UTC)       last (UTC)        declines  kind     subject")
    for a in alerts:
        print(
            f"{a.id:>5}  {a.first_at:%Y-%m-%d %H:%M}  {a.last_at:%Y-%m-%d %H:%M}  "
            f"{a.declines:>8}  {a.kind:<7}  {a.subject}"
        )
