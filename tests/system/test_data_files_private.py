"""Hardening finding: the data directory and the files in it are the owner's alone.

They hold live session keys, one-time links (the demo mailbox) and secrets; the CLI creates
the directory 0700 and every file 0600 whatever the caller's umask."""

from __future__ import annotations

import os
import stat
from pathlib import Path

from tests.system.test_cli import zhifu


def modes(root: Path) -> dict[str, int]:
    found = {".": stat.S_IMODE(root.stat().st_mode)}
    for path in root.rglob("*"):
        found[str(path.relative_to(root))] = stat.S_IMODE(path.stat().st_mode)
    return found


def test_data_files_private_after_migrate_and_seed(tmp_path: Path) -> None:
    data = tmp_path / "var" / "data"
    env = {"ZHIFU_DEMO": "1"}
    old = os.umask(0o022)  # the usual default, which leaves files world-readable
    try:
        assert zhifu("migrate", "--data-dir", str(data), env=env).returncode == 0
        assert zhifu("seed", "marketplace", "--data-dir", str(data), env=env).returncode == 0
        shell = "from zhifu.web.mail import EmlFileBackend; from django.core.mail import EmailMessage; EmlFileBackend().send_messages([EmailMessage('s', 'b', 'a@x.test', ['b@x.test'])])"  # noqa: E501
        sent = zhifu("manage", "--data-dir", str(data), "wallet", "shell", "-c", shell, env=env)
        assert sent.returncode == 0, sent.stderr
    finally:
        os.umask(old)
    found = modes(data)
    assert any(name.endswith(".sqlite3") for name in found)
    assert any(name.endswith(".eml") for name in found)
    for name, mode in found.items():
        is_dir = (data / name).is_dir()
        assert mode == (0o700 if is_dir else 0o600), f"{name}: {oct(mode)}"
