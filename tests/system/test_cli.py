"""The `zhifu` command's behaviour at the edges: help, bad configuration, bad database."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from tests.harness.demo import demo_env, free_port


def zhifu(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    # A guard against a hung command, not a timing check: migrating every site of a new
    # data dir takes a minute or more on a loaded 2-core machine.
    base = demo_env()
    return subprocess.run(
        [sys.executable, "-m", "zhifu.cli", *args],
        env={**base, **(env or {})}, capture_output=True, text=True, timeout=300, check=False,
    )  # fmt: skip


def test_help_says_what_each_subcommand_does() -> None:
    out = zhifu("--help").stdout
    for command in ["demo", "serve", "worker", "migrate", "seed", "manage"]:
        assert f"    {command} " in out


@pytest.mark.parametrize(
    ("database_url", "expected"),
    [
        (f"postgresql://nobody@127.0.0.1:{free_port()}/zhifu", "cannot reach the wallet database"),
        ("mysql://root@localhost/zhifu", "DATABASE_URL: must start with postgresql://"),
        ("postgresql://[broken", "DATABASE_URL: not a database URL"),
    ],
)
def test_serve_with_a_bad_database_url_prints_one_line(
    tmp_path: Path, database_url: str, expected: str
) -> None:
    result = zhifu(
        "serve", "wallet", "--data-dir", str(tmp_path),
        env={"ZHIFU_DEMO": "1", "DATABASE_URL": database_url},
    )  # fmt: skip
    assert result.returncode != 0
    assert result.stderr.count("\n") == 1, result.stderr
    assert expected in result.stderr
    assert "Traceback" not in result.stderr


def test_production_without_secrets_names_the_missing_one(tmp_path: Path) -> None:
    result = zhifu("migrate", "wallet", "--data-dir", str(tmp_path))
    assert result.returncode == 2
    assert result.stderr == (
        "zhifu: configuration error: ZHIFU_WALLET_SECRET_KEY: required "
        "(set it, or run `zhifu demo` to generate demo keys)\n"
    )


def test_several_sites_cannot_share_one_database_url(tmp_path: Path) -> None:
    result = zhifu("migrate", env={"DATABASE_URL": "postgresql://x@127.0.0.1/db"})
    assert result.returncode == 2
    assert "DATABASE_URL names the database of one site" in result.stderr


def test_migrate_and_seed_work_on_the_demo_data_dir(tmp_path: Path) -> None:
    env = {"ZHIFU_DEMO": "1"}
    assert zhifu("migrate", "--data-dir", str(tmp_path), env=env).returncode == 0
    first = zhifu("seed", "marketplace", "--data-dir", str(tmp_path), env=env)
    second = zhifu("seed", "marketplace", "--data-dir", str(tmp_path), env=env)
    assert first.returncode == second.returncode == 0
    assert first.stdout == second.stdout
    assert (tmp_path / "wallet.sqlite3").exists()


def test_manage_takes_data_dir_after_the_django_command(tmp_path: Path) -> None:
    # Issue 10: `zhifu manage wallet shell --data-dir D` used the default data directory.
    result = zhifu(
        "manage", "wallet", "check", "--data-dir", str(tmp_path), env={"ZHIFU_DEMO": "1"}
    )
    assert result.returncode == 0, result.stderr
    assert (tmp_path / "secrets" / "wallet_secret_key").exists()


def test_platform_list_on_a_fresh_wallet(tmp_path: Path) -> None:
    env = {"ZHIFU_DEMO": "1"}
    assert zhifu("migrate", "wallet", "--data-dir", str(tmp_path), env=env).returncode == 0
    result = zhifu("platform", "list", "--data-dir", str(tmp_path), env=env)
    assert result.returncode == 0, result.stderr
    assert "no platforms" in result.stdout
    shown = zhifu("platform", "show", "nope", "--data-dir", str(tmp_path), env=env)
    assert shown.returncode == 1
    assert shown.stderr == "zhifu: no platform 'nope' (see `zhifu platform list`)\n"
