"""Only the vault decrypts: no module outside zhifu.vault imports its crypto, keys or models.

The rule is an import-linter contract (pyproject.toml, id "vault-private", run by
`make imports`); this test pins what the contract says and that the code keeps it.
"""

from __future__ import annotations

import subprocess
import sys
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parents[3]
PRIVATE = {"zhifu.vault.crypto", "zhifu.vault.keys", "zhifu.vault.models"}


def test_no_module_outside_the_vault_imports_its_crypto_keys_or_models() -> None:
    config = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["importlinter"]
    (contract,) = [c for c in config["contracts"] if c.get("id") == "vault-private"]
    assert contract["type"] == "protected"
    assert set(contract["protected_modules"]) == PRIVATE
    assert contract["allowed_importers"] == ["zhifu.vault"]
    assert "ignore_imports" not in contract

    tool = Path(sys.executable).with_name("lint-imports")
    run = subprocess.run(
        [tool, "--contract", "vault-private", "--no-cache"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
    )
    assert run.returncode == 0, run.stdout + run.stderr
