"""Only the vault decrypts: no module outside zhifu.vault imports its crypto or keys."""

from __future__ import annotations

import ast
from pathlib import Path

SRC = Path(__file__).resolve().parents[3] / "src" / "zhifu"
PRIVATE = {"zhifu.vault.crypto", "zhifu.vault.keys", "zhifu.vault.models"}


def test_no_module_outside_the_vault_imports_its_crypto_keys_or_models() -> None:
    offenders = []
    for path in SRC.rglob("*.py"):
        if path.is_relative_to(SRC / "vault"):
            continue
        tree = ast.parse(path.read_text(), filename=str(path))
        for node in ast.walk(tree):
            names: list[str] = []
            if isinstance(node, ast.Import):
                names = [a.name for a in node.names]
            elif isinstance(node, ast.ImportFrom) and node.module:
                names = [node.module] + [f"{node.module}.{a.name}" for a in node.names]
            offenders += [f"{path.relative_to(SRC)}: {n}" for n in names if n in PRIVATE]
    assert offenders == []
