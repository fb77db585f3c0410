"""The guides' examples, run as written against a live wallet so they cannot rot.

Every fenced block of docs/api.md and docs/sdk.md whose info string is `python test` or
`sh test` runs, in order, with `http://localhost:8000` replaced by the live server's URL
and the shop's key in `$ZHIFU_KEY`. Python blocks of one page share their globals; a shell
block must exit 0 and print JSON, without an error envelope unless it is `sh test error`.
"""

from __future__ import annotations

import json
import re
import subprocess
import textwrap
from pathlib import Path
from typing import Any

import pytest

DOCS = Path(__file__).resolve().parents[3] / "docs"
# Fences may be indented (inside a list item): the block is dedented by as much.
FENCE = re.compile(r"^( *)```(python|sh) test( error)?\n(.*?)^\1```$", re.MULTILINE | re.DOTALL)
DEMO_WALLET = "http://localhost:8000"


def blocks(page: str) -> list[tuple[str, bool, str]]:
    text = (DOCS / page).read_text()
    return [(m[2], bool(m[3]), textwrap.dedent(m[4])) for m in FENCE.finditer(text)]


@pytest.mark.parametrize("page", ["api.md", "sdk.md"])
def test_the_pages_examples_run(
    page: str, live_server: Any, key: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    found = blocks(page)
    assert found, f"{page} has no executable examples"
    monkeypatch.setenv("ZHIFU_KEY", key)
    namespace: dict[str, Any] = {"__name__": f"docs.{page}"}
    for n, (language, error, code) in enumerate(found, 1):
        code = code.replace(DEMO_WALLET, live_server.url)
        if language == "python":
            exec(compile(code, f"{page} example {n}", "exec"), namespace)  # noqa: S102
            continue
        done = subprocess.run(
            ["/bin/bash", "-euo", "pipefail", "-c", code],
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
        )
        assert done.returncode == 0, f"{page} example {n}: {done.stderr}"
        out = done.stdout.strip()
        last = json.loads(out.splitlines()[-1]) if out else None
        assert isinstance(last, dict), f"{page} example {n} printed no JSON: {out!r}"
        assert ("error" in last) is error, f"{page} example {n}: {last}"
